from django.urls import path

from . import views

app_name = "compliance"
urlpatterns = [
    path("compliance/", views.compliance_page, name="compliance"),
    path("compliance/list.csv", views.compliance_csv_download, name="compliance_csv"),
    path("compliance/export/", views.compliance_export, name="compliance_export"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/status", views.export_job_status, name="export_job_status"),
    path("exports/<int:pk>/file", views.export_job_file, name="export_job_file"),
]

from django.urls import path

from . import views

app_name = "audits"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("claims/<int:pk>/", views.claim_review, name="claim"),
    path("claims/<int:pk>/decide/", views.claim_decide, name="decide"),
    path("batch/", views.batch, name="batch"),
    path("batch/<uuid:batch_id>/", views.batch_result, name="batch_result"),
]

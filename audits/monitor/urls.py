from django.urls import path

from . import views

app_name = "monitor"
urlpatterns = [
    path("", views.monitor_home, name="home"),
    path("city/", views.city, name="city"),
    path("city/export.<str:fmt>", views.city_export, name="city_export"),
    path("region/<int:pk>/", views.region, name="region"),
    path("region/<int:pk>/export.<str:fmt>", views.region_export, name="region_export"),
    path("authority/<int:pk>/", views.authority, name="authority"),
    path("authority/<int:pk>/export.<str:fmt>", views.authority_export, name="authority_export"),
    path("unit/<int:pk>/overdue/", views.unit_overdue, name="unit_overdue"),
    path("unit/<int:pk>/overdue.<str:fmt>", views.unit_overdue_export, name="unit_overdue_export"),
]

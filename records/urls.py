from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("me/", views.my_home, name="my_home"),
    path("unit/", views.unit_home, name="unit_home"),
    path("authority/", views.authority_home, name="authority_home"),
    path("county/", views.county_home, name="county_home"),
    path("city/", views.city_home, name="city_home"),
    path("people/<int:pk>/", views.professional_detail, name="professional_detail"),
]

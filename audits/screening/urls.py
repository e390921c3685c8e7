from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.flags, name="flags"),
    path("run/", views.run, name="run"),
    path("<int:pk>/", views.flag_detail, name="flag"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
]

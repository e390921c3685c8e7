from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("review/", views.queue, name="queue"),
    path("review/claims/<int:pk>/", views.claim_review, name="claim"),
    path("review/claims/<int:pk>/decide/", views.claim_decide, name="decide"),
    path("review/batch/", views.batch, name="batch"),
    path("review/batch/<uuid:batch_id>/", views.batch_result, name="batch_result"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]

from django.urls import path

from . import views

app_name = "hours"
urlpatterns = [
    path("me/", views.my_home, name="my_home"),
    path("me/years/<int:year>/", views.my_year, name="my_year"),
    path("me/claims/new/", views.claim_new, name="claim_new"),
    path("me/claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("me/claims/<int:pk>/edit/", views.claim_edit, name="claim_edit"),
    path("me/claims/<int:pk>/submit/", views.claim_submit, name="claim_submit"),
    path("me/claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("me/evidence/<int:pk>/correct/", views.evidence_correct, name="evidence_correct"),
    path("me/evidence/<int:pk>/remove/", views.evidence_remove, name="evidence_remove"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
]

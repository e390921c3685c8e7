"""Every page of the audits app, in one file as records/urls.py is for records: the review queue and decisions
(namespace `review:`), the monitors (`monitor:`, under /monitor/) and city_hr's screening (`screening:`, under
/screening/). The views live in their parts' views.py."""
from django.urls import include, path

from audits.monitor import views as monitor
from audits.review import views as review
from audits.screening import views as screening

urlpatterns = [
    path("", include(([
        path("review/", review.queue, name="queue"),
        path("review/claims/<int:pk>/", review.claim_review, name="claim"),
        path("review/claims/<int:pk>/decide/", review.claim_decide, name="decide"),
        path("review/batch/", review.batch, name="batch"),
        path("review/batch/<uuid:batch_id>/", review.batch_result, name="batch_result"),
        path("review/units/<int:pk>/reviewers/", review.unit_reviewers, name="unit_reviewers"),
        path("review/units/<int:pk>/reviewers/<int:membership_pk>/remove/", review.unit_reviewer_remove,
             name="unit_reviewer_remove"),
        path("review/units/<int:pk>/standard/", review.unit_standard, name="unit_standard"),
        path("notifications/", review.notifications, name="notifications"),
        path("notifications/read/", review.notifications_read, name="notifications_read"),
    ], "review"))),
    path("monitor/", include(([
        path("", monitor.monitor_home, name="home"),
        path("city/", monitor.city, name="city"),
        path("city/export.<str:fmt>", monitor.city_export, name="city_export"),
        path("region/<int:pk>/", monitor.region, name="region"),
        path("region/<int:pk>/export.<str:fmt>", monitor.region_export, name="region_export"),
        path("authority/<int:pk>/", monitor.authority, name="authority"),
        path("authority/<int:pk>/export.<str:fmt>", monitor.authority_export, name="authority_export"),
        path("unit/<int:pk>/overdue/", monitor.unit_overdue, name="unit_overdue"),
        path("unit/<int:pk>/overdue.<str:fmt>", monitor.unit_overdue_export, name="unit_overdue_export"),
        path("year-end/", monitor.year_end, name="year_end"),
    ], "monitor"))),
    path("screening/", include(([
        path("", screening.flags, name="flags"),
        path("run/", screening.run, name="run"),
        path("<int:pk>/", screening.flag_detail, name="flag"),
        path("<int:pk>/resolve/", screening.resolve, name="resolve"),
    ], "screening"))),
]

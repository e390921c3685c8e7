"""Every page of the records app, in one list and one namespace (`records:`): people and units, a person's
hours and claims, certificates, compliance lists, announcements. The views live in their parts' views.py."""
from django.urls import path

from records.announcements import views as announcements
from records.certificates import views as certificates
from records.compliance import views as compliance
from records.help import views as help_pages
from records.hours import views as hours
from records.people import views as people

app_name = "records"
urlpatterns = [
    path("unit/", people.unit_home, name="unit_home"),
    path("authority/", people.authority_home, name="authority_home"),
    path("county/", people.county_home, name="county_home"),
    path("city/", people.city_home, name="city_home"),
    path("people/<int:pk>/", people.professional_detail, name="professional_detail"),
    path("register/", people.register, name="register"),
    path("register/units/", people.register_units, name="register_units"),
    path("unit/registrations/<int:pk>/approve/", people.registration_approve, name="registration_approve"),
    path("unit/registrations/<int:pk>/reject/", people.registration_reject, name="registration_reject"),
    path("unit/claims/<int:pk>/approve/", people.record_claim_approve, name="record_claim_approve"),
    path("unit/claims/<int:pk>/reject/", people.record_claim_reject, name="record_claim_reject"),
    path("unit/staff/import/", people.staff_import, name="staff_import"),
    path("unit/staff/import/template.<str:fmt>", people.staff_import_template, name="staff_import_template"),
    path("unit/staff/find/", people.staff_find, name="staff_find"),
    path("unit/staff/add/", people.staff_add, name="staff_add"),
    path("unit/staff/transfer/", people.staff_transfer, name="staff_transfer"),
    path("transfers/<int:pk>/approve/", people.transfer_approve, name="transfer_approve"),
    path("transfers/<int:pk>/refuse/", people.transfer_refuse, name="transfer_refuse"),
    path("transfers/<int:pk>/withdraw/", people.transfer_withdraw, name="transfer_withdraw"),
    path("units/new/", people.unit_create, name="unit_create"),
    path("me/", hours.my_home, name="my_home"),
    path("me/years/<int:year>/", hours.my_year, name="my_year"),
    path("me/claims/new/", hours.claim_new, name="claim_new"),
    path("me/claims/<int:pk>/", hours.claim_detail, name="claim_detail"),
    path("me/claims/<int:pk>/edit/", hours.claim_edit, name="claim_edit"),
    path("me/claims/<int:pk>/submit/", hours.claim_submit, name="claim_submit"),
    path("me/claims/<int:pk>/withdraw/", hours.claim_withdraw, name="claim_withdraw"),
    path("me/evidence/<int:pk>/correct/", hours.evidence_correct, name="evidence_correct"),
    path("me/evidence/<int:pk>/remove/", hours.evidence_remove, name="evidence_remove"),
    path("evidence/<int:pk>/", hours.evidence_download, name="evidence_download"),
    path("me/certificates/", certificates.my_certificates, name="my_certificates"),
    path("me/certificates/<int:pk>/", certificates.certificate_download, name="certificate_download"),
    path("me/certificates/<int:pk>/status", certificates.certificate_status, name="certificate_status"),
    path("certificates/bundles/", certificates.bundles, name="certificate_bundles"),
    path("certificates/bundles/<int:pk>/", certificates.bundle_detail, name="certificate_bundle"),
    path("certificates/bundles/<int:pk>/status", certificates.bundle_status, name="certificate_bundle_status"),
    path("certificates/bundles/<int:pk>/zip", certificates.bundle_zip, name="certificate_bundle_zip"),
    path("verify/", certificates.verify_search, name="verify_search"),
    path("verify/<str:serial>", certificates.verify, name="verify"),
    path("api/v1/verify/<str:serial>", certificates.CertificateVerifyApi.as_view(), name="verify_api"),
    path("compliance/", compliance.compliance_page, name="compliance"),
    path("compliance/find/", compliance.compliance_find, name="compliance_find"),
    path("compliance/list.csv", compliance.compliance_csv_download, name="compliance_csv"),
    path("compliance/export/", compliance.compliance_export, name="compliance_export"),
    path("exports/<int:pk>/", compliance.export_job, name="export_job"),
    path("exports/<int:pk>/status", compliance.export_job_status, name="export_job_status"),
    path("exports/<int:pk>/file", compliance.export_job_file, name="export_job_file"),
    path("help/", help_pages.help_index, name="help"),
    path("help/<str:role>/", help_pages.help_role, name="help_role"),
    path("announcements/", announcements.announcement_list_page, name="announcements"),
    path("announcements/new/", announcements.announcement_create, name="announcement_create"),
    path("announcements/<int:pk>/", announcements.announcement_detail, name="announcement"),
    path("announcements/<int:pk>/edit/", announcements.announcement_edit, name="announcement_edit"),
    path("announcements/<int:pk>/withdraw/", announcements.announcement_withdraw, name="announcement_withdraw"),
    path("announcements/<int:pk>/attachment", announcements.announcement_attachment, name="announcement_attachment"),
]

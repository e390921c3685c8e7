"""Writes on certificates: issue, supersede, revoke, render, and a unit's bundle (rule 9 in docs/rules.md).

A certificate states one year's credited records as they were at issue (its content snapshot). When those
records change, the valid certificate is superseded and, if the year still qualifies, a new one is issued
in its place; a revoked certificate is never brought back. Every write of one person's certificates
first locks that person's row, so two requests cannot both issue.
"""
import csv
import datetime as dt
import hashlib
import io
import logging
import time
import zipfile
from decimal import Decimal

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from audits.trail.services import record_event
from ce_portal.downloads import download_build, download_in_progress
from ce_portal.errors import DomainError, NotFound
from ce_portal.formatting import hours_text
from ce_portal.jobs import Verdict, job_verdict, stalled_reason
from ce_portal.pdf import CJK_FAMILY, render_pdf
from ce_portal.queue import enqueue, enqueue_on_commit
from records.certificates.models import Certificate, CertificateBundle, certificate_storage_name
from records.certificates.rules import certificate_interim, certificate_refusal, serial_new
from records.certificates.selectors import (
    credited_records, employment_of_year, hours_of, pending_claim_count, unit_people_of_year, valid_certificate,
    verification_link,
)
from records.hours.models import RequirementPolicy, SubjectCategory
from records.hours.rules import assess
from records.people.access import scope_for, units_in_scope
from records.people.models import Professional

logger = logging.getLogger(__name__)


# A render claimed this long ago and never finished belongs to a worker that died: another may take it.
STALE_RENDER = dt.timedelta(minutes=5)


WAITING_RENDERS = [Certificate.RenderStatus.PENDING, Certificate.RenderStatus.RENDERING]


BUNDLE_WAIT_FOR_RENDER = 60  # seconds a bundle waits for a certificate another worker is rendering


BUNDLE_PROGRESS_EVERY = 10  # people between progress writes


# Below this many renders, queueing them for other workers costs more than it saves.
BUNDLE_FAN_OUT_MIN = 20


def _policy(year: int) -> RequirementPolicy:
    try:
        return RequirementPolicy.objects.for_year(year)
    except RequirementPolicy.DoesNotExist:
        raise DomainError(f"{year} 年度没有学时要求政策，不能出具学时证明。", code="no_policy")


def certificate_content(professional: Professional, year: int, now: dt.datetime) -> dict:
    """What a certificate of this person and year would state now."""
    policy = _policy(year)
    records = credited_records(professional.pk, year)
    public, prof = hours_of(records)
    employment = employment_of_year(professional, year)
    return {
        "name": professional.name,
        "masked_id_number": professional.masked_id_number,
        "unit_id": employment.unit_id if employment else None,
        "unit": employment.unit.name if employment else "",
        "year": year,
        "policy": {"total": str(policy.total_hours), "public": str(policy.public_hours),
                   "professional": str(policy.professional_hours)},
        "hours": {"public": str(public), "professional": str(prof), "total": str(public + prof)},
        "records": records,
        # Hours reach the year until its last close: the platforms' records, after hand filing has closed.
        "interim": certificate_interim(year, now, filing_close=policy.closes().platform_records),
    }


def _same_records(certificate: Certificate, content: dict) -> bool:
    # Only the credited records decide: a new unit name or a renamed person does not unmake a certificate.
    # An interim certificate gives way to the year-end one once the year has closed, though.
    return (certificate.content["records"] == content["records"]
            and bool(certificate.content.get("interim")) == content["interim"])


def _refusal(professional: Professional, year: int, content: dict, today: dt.date):
    """Rule 1 on the very records the certificate itemises, so its figures and its verdict agree."""
    public, prof = hours_of(content["records"])
    policy = _policy(year)
    return certificate_refusal(
        year=year, current_year=today.year, assessment=assess(public, prof, policy),
        pending_claims=pending_claim_count(professional.pk, year),
    )


def _lock_person(professional_id: int) -> Professional:
    return Professional.objects.select_for_update().get(pk=professional_id)


def _enqueue_render(certificate: Certificate) -> None:
    enqueue_on_commit("records.certificates.tasks.certificate_render_task", certificate.pk)


def _issue(*, professional: Professional, year: int, content: dict, now: dt.datetime, actor,
           replaces: Certificate | None = None) -> Certificate:
    if replaces is not None:
        # Superseded first: the database allows one valid certificate per person and year.
        replaces.status = Certificate.Status.SUPERSEDED
        replaces.superseded_at = now
        replaces.save(update_fields=["status", "superseded_at"])
    public, prof = hours_of(content["records"])
    certificate = Certificate.objects.create(
        serial=serial_new(year), professional=professional, unit_id=content["unit_id"], year=year,
        content=content, public_hours=public, professional_hours=prof, issued_at=now,
    )
    if replaces is not None:
        replaces.superseded_by = certificate
        replaces.save(update_fields=["superseded_by"])
    record_event(actor=actor, action="certificate.issue", target=certificate, after={
        "serial": certificate.serial, "professional": professional.pk, "year": year,
        "hours": content["hours"], "replaces": replaces.serial if replaces else None,
    })
    return certificate


@transaction.atomic
def certificate_obtain(*, professional: Professional, year: int, now: dt.datetime, actor) -> Certificate:
    """The valid certificate for the current records: the existing one if they did not change, else a new one.

    Does not queue the rendering: `certificate_request` does, a bundle renders in its own task.
    """
    professional = _lock_person(professional.pk)
    content = certificate_content(professional, year, now)
    current = valid_certificate(professional.pk, year, for_update=True)
    if current is not None and _same_records(current, content):
        if current.render_status == Certificate.RenderStatus.FAILED:
            current.render_status, current.render_error, current.render_attempts = Certificate.RenderStatus.PENDING, "", 0
            current.save(update_fields=["render_status", "render_error", "render_attempts"])
        return current
    refusal = _refusal(professional, year, content, timezone.localdate(now))
    if refusal is not None:
        raise DomainError(refusal.message, code=refusal.code)
    return _issue(professional=professional, year=year, content=content, now=now, actor=actor, replaces=current)


@transaction.atomic
def certificate_request(*, actor, professional: Professional, year: int, now: dt.datetime) -> Certificate:
    """A person asks for their certificate of a year; rendering is queued and the row returned at once."""
    if professional.pk not in scope_for(actor).professional_ids:
        raise NotFound("未找到该人员。")
    certificate = certificate_obtain(professional=professional, year=year, now=now, actor=actor)
    stalled = (certificate.render_status == Certificate.RenderStatus.RENDERING
               and certificate.render_started_at < now - STALE_RENDER)
    # Queued again on a repeat request: a lost message or a dead worker must not leave it waiting forever.
    if certificate.render_status == Certificate.RenderStatus.PENDING or stalled:
        _enqueue_render(certificate)
    return certificate


@transaction.atomic
def certificates_supersede_for(professional_id: int, year: int, *, actor=None,
                               now: dt.datetime | None = None) -> Certificate | None:
    """After the year's credited records changed (a screening revocation, say): supersede the valid
    certificate if what it states is no longer true, and issue its successor when the year still qualifies.

    Returns the valid certificate afterwards, or None when there is none. A revoked certificate is left alone.
    """
    now = now or timezone.now()
    professional = _lock_person(professional_id)
    current = valid_certificate(professional_id, year, for_update=True)
    if current is None:
        return None
    content = certificate_content(professional, year, now)
    if _same_records(current, content):
        return current
    refusal = _refusal(professional, year, content, timezone.localdate(now))
    if refusal is None:
        successor = _issue(professional=professional, year=year, content=content, now=now, actor=actor,
                           replaces=current)
        _enqueue_render(successor)
        return successor
    current.status, current.superseded_at = Certificate.Status.SUPERSEDED, now
    current.save(update_fields=["status", "superseded_at"])
    record_event(actor=actor, action="certificate.supersede", target=current, after={
        "serial": current.serial, "successor": None, "refusal": refusal.code, "hours": content["hours"],
    })
    return None


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, actor, now: dt.datetime | None = None) -> Certificate:
    """City HR (or the screening job, actor None) revokes a certificate for good; verification shows revoked."""
    if actor is not None and not scope_for(actor).is_city:
        raise NotFound("未找到该证书。")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("撤销证书须填写撤销理由。", code="revoke_reason_required", field="reason")
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.status == Certificate.Status.REVOKED:
        raise DomainError(f"证书 {locked.serial} 已于此前撤销。", code="certificate_already_revoked")
    before = {"status": locked.status}
    locked.status = Certificate.Status.REVOKED
    locked.revoked_at = now or timezone.now()
    locked.revoke_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoke_reason"])
    record_event(actor=actor, action="certificate.revoke", target=locked, before=before,
                 after={"status": locked.status, "serial": locked.serial, "reason": reason})
    return locked


def certificate_render(*, certificate_id: int, now: dt.datetime) -> bool:
    """Render and store the PDF if nobody else is doing it. Returns whether this call produced it.

    The conditional UPDATE is the claim: of two workers handed the same certificate only one renders it.
    Not atomic on purpose: the claim must be visible to others while the (slow) rendering runs.
    """
    claimable = Q(render_status=Certificate.RenderStatus.PENDING) | Q(
        render_status=Certificate.RenderStatus.RENDERING, render_started_at__lt=now - STALE_RENDER
    )
    claimed = Certificate.objects.filter(claimable, pk=certificate_id).update(
        render_status=Certificate.RenderStatus.RENDERING, render_started_at=now,
        render_attempts=F("render_attempts") + 1,
    )
    if not claimed:
        return False
    mine = Certificate.objects.filter(
        pk=certificate_id, render_status=Certificate.RenderStatus.RENDERING, render_started_at=now
    )
    certificate = Certificate.objects.get(pk=certificate_id)
    try:
        pdf = render_certificate_pdf(certificate)
    except Exception as exc:
        logger.exception("certificate %s failed to render", certificate.serial)
        mine.update(render_status=Certificate.RenderStatus.FAILED, render_error=str(exc)[:300])
        raise
    name = default_storage.save(certificate_storage_name(certificate, None), ContentFile(pdf))
    stored = mine.update(
        render_status=Certificate.RenderStatus.READY, pdf=name, pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        rendered_at=now, render_error="",
    )
    if not stored:  # our claim went stale and another worker took over: keep theirs only
        default_storage.delete(name)
    return bool(stored)


def stalled_renders_sweep(*, now: dt.datetime) -> dict[Verdict, int]:
    """The periodic sweep's part for certificates (records.certificates.tasks.sweep_stalled_renders): a
    rendering queued but never taken up (its message lost, the broker down) or taken up by a worker that
    died is queued again (`certificate_render` takes over a claim older than STALE_RENDER); one whose
    workers died MAX_ATTEMPTS times says it failed and why, and asking again starts anew."""
    counts = {verdict: 0 for verdict in Verdict}
    waiting = Certificate.objects.filter(render_status__in=WAITING_RENDERS).only(
        "pk", "render_status", "render_started_at", "render_attempts", "issued_at")
    for certificate in waiting.iterator():
        verdict = job_verdict(under_way=True, last_progress_at=certificate.render_started_at or certificate.issued_at,
                              attempts=certificate.render_attempts, now=now, time_limit=STALE_RENDER)
        as_read = Certificate.objects.filter(pk=certificate.pk, render_status=certificate.render_status,
                                             render_started_at=certificate.render_started_at)
        if verdict is Verdict.REQUEUE:
            # Given back as pending (its claim time kept as the heartbeat): a bundle waiting for it renders
            # it at once rather than after its wait.
            as_read.update(render_status=Certificate.RenderStatus.PENDING, render_started_at=now)
            _enqueue_render(certificate)
        elif verdict is Verdict.GIVE_UP:
            as_read.update(render_status=Certificate.RenderStatus.FAILED,
                           render_error=stalled_reason(certificate.render_attempts))
        counts[verdict] += 1
    return counts


@transaction.atomic
def certificate_bundle_request(*, actor, unit_id: int, year: int, now: dt.datetime) -> CertificateBundle:
    unit = units_in_scope(actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound("未找到该单位。")
    if year > timezone.localdate(now).year:
        raise DomainError(f"{year} 年尚未开始，没有可下载的学时证明。", code="year_in_future", field="year")
    running = download_in_progress(CertificateBundle.objects.filter(requested_by=actor, unit=unit, year=year), now=now)
    if running is not None:
        return running
    bundle = CertificateBundle.objects.create(unit=unit, year=year, requested_by=actor, created_at=now)
    record_event(actor=actor, action="certificate.bundle_request", target=bundle, after={"unit": unit.pk, "year": year})
    enqueue_on_commit("records.certificates.tasks.certificate_bundle_task", bundle.pk)
    return bundle


def _ready_pdf(certificate: Certificate) -> Certificate:
    """The certificate with its PDF: rendered here while queued (or given back by the sweep, its worker
    dead), awaited while another worker has it."""
    deadline = time.monotonic() + BUNDLE_WAIT_FOR_RENDER
    while certificate.render_status in WAITING_RENDERS and time.monotonic() < deadline:
        if certificate.render_status == Certificate.RenderStatus.PENDING:
            try:
                # The real time of the claim: what the sweep reads as the rendering's heartbeat.
                certificate_render(certificate_id=certificate.pk, now=timezone.now())
            except Exception:  # noqa: BLE001  the row now says failed and why; the manifest reports it
                pass
        else:
            time.sleep(0.1)
        certificate.refresh_from_db()
    return certificate


def _zip_name(index: int, certificate: Certificate) -> str:
    return f"{index:04d}_{certificate.content['name']}_{certificate.serial}.pdf"


def certificate_bundle_build(*, bundle_id: int, now: dt.datetime) -> bool:
    """Build the ZIP: every person of the unit's year with a valid certificate (issued now if the year
    qualifies and none exists yet), plus 清单.csv saying for each person what was included or why not.

    First every certificate is issued (fast), and a large batch of renders is handed to the other workers;
    then this task walks the people in order, rendering whatever no worker has taken yet and zipping each
    PDF as it is ready, so a unit's renders run on every worker process at once.
    """
    if not CertificateBundle.objects.claim(bundle_id, started_at=now):
        return False
    bundle = CertificateBundle.objects.select_related("unit", "requested_by").get(pk=bundle_id)

    def write(spool) -> dict:
        people = list(unit_people_of_year(bundle.unit, bundle.year))
        CertificateBundle.objects.progress(bundle_id, total=len(people))
        outcomes = [_bundle_certificate(person, bundle, now) for person in people]
        _fan_out_renders([c for c in outcomes if isinstance(c, Certificate)])
        manifest = io.StringIO()
        rows = csv.writer(manifest)
        rows.writerow(["序号", "姓名", "身份证号码", "证书编号", "证书状态", "说明"])
        included = 0
        # PDFs are already compressed: storing them is as small and several times faster than deflating.
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
            for index, (person, outcome) in enumerate(zip(people, outcomes), start=1):
                serial, state, note = _bundle_entry(archive, index, outcome)
                included += bool(serial)
                rows.writerow([index, person.name, person.masked_id_number, serial, state, note])
                if index % BUNDLE_PROGRESS_EVERY == 0:
                    CertificateBundle.objects.progress(bundle_id, done=index, included=included)
            archive.writestr("清单.csv", "\ufeff" + manifest.getvalue())  # BOM: Excel opens it as UTF-8
        return {"done": len(people), "included": included}

    download_build(job=bundle, write=write)
    return True


def _bundle_certificate(person: Professional, bundle: CertificateBundle, now: dt.datetime) -> Certificate | str:
    """The person's valid certificate, or why there is none."""
    try:
        return certificate_obtain(professional=person, year=bundle.year, now=now, actor=bundle.requested_by)
    except DomainError as refusal:
        return refusal.message


def _fan_out_renders(certificates: list[Certificate]) -> None:
    waiting = [c.pk for c in certificates if c.render_status == Certificate.RenderStatus.PENDING]
    if len(waiting) >= BUNDLE_FAN_OUT_MIN:
        for certificate_id in waiting:
            enqueue("records.certificates.tasks.certificate_render_task", certificate_id)


def _bundle_entry(archive: zipfile.ZipFile, index: int, outcome: Certificate | str) -> tuple[str, str, str]:
    """Add one person's certificate to the archive; returns (serial, state, note) for the manifest."""
    if not isinstance(outcome, Certificate):
        return "", "未出具", outcome
    certificate = _ready_pdf(outcome)
    if certificate.render_status != Certificate.RenderStatus.READY:
        return "", certificate.get_render_status_display(), certificate.render_error or "证书文件尚未生成"
    with certificate.pdf.open("rb") as pdf:
        archive.writestr(_zip_name(index, certificate), pdf.read())
    return certificate.serial, certificate.get_status_display(), ""


def _hours(text: str) -> str:
    return hours_text(Decimal(text))


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def _period(start: str, end: str) -> str:
    if start == end:
        return _day(start)
    last = dt.date.fromisoformat(end)
    # Activities never cross a year (claim rules), so the end needs no year of its own.
    return f"{_day(start)}至{last.month}月{last.day}日"


def certificate_context(certificate) -> dict:
    """Everything the certificate prints, from the certificate row and its content snapshot alone."""
    content = certificate.content
    link = verification_link(certificate.serial)
    labels = dict(SubjectCategory.choices)
    policy, hours = content["policy"], content["hours"]
    issued = timezone.localtime(certificate.issued_at)
    return {
        "serial": certificate.serial,
        "name": content["name"],
        "masked_id_number": content["masked_id_number"],
        "unit": content["unit"] or "（无在职单位记录）",
        "year": certificate.year,
        "rows": [
            {"label": labels[SubjectCategory.PUBLIC], "need": _hours(policy["public"]), "have": _hours(hours["public"])},
            {"label": labels[SubjectCategory.PROFESSIONAL], "need": _hours(policy["professional"]),
             "have": _hours(hours["professional"])},
            {"label": "合计", "need": _hours(policy["total"]), "have": _hours(hours["total"])},
        ],
        "records": [
            {**record, "category_label": labels.get(record["category"], record["category"]),
             "period": _period(record["start"], record["end"]), "hours": _hours(record["hours"])}
            for record in content["records"]
        ],
        "issued_on": f"{issued.year}年{issued.month}月{issued.day}日",
        "interim": bool(content.get("interim")),
        "verification_link": link,
        "verification_page": settings.SITE_URL.rstrip("/") + reverse("records:verify_search"),
        # SVG keeps the modules sharp at any print resolution; "M" correction survives a crease or a stamp.
        "qr_data_uri": segno.make(link, error="m").svg_data_uri(scale=4, border=2),
        "cjk_family": CJK_FAMILY,
    }


def render_certificate_pdf(certificate) -> bytes:
    return render_pdf("records/pdf/certificate.html", certificate_context(certificate))

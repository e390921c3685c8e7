"""Downloads of the compliance lists. A CSV streams within the request, row by row as the database hands them
over. An XLSX is built by a Celery task (openpyxl's write-only mode; rows read 5,000 at a time), so the whole
city's 200,000 rows are never in memory at once; the file is kept under MEDIA_ROOT with a non-guessable name
and only its requester downloads it. Every file opens with who generated it, when, and the year's policy.
"""
import datetime as dt

from django.db import transaction
from django.utils import timezone

from audits.trail.services import record_event
from ce_portal.downloads import download_build, download_in_progress
from ce_portal.exports import Heading, csv_response, xlsx_write
from ce_portal.formatting import hours_text
from ce_portal.queue import enqueue_on_commit
from ce_portal.replica import replica_reads
from records.compliance.models import ExportJob
from records.compliance.selectors import ComplianceList, Filters, compliance_list, list_label

HEADER = ["姓名", "身份证号码", "单位", "县（市、区）", "行业主管部门", "公需科目学时", "专业科目学时", "总学时",
          "是否达标", "尚差学时"]


PROGRESS_EVERY = 5_000  # rows between progress writes: one UPDATE per chunk the database hands over


def user_label(user) -> str:
    return user.get_full_name() or user.get_username()


STATE_LABELS = {"compliant": "达标", "not_compliant": "未达标", "no_record": "无记录"}


def title_of(user, filters: Filters) -> str:
    return f"{list_label(user, filters)}{filters.year}年度专业技术人员继续教育学时达标名单"


def heading(user, listing: ComplianceList, *, now: dt.datetime) -> Heading:
    policy, counts, filters = listing.policy, listing.counts, listing.filters
    notes = [
        f"{filters.year} 年度学时要求：总学时不少于 {hours_text(policy.total_hours)} 学时，其中公需科目不少于 "
        f"{hours_text(policy.public_hours)} 学时、专业科目不少于 {hours_text(policy.professional_hours)} 学时，"
        "三项均须达到，学时不得结转",
        f"达标 {counts.compliant} 人，未达标 {counts.non_compliant} 人，"
        + (f"无记录 {counts.no_record} 人，" if counts.no_record else "") + f"共 {counts.total} 人",
    ]
    narrowed = []
    if filters.no_record:
        narrowed.append("仅无记录人员")
    elif filters.compliant is not None:
        narrowed.append("仅达标人员" if filters.compliant else "仅未达标人员")
    if filters.search:
        narrowed.append(f"姓名含“{filters.search}”")
    if filters.person is not None:
        narrowed.append("按身份证号码查找的人员")
    if narrowed:
        notes.append("本表只含：" + "，".join(narrowed))
    return Heading(title=title_of(user, filters), generated_by=user_label(user),
                   generated_at=timezone.localtime(now), notes=notes)


def table_rows(listing: ComplianceList):
    # None, not "", for an empty cell: openpyxl then writes no cell at all (the CSV writes "" either way).
    for row in listing.iterator():
        yield [row.name, row.id_number, row.unit_name, row.region_name, row.authority_name or None, row.public,
               row.professional, row.total, STATE_LABELS[row.state], row.shortfall or None]


def file_name(user, filters: Filters, now: dt.datetime) -> str:
    return f"{list_label(user, filters)}{filters.year}年度学时达标名单_{timezone.localtime(now):%Y%m%d%H%M}"


def compliance_csv(user, filters: Filters, *, now: dt.datetime):
    """The list as a streamed CSV. A list of ID numbers leaving the portal is recorded in the audit trail,
    with whether it carries full numbers (the city, counties and units) or masked ones only (authorities)."""
    listing = compliance_list(user, **filters.as_params())
    record_event(actor=user, action="compliance.export_csv", target=("records.compliance", filters.year),
                 after={**filters.as_params(), "full_id_numbers": listing.full_id_numbers}, at=now)
    return csv_response(filename=file_name(user, filters, now), heading=heading(user, listing, now=now),
                        header=HEADER, rows=table_rows(listing))


@transaction.atomic
def compliance_export_request(*, actor, filters: Filters, now: dt.datetime) -> ExportJob:
    """Queue the XLSX; the same list asked for again while it is being built is that same job."""
    listing = compliance_list(actor, **filters.as_params())  # refuses a filter outside the scope before queueing
    params = filters.as_params()
    running = download_in_progress(
        ExportJob.objects.filter(requested_by=actor, kind=ExportJob.Kind.COMPLIANCE_XLSX, params=params), now=now)
    if running is not None:
        return running
    job = ExportJob.objects.create(requested_by=actor, kind=ExportJob.Kind.COMPLIANCE_XLSX, params=params,
                                   created_at=now)
    record_event(actor=actor, action="compliance.export_request", target=job,
                 after={**params, "full_id_numbers": listing.full_id_numbers})
    enqueue_on_commit("records.compliance.tasks.compliance_export_task", job.pk)
    return job


def compliance_export_build(*, job_id: int, now: dt.datetime) -> bool:
    """Build the job's XLSX, if no other worker has claimed it."""
    if not ExportJob.objects.claim(job_id):
        return False
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    user = job.requested_by

    def write(spool) -> dict:
        # The list itself from the replica when there is one (the job's own row stays on the primary).
        with replica_reads():
            listing = compliance_list(user, **job.params)
            total = listing.count()
            ExportJob.objects.progress(job_id, total=total)

            def rows():
                for done, row in enumerate(table_rows(listing), start=1):
                    yield row
                    if done % PROGRESS_EVERY == 0:
                        ExportJob.objects.progress(job_id, done=done)

            xlsx_write(spool, heading=heading(user, listing, now=now), header=HEADER, rows=rows())
        return {"done": total}

    download_build(job=job, write=write)
    return True


def export_download_name(job: ExportJob) -> str:
    filters = Filters(**job.params)
    return f"{file_name(job.requested_by, filters, job.created_at)}.xlsx"

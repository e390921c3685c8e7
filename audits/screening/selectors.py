"""Reads for city_hr's screening queue: the flags, what each one involves, the last run."""
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from audits.screening.models import ScreeningFlag, ScreeningRun
from records.certificates.models import Certificate
from records.hours.models import Claim, EvidenceFile, PlatformRecord
from records.people.access import scope_for


def _city_only(user) -> None:
    if not scope_for(user).is_city:
        raise Http404("未找到。")


def flag_list(user, *, rule: str = "", status: str = "") -> QuerySet[ScreeningFlag]:
    _city_only(user)
    flags = ScreeningFlag.objects.select_related(
        "professional", "claim", "claim__unit", "platform_record", "platform_record__platform"
    ).order_by("-created_at", "-id")
    if rule:
        flags = flags.filter(rule=rule)
    if status:
        flags = flags.filter(status=status)
    return flags


def open_flag_counts(user) -> dict[str, int]:
    _city_only(user)
    rows = ScreeningFlag.objects.filter(status=ScreeningFlag.Status.OPEN).values("rule").annotate(n=Count("id"))
    return {row["rule"]: row["n"] for row in rows}


def last_run() -> ScreeningRun | None:
    return ScreeningRun.objects.select_related("requested_by").order_by("-watermark_at", "-id").first()


def flag_get(user, pk: int) -> ScreeningFlag:
    _city_only(user)
    flag = flag_list(user).select_related("resolved_by").filter(pk=pk).first()
    if flag is None:
        raise Http404("未找到。")
    return flag


def _refs(value) -> Iterator[tuple[str, int]]:
    """Every record a flag's evidence names: {"claim": id}, {"evidence": id} or {"source": ..., "id": id}."""
    if isinstance(value, list):
        for item in value:
            yield from _refs(item)
    elif isinstance(value, dict):
        if value.get("source") in ("claim", "platform") and isinstance(value.get("id"), int):
            yield value["source"], value["id"]
        for key in ("claim", "evidence"):
            if isinstance(value.get(key), int):
                yield key, value[key]
        for item in value.values():
            if isinstance(item, (list, dict)):
                yield from _refs(item)


@dataclass(frozen=True)
class Involved:
    claims: list[Claim]
    platform_records: list[PlatformRecord]
    flagged_file_ids: frozenset[int]  # the files the flag is about, picked out among each claim's files


def flag_involved(flag: ScreeningFlag) -> Involved:
    """The flagged record first, then every other record its evidence names, each with its evidence files."""
    refs = set(_refs(flag.evidence))
    claim_ids = {pk for kind, pk in refs if kind == "claim"} | ({flag.claim_id} if flag.claim_id else set())
    platform_ids = {pk for kind, pk in refs if kind == "platform"} | (
        {flag.platform_record_id} if flag.platform_record_id else set())
    files = EvidenceFile.objects.filter(removed_at__isnull=True).order_by("uploaded_at", "id")
    claims = (Claim.objects.filter(pk__in=claim_ids)
              .select_related("professional", "unit", "provider_base")
              .prefetch_related(Prefetch("evidence", queryset=files, to_attr="current_evidence")))
    platform_records = PlatformRecord.objects.filter(pk__in=platform_ids).select_related("professional", "platform")

    def first_the_flagged(subject_id):
        return lambda row: (row.pk != subject_id, row.pk)

    return Involved(
        claims=sorted(claims, key=first_the_flagged(flag.claim_id)),
        platform_records=sorted(platform_records, key=first_the_flagged(flag.platform_record_id)),
        flagged_file_ids=frozenset(pk for kind, pk in refs if kind == "evidence"),
    )


def certificates_at_stake(flag: ScreeningFlag) -> list[Certificate]:
    """The certificates a confirmation would revoke: those of the person and year that itemise the record."""
    subject = flag.claim or flag.platform_record
    source = "claim" if flag.claim_id else "platform"
    certificates = Certificate.objects.filter(professional_id=subject.professional_id, year=subject.year).exclude(
        status=Certificate.Status.REVOKED
    ).order_by("pk")
    return [c for c in certificates
            if any(item["source"] == source and item["id"] == subject.pk for item in c.content["records"])]

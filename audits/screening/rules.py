"""Fraud screening rules (rule 9 in docs/rules.md): plain functions from facts to findings, no database, no clock.

audits/screening/services.py decides which facts to look at (everything, or what changed since the last
run plus whatever it must be compared with), loads them and stores the findings as `ScreeningFlag`s. A
finding is about one claim or one platform record and names everything else involved, so that city_hr can
confirm the copy and dismiss the original. Its `dedupe_key` is derived from what was found, so running a
rule twice over the same facts gives the same keys.
"""
import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import TextChoices

# More than this many hours on one calendar day, across all of a person's records, is impossible.
DAY_LIMIT = Decimal("10")


class Rule(TextChoices):
    SAME_EVIDENCE = "same_evidence", "同一佐证材料重复使用"
    SAME_CERTIFICATE_NO = "same_certificate_no", "同一证书编号多人申报"
    DAILY_HOURS = "daily_hours", "单日学时超过 10 学时"
    OVERLAPPING_SESSIONS = "overlapping_sessions", "多日活动时间重叠"
    UNKNOWN_PROVIDER = "unknown_provider", "主办单位不在认定范围"
    NO_TRAINING_PLAN = "no_training_plan", "单位组织培训无备案计划"


# Flags that stop a claim from being approved while open (or once confirmed). An unknown provider is only
# a hint for city_hr (the notice lets units organise their own training), so it never blocks; nor does
# training without a filed plan: the fault is the unit's (rule 7), and the HR bureaus' 检查、督导 page lists it.
BLOCKING_RULES = frozenset({Rule.SAME_EVIDENCE, Rule.SAME_CERTIFICATE_NO, Rule.DAILY_HOURS,
                            Rule.OVERLAPPING_SESSIONS})


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    id: int
    professional_id: int
    year: int
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    provider_base_id: int | None = None
    provider_name: str = ""
    external_certificate_no: str = ""

    @property
    def multi_day(self) -> bool:
        return self.end_date > self.start_date


@dataclass(frozen=True, slots=True)
class EvidenceFacts:
    id: int
    claim_id: int
    professional_id: int
    sha256: str
    session_file_id: int | None = None  # the training session's file this row names (records.plans)


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    id: int
    professional_id: int
    day: dt.date  # of completion, Asia/Shanghai
    hours: Decimal


@dataclass(frozen=True, slots=True)
class KnownProviders:
    """Whom a claim may name as its provider: a CE base (附件3) or a platform approved for the claim's year."""

    base_names: frozenset[str]
    platform_names_by_year: dict[int, frozenset[str]] = field(default_factory=dict)

    def knows(self, name: str, year: int) -> bool:
        return name in self.base_names or name in self.platform_names_by_year.get(year, frozenset())


@dataclass(frozen=True, slots=True)
class PlanLinkFacts:
    """A claim of unit-organised training and the plan its item belongs to (None when it names none)."""

    id: int
    professional_id: int
    year: int
    unit_id: int | None
    plan_item_id: int | None
    plan_unit_id: int | None
    plan_year: int | None
    plan_filed: bool  # the plan was filed (in force, or superseded by a later filed version)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    professional_id: int
    claim_id: int | None
    platform_record_id: int | None
    evidence: dict
    dedupe_key: str


def _ref(record) -> tuple[str, int]:
    return ("platform", record.id) if isinstance(record, PlatformFacts) else ("claim", record.id)


def dedupe_key(rule: Rule, subject: tuple[str, int], *what) -> str:
    """Rule, record and a digest of what was found about it (fits the 100-character column)."""
    digest = hashlib.sha256(json.dumps(what, default=str, ensure_ascii=False).encode()).hexdigest()[:40]
    return f"{rule.value}:{subject[0][0]}{subject[1]}:{digest}"


def _finding(rule: Rule, subject: tuple[str, int], professional_id: int, evidence: dict, *what) -> Finding:
    source, pk = subject
    return Finding(
        rule=rule, professional_id=professional_id,
        claim_id=pk if source == "claim" else None, platform_record_id=pk if source == "platform" else None,
        evidence=evidence, dedupe_key=dedupe_key(rule, subject, *what),
    )


def same_evidence(files: Iterable[EvidenceFacts]) -> list[Finding]:
    """The same file (by SHA-256) behind two or more claims, whether of different people or of one person
    claiming it twice. Every claim of the group is flagged; a file repeated within one claim is not.

    A training session's file (rule 7) is one use, however many attendees' claims name it: they are never
    flagged among themselves. The same bytes in a claim outside the session flag that claim (the sheet was
    taken elsewhere), not the attendees; the same file kept by two sessions flags them all."""
    groups: dict[str, list[EvidenceFacts]] = defaultdict(list)
    for file in files:
        groups[file.sha256].append(file)
    findings = []
    for sha256, group in sorted(groups.items()):
        claims = {file.claim_id: file for file in sorted(group, key=lambda f: f.id)}
        origins = {claim_id: ("session", file.session_file_id) if file.session_file_id else ("claim", claim_id)
                   for claim_id, file in claims.items()}
        if len(set(origins.values())) < 2:
            continue
        sessions = {origin for origin in origins.values() if origin[0] == "session"}
        if len(sessions) < 2:
            claims = {claim_id: file for claim_id, file in claims.items() if origins[claim_id][0] == "claim"}
        people = {file.professional_id for file in group}
        evidence = {
            "sha256": sha256,
            "people": len(people),
            "files": [{"evidence": f.id, "claim": f.claim_id, "professional": f.professional_id}
                      for f in sorted(group, key=lambda f: f.id)],
        }
        findings += [_finding(Rule.SAME_EVIDENCE, ("claim", claim_id), file.professional_id, evidence, sha256)
                     for claim_id, file in claims.items()]
    return findings


def same_certificate_no(claims: Iterable[ClaimFacts]) -> list[Finding]:
    """One external certificate number claimed by two or more people: every claim that carries it."""
    groups: dict[str, list[ClaimFacts]] = defaultdict(list)
    for claim in claims:
        if claim.external_certificate_no:
            groups[claim.external_certificate_no].append(claim)
    findings = []
    for number, group in sorted(groups.items()):
        group = sorted(group, key=lambda c: c.id)
        if len({c.professional_id for c in group}) < 2:
            continue
        evidence = {"certificate_no": number,
                    "claims": [{"claim": c.id, "professional": c.professional_id} for c in group]}
        findings += [_finding(Rule.SAME_CERTIFICATE_NO, _ref(claim), claim.professional_id, evidence, number)
                     for claim in group]
    return findings


def _days(claim: ClaimFacts) -> list[dt.date]:
    return [claim.start_date + dt.timedelta(days=n) for n in range((claim.end_date - claim.start_date).days + 1)]


def daily_hours(claims: Iterable[ClaimFacts], platform_records: Iterable[PlatformFacts],
                limit: Decimal = DAY_LIMIT) -> list[Finding]:
    """More than `limit` hours on one day across a person's records. A claim's hours are spread evenly over
    its days (the claim form allows at most 10 a day per claim); a platform record counts on the day it was
    completed. Every record on an overloaded day is flagged, with the days and the other records."""
    per_day: dict[tuple[int, dt.date], list[tuple[object, Fraction]]] = defaultdict(list)
    for claim in claims:
        days = _days(claim)
        share = Fraction(claim.hours) / len(days)  # exact: thirds must add up to whole hours again
        for day in days:
            per_day[claim.professional_id, day].append((claim, share))
    for record in platform_records:
        per_day[record.professional_id, record.day].append((record, Fraction(record.hours)))

    overloaded: dict[tuple[str, int], tuple[object, list]] = {}
    for (_, day), loads in sorted(per_day.items(), key=lambda item: item[0]):
        total = sum((share for _, share in loads), Fraction(0))
        if total <= limit:
            continue
        entry = {"date": day.isoformat(), "hours": _hours(total),
                 "records": sorted({_ref(record) for record, _ in loads})}
        for record, _ in loads:
            overloaded.setdefault(_ref(record), (record, []))[1].append(entry)
    findings = []
    for ref, (record, entries) in sorted(overloaded.items()):
        evidence = {"limit": str(limit), "days": [
            {**entry, "records": [{"source": s, "id": i} for s, i in entry["records"]]} for entry in entries
        ]}
        partners = sorted({other for entry in entries for other in entry["records"] if other != ref})
        findings.append(_finding(Rule.DAILY_HOURS, ref, record.professional_id, evidence,
                                 [e["date"] for e in entries], partners))
    return findings


def _hours(value: Fraction) -> str:
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1")))


def overlapping_sessions(claims: Iterable[ClaimFacts]) -> list[Finding]:
    """Two multi-day activities of one person on overlapping dates (a person attends one training course
    or workshop at a time). One-day activities on the same day are left to `daily_hours`."""
    by_person: dict[int, list[ClaimFacts]] = defaultdict(list)
    for claim in claims:
        if claim.multi_day:
            by_person[claim.professional_id].append(claim)
    partners: dict[int, tuple[ClaimFacts, list[ClaimFacts]]] = {}
    for group in by_person.values():
        group.sort(key=lambda c: (c.start_date, c.id))
        for i, first in enumerate(group):
            for second in group[i + 1:]:
                if second.start_date > first.end_date:
                    break
                partners.setdefault(first.id, (first, []))[1].append(second)
                partners.setdefault(second.id, (second, []))[1].append(first)
    findings = []
    for _, (claim, others) in sorted(partners.items()):
        others = sorted(others, key=lambda c: c.id)
        evidence = {"claim": _dates(claim), "overlapping": [_dates(other) for other in others]}
        findings.append(_finding(Rule.OVERLAPPING_SESSIONS, _ref(claim), claim.professional_id, evidence,
                                 [o.id for o in others]))
    return findings


def _dates(claim: ClaimFacts) -> dict:
    return {"claim": claim.id, "start": claim.start_date.isoformat(), "end": claim.end_date.isoformat(),
            "hours": str(claim.hours)}


def unknown_provider(claims: Iterable[ClaimFacts], known: KnownProviders) -> list[Finding]:
    """A claim whose provider is neither a CE base nor a platform approved for its year.

    Unit-organised training under an item of the unit's filed plan (rule 7) is known as well: services leave
    it out of the candidates.
    """
    findings = []
    for claim in sorted(claims, key=lambda c: c.id):
        if claim.provider_base_id is not None or known.knows(claim.provider_name, claim.year):
            continue
        evidence = {"provider_name": claim.provider_name, "year": claim.year}
        findings.append(_finding(Rule.UNKNOWN_PROVIDER, _ref(claim), claim.professional_id, evidence,
                                 claim.provider_name))
    return findings


def no_training_plan(claims: Iterable[PlanLinkFacts]) -> list[Finding]:
    """Unit-organised training that names no item of its own unit's filed plan for the year (rule 7)."""
    findings = []
    for claim in sorted(claims, key=lambda c: c.id):
        if (claim.plan_item_id is not None and claim.plan_filed and claim.plan_unit_id == claim.unit_id
                and claim.plan_year == claim.year):
            continue
        evidence = {"unit": claim.unit_id, "year": claim.year, "plan_item": claim.plan_item_id}
        findings.append(_finding(Rule.NO_TRAINING_PLAN, ("claim", claim.id), claim.professional_id, evidence,
                                 claim.unit_id, claim.plan_item_id))
    return findings

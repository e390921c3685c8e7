"""Reads of the shortfall coach: who is behind on the year's requirement, and the messages they and their
units' reviewers get (`shortfall_messages`, which the sending service and `show_shortfall_messages` share).

Whose list a person is on, their hours and whether they are on record are the compliance list's
(`records.compliance.selectors`): the SQL twin `compliant_q` leaves out those who met the requirement, so
the city's 200,000 people cost a query per 200 units, and `assess` words what each still lacks.
"""
import datetime as dt
from collections.abc import Iterator
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from django.conf import settings
from django.urls import reverse

from audits.coach.rules import Provider, Providers, person_text, unit_text
from platforms.registry.selectors import active_training_bases, approved_platforms
from records.compliance.selectors import compliant_q, with_year_hours, year_employments
from records.hours.models import RequirementPolicy, SubjectCategory
from records.hours.rules import Assessment, assess
from records.people.models import Professional, Unit

# The city's 3,000 units in 15 queries; the biggest batch holds some 13,000 people.
UNITS_PER_QUERY = 200


class Behind(NamedTuple):
    professional_id: int
    name: str
    user_id: int | None  # no account yet: on the unit's list, but no message of their own
    unit_id: int
    unit_name: str
    assessment: Assessment


class PersonMessage(NamedTuple):
    person: Behind
    text: str


class UnitMessages(NamedTuple):
    unit_id: int
    people: list[PersonMessage]
    text: str  # the unit reviewers' list


def people_behind(year: int, *, requirement, professional_id: int | None = None,
                  unit_id: int | None = None) -> Iterator[Behind]:
    """The year's people short of the requirement, by unit and name. Not those the portal holds nothing
    about for the year (无记录, `no_record_q`), nor registrations not (or not yet) accepted by a unit.

    Read `UNITS_PER_QUERY` units at a time, each batch whole: a server-side cursor over the city (what
    `.iterator()` opens) is planned for its first rows and took 13 s for 20,000 people where the same query
    read whole takes 0.2 s (bench/results/shortfall.txt)."""
    rows = (with_year_hours(year_employments(year), year)
            .filter(professional__status=Professional.Status.ACTIVE, no_record=False)
            .exclude(compliant_q(requirement))
            .values_list("professional_id", "professional__name", "professional__user_id", "unit_id",
                         "unit__name", "public_hours", "professional_hours")
            .order_by("unit_id", "professional__name", "professional_id"))
    if professional_id is not None:
        batches = [rows.filter(professional_id=professional_id)]
    else:
        units = [unit_id] if unit_id is not None else list(Unit.objects.order_by("pk").values_list("pk", flat=True))
        batches = (rows.filter(unit_id__in=units[i:i + UNITS_PER_QUERY]) for i in range(0, len(units), UNITS_PER_QUERY))
    for batch in batches:
        for pk, name, user_id, unit, unit_name, public, professional in batch:
            assessment = assess(public, professional, requirement)
            # `compliant_q` only narrows the read; `assess` is the rule, so should the two ever disagree
            # nobody compliant is told they are short.
            if not assessment.compliant:
                yield Behind(pk, name, user_id, unit, unit_name, assessment)


def providers_of(year: int) -> Providers:
    platforms = approved_platforms(year)
    return Providers(
        public=tuple(Provider(p.name, p.href) for p in platforms[SubjectCategory.PUBLIC]),
        professional=tuple(Provider(p.name, p.href) for p in platforms[SubjectCategory.PROFESSIONAL]),
        bases=tuple(base.name for base in active_training_bases()),
    )


def providers_link(year: int) -> str:
    """The public page of the year's platforms and CE bases, inside the portal."""
    return f"{reverse('platforms:providers')}?year={year}"


def unit_list_link(year: int, unit_id: int) -> str:
    """The unit's compliance list of the year, the people not compliant only."""
    return f"{reverse('records:compliance')}?year={year}&unit={unit_id}&compliant=no"


def shortfall_messages(*, today: dt.date, professional_id: int | None = None,
                       unit_id: int | None = None) -> Iterator[UnitMessages]:
    """Per unit with someone behind on `today`'s year: each such person's message and the unit's list.
    Filtered to one person or one unit, the unit's list holds only who the filter kept."""
    year = today.year
    requirement = RequirementPolicy.objects.for_year(year)
    close = requirement.filing_close
    providers = providers_of(year)
    providers_url = settings.SITE_URL.rstrip("/") + providers_link(year)
    behind = people_behind(year, requirement=requirement, professional_id=professional_id, unit_id=unit_id)
    texts: dict[Assessment, str] = {}  # a person's text depends on their shortfall alone: written once for each

    def text_for(assessment: Assessment) -> str:
        if assessment not in texts:
            texts[assessment] = person_text(year=year, today=today, assessment=assessment, requirement=requirement,
                                            filing_close=close, providers=providers, providers_url=providers_url)
        return texts[assessment]

    for unit, people in groupby(behind, key=attrgetter("unit_id")):
        people = list(people)
        yield UnitMessages(
            unit_id=unit,
            people=[PersonMessage(p, text_for(p.assessment)) for p in people],
            text=unit_text(year=year, today=today, unit_name=people[0].unit_name, filing_close=close,
                           behind=[(p.name, p.assessment) for p in people]),
        )

"""The shortfall coach's sending (issue 14): on 1 September, 1 November and 1 December every person behind on
the year's requirement is told what is missing and where to learn it, and each unit's reviewers get one list
of their staff who are behind.

Written to the notification queue (`create_and_email`), which mails what it can at once and leaves the rest
to `mail_pending_notifications`: Redis or the mail server being down loses nothing. Each notice's key names
the person (or reviewer and unit), the kind and the day, so a second run that day writes nothing. The city's
200,000 people are a query per 200 units and bulk inserts of `FLUSH` notices, never a query per person.
"""
import datetime as dt

from audits.coach.selectors import providers_link, shortfall_messages, unit_list_link
from audits.review.models import Notification
from audits.review.services import SUBJECTS, create_and_email
from records.people.access import scope_holders

FLUSH = 2000


def shortfall_messages_send(*, today: dt.date, now: dt.datetime) -> int:
    """Write (and mail) the day's shortfall messages; returns how many notices were new."""
    year = today.year
    reviewers = scope_holders("unit_ids")
    day = today.isoformat()
    to_people: list[Notification] = []
    to_units: list[Notification] = []
    created = 0
    for unit in shortfall_messages(today=today):
        to_people += [
            Notification(user_id=m.person.user_id, kind="shortfall", text=m.text, link=providers_link(year),
                         created_at=now, dedupe_key=f"shortfall:{m.person.user_id}:{day}")
            for m in unit.people if m.person.user_id is not None
        ]
        to_units += [
            Notification(user_id=user_id, kind="shortfall_unit", text=unit.text, link=unit_list_link(year, unit.unit_id),
                         created_at=now, dedupe_key=f"shortfall_unit:{user_id}:{unit.unit_id}:{day}")
            for user_id in reviewers.get(unit.unit_id, ())
        ]
        if len(to_people) + len(to_units) >= FLUSH:
            created += _flush(to_people, to_units, now=now)
            to_people, to_units = [], []
    return created + _flush(to_people, to_units, now=now)


def _flush(to_people: list[Notification], to_units: list[Notification], *, now: dt.datetime) -> int:
    return (create_and_email(to_people, now=now, subject=SUBJECTS["shortfall"])
            + create_and_email(to_units, now=now, subject=SUBJECTS["shortfall_unit"]))

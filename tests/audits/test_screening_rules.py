"""The screening rules on plain facts: each with a case it flags and one it must not flag."""
import datetime as dt
import hashlib
from decimal import Decimal as D

from audits.screening.rules import (
    ClaimFacts, EvidenceFacts, KnownProviders, PlatformFacts, Rule, daily_hours, overlapping_sessions,
    same_certificate_no, same_evidence, unknown_provider,
)

MONDAY = dt.date(2025, 9, 22)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def facts(pk, person, start=MONDAY, days=1, hours="4", **extra) -> ClaimFacts:
    return ClaimFacts(pk, person, start.year, start, start + dt.timedelta(days=days - 1), D(hours), **extra)


def subjects(findings) -> set:
    return {(f.claim_id, f.platform_record_id) for f in findings}


def test_same_file_in_claims_of_two_people_flags_both_claims():
    findings = same_evidence([EvidenceFacts(1, 10, 100, sha("a")), EvidenceFacts(2, 20, 200, sha("a")),
                              EvidenceFacts(3, 30, 300, sha("b"))])
    assert subjects(findings) == {(10, None), (20, None)}
    assert all(f.rule == Rule.SAME_EVIDENCE and f.evidence["people"] == 2 for f in findings)
    assert {f["claim"] for f in findings[0].evidence["files"]} == {10, 20}


def test_same_file_in_two_claims_of_one_person_is_flagged():
    findings = same_evidence([EvidenceFacts(1, 10, 100, sha("a")), EvidenceFacts(2, 11, 100, sha("a"))])
    assert subjects(findings) == {(10, None), (11, None)}
    assert findings[0].evidence["people"] == 1


def test_distinct_files_and_one_file_twice_in_one_claim_are_not_flagged():
    assert same_evidence([EvidenceFacts(1, 10, 100, sha("a")), EvidenceFacts(2, 10, 100, sha("a")),
                          EvidenceFacts(3, 20, 200, sha("b"))]) == []


def test_a_session_file_is_one_use_among_its_attendees_and_flags_only_its_reuse_outside():
    # Claims 10 and 20 name session file 7; claim 30 carries the same bytes as a file of its own.
    session = [EvidenceFacts(1, 10, 100, sha("sheet"), 7), EvidenceFacts(2, 20, 200, sha("sheet"), 7)]
    assert same_evidence(session) == []
    outside = same_evidence([*session, EvidenceFacts(3, 30, 300, sha("sheet"))])
    assert subjects(outside) == {(30, None)}
    assert {f["claim"] for f in outside[0].evidence["files"]} == {10, 20, 30}
    # The same file kept by a second session: every claim of both.
    assert subjects(same_evidence([*session, EvidenceFacts(4, 40, 400, sha("sheet"), 8)])) == {
        (10, None), (20, None), (40, None)}


def test_one_certificate_number_of_two_people_flags_every_claim_with_it():
    findings = same_certificate_no([facts(1, 100, external_certificate_no="PDS-2025-0427"),
                                    facts(2, 200, external_certificate_no="PDS-2025-0427"),
                                    facts(3, 300, external_certificate_no="PDS-2025-0001")])
    assert subjects(findings) == {(1, None), (2, None)}
    assert findings[0].evidence["certificate_no"] == "PDS-2025-0427"


def test_certificate_numbers_of_one_person_or_left_blank_are_not_flagged():
    assert same_certificate_no([facts(1, 100, external_certificate_no="PDS-2025-0427"),
                                facts(2, 100, external_certificate_no="PDS-2025-0427"),
                                facts(3, 200), facts(4, 300)]) == []


def test_more_than_ten_hours_on_one_day_flags_every_record_of_that_day():
    findings = daily_hours([facts(1, 100, hours="6"), facts(2, 100, hours="4")],
                           [PlatformFacts(7, 100, MONDAY, D("1.5"))])
    assert subjects(findings) == {(1, None), (2, None), (None, 7)}
    (day,) = findings[0].evidence["days"]
    assert day["date"] == "2025-09-22" and day["hours"] == "11.5"


def test_a_multi_day_claim_counts_its_share_on_each_day():
    # 30 hours over three days is 10 a day: allowed; one more hour on the middle day is not.
    workshop = facts(1, 100, days=3, hours="30")
    assert daily_hours([workshop], []) == []
    findings = daily_hours([workshop], [PlatformFacts(7, 100, MONDAY + dt.timedelta(days=1), D("1"))])
    assert subjects(findings) == {(1, None), (None, 7)}
    assert [d["date"] for d in findings[0].evidence["days"]] == ["2025-09-23"]


def test_exactly_ten_hours_or_hours_of_different_people_are_not_flagged():
    # Thirds must add up exactly: 10/3 + 20/3 is 10, not a hair more.
    assert daily_hours([facts(1, 100, days=3, hours="10"), facts(2, 100, days=3, hours="20")], []) == []
    assert daily_hours([facts(1, 100, hours="8"), facts(2, 200, hours="8")], []) == []


def test_overlapping_multi_day_sessions_are_flagged_on_both_sides():
    findings = overlapping_sessions([facts(1, 100, days=3), facts(2, 100, start=MONDAY + dt.timedelta(days=2), days=2)])
    assert subjects(findings) == {(1, None), (2, None)}
    assert findings[0].evidence["overlapping"][0]["claim"] == 2


def test_back_to_back_sessions_one_day_events_and_other_people_do_not_overlap():
    assert overlapping_sessions([
        facts(1, 100, days=3), facts(2, 100, start=MONDAY + dt.timedelta(days=3), days=2),  # back to back
        facts(3, 100, start=MONDAY + dt.timedelta(days=1)),  # a one-day lecture inside a workshop
        facts(4, 200, days=3),  # someone else
    ]) == []


def test_a_provider_that_is_no_base_and_no_platform_approved_that_year_is_flagged():
    known = KnownProviders(frozenset({"平顶山学院"}), {2025: frozenset({"河南专技在线"})})
    findings = unknown_provider([
        facts(1, 100, provider_name="鹰城速成培训中心"),
        facts(2, 100, start=dt.date(2024, 5, 6), provider_name="河南专技在线"),  # not approved for 2024
    ], known)
    assert subjects(findings) == {(1, None), (2, None)}
    assert findings[0].evidence == {"provider_name": "鹰城速成培训中心", "year": 2025}


def test_a_base_or_a_platform_approved_that_year_is_a_known_provider():
    known = KnownProviders(frozenset({"平顶山学院"}), {2025: frozenset({"河南专技在线"})})
    assert unknown_provider([
        facts(1, 100, provider_name="平顶山学院"), facts(2, 100, provider_name="河南专技在线"),
        facts(3, 100, provider_base_id=4, provider_name=""),
    ], known) == []


def test_the_same_facts_give_the_same_keys_and_a_new_partner_a_new_key():
    first = daily_hours([facts(1, 100, hours="6"), facts(2, 100, hours="6")], [])
    again = daily_hours([facts(2, 100, hours="6"), facts(1, 100, hours="6")], [])
    assert [f.dedupe_key for f in first] == [f.dedupe_key for f in again]
    third = daily_hours([facts(1, 100, hours="6"), facts(2, 100, hours="6"), facts(3, 100, hours="1")], [])
    assert {f.dedupe_key for f in third}.isdisjoint({f.dedupe_key for f in first})
    assert all(len(f.dedupe_key) <= 100 for f in third)

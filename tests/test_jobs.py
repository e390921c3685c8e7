"""When background work is taken for lost (ce_portal/jobs.py): table tests of the pure rule."""
import datetime as dt

import pytest

from ce_portal.jobs import MAX_ATTEMPTS, Verdict, job_verdict, stalled_reason

NOW = dt.datetime(2025, 10, 15, 10, 0, tzinfo=dt.timezone.utc)
LIMIT = dt.timedelta(minutes=5)


@pytest.mark.parametrize(("under_way", "silent_for", "attempts", "verdict"), [
    (True, dt.timedelta(0), 1, Verdict.WAIT),
    (True, LIMIT, 1, Verdict.WAIT),  # exactly at the limit: still within it
    (True, LIMIT + dt.timedelta(seconds=1), 1, Verdict.REQUEUE),
    (True, LIMIT + dt.timedelta(seconds=1), 0, Verdict.REQUEUE),  # never taken up: its message was lost
    (True, dt.timedelta(days=3), 0, Verdict.REQUEUE),  # however long the broker was down
    (True, LIMIT + dt.timedelta(seconds=1), MAX_ATTEMPTS - 1, Verdict.REQUEUE),
    (True, LIMIT + dt.timedelta(seconds=1), MAX_ATTEMPTS, Verdict.GIVE_UP),
    (True, LIMIT, MAX_ATTEMPTS, Verdict.WAIT),  # out of attempts but still moving: let it finish
    (False, dt.timedelta(days=3), MAX_ATTEMPTS, Verdict.WAIT),  # finished or failed: nothing to do
])
def test_a_job_under_way_is_stalled_once_silent_beyond_its_limit_and_given_up_after_its_attempts(
        under_way, silent_for, attempts, verdict):
    assert job_verdict(under_way=under_way, last_progress_at=NOW - silent_for, attempts=attempts, now=NOW,
                       time_limit=LIMIT) is verdict


def test_the_reason_given_says_how_often_it_was_tried_and_what_to_do():
    assert stalled_reason(3) == "后台任务已中断 3 次，未能完成；请重新申请。如再次失败，请联系系统管理员。"

"""When background work is taken for lost, and what then: pure rules, values in and values out.

Background work (a certificate bundle, an XLSX export, a certificate's PDF) is a database row plus a broker
message. The message can be lost: the embedded filesystem broker forgets a message once a worker has taken
it, so a worker killed mid-build leaves its row "running" for ever; and while Redis is down nothing can be
queued at all. The row is the truth. Each row says when its work last moved (its heartbeat); a periodic
sweep asks `job_verdict` about every row still under way and queues the work again, a bounded number of
times, before saying it failed and why. A new request after that failure starts anew.
"""
import datetime as dt
import enum

# Times a job may be taken up by a worker before the sweep gives up on it: one death is bad luck, three in
# a row say the job itself kills its worker (a bundle too big for memory) and more tries would do the same.
MAX_ATTEMPTS = 3


def stalled_reason(attempts: int) -> str:
    """What the person reads on a job the sweep gave up on."""
    return f"后台任务已中断 {attempts} 次，未能完成；请重新申请。如再次失败，请联系系统管理员。"


class Verdict(enum.Enum):
    WAIT = "wait"  # moving, or not stalled yet: leave it alone
    REQUEUE = "requeue"  # stalled: queue it again
    GIVE_UP = "give_up"  # stalled and out of attempts: mark it failed


def job_verdict(*, under_way: bool, last_progress_at: dt.datetime, attempts: int, now: dt.datetime,
                time_limit: dt.timedelta, max_attempts: int = MAX_ATTEMPTS) -> Verdict:
    """A job is stalled when it is queued or running and has not progressed within its time limit.

    `attempts` counts the times a worker took it up. A job never taken up (its message lost, the broker
    down) is queued again however long that lasts: nothing says it cannot be done.
    """
    if not under_way or now - last_progress_at <= time_limit:
        return Verdict.WAIT
    if attempts >= max_attempts:
        return Verdict.GIVE_UP
    return Verdict.REQUEUE

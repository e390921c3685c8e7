"""What failed log-ins lock: django-axes counts them (AXES_HANDLER in settings names the handler below).

Ten wrong passwords lock the pair (username, client address) only, never the account everywhere: an
attacker who knows a name cannot keep its owner out, who still logs in from any other address, and the
colleagues behind the same address (a hospital's one NAT) keep logging in under their own names. Guessing
many names from one address meets a second, higher cap: that many failures from one address, whatever the
names, lock the address for every name until the cool-off has passed.
"""
from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render


def lockout_failures(*, pair_failures: int, address_failures: int, pair_limit: int, address_limit: int) -> int:
    """The one count that axes compares with its one limit (`pair_limit`, AXES_FAILURE_LIMIT): the pair's
    own failures, or at least the limit once the address has reached its cap."""
    if address_failures >= address_limit:
        return max(pair_failures, pair_limit)
    return pair_failures


class PairAndAddressLockoutHandler(AxesDatabaseHandler):
    """axes' database handler, locking by AXES_LOCKOUT_PARAMETERS (the pair) plus the per-address cap
    LOGIN_ADDRESS_FAILURE_LIMIT."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        address_failures = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request),
        ).aggregate(n=Sum("failures_since_start"))["n"] or 0
        return lockout_failures(
            pair_failures=super().get_failures(request, credentials), address_failures=address_failures,
            pair_limit=get_failure_limit(request, credentials), address_limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        )


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out log-in gets (AXES_LOCKOUT_CALLABLE): in Chinese, with the wait in minutes."""
    minutes = int(get_cool_off(request).total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes},
                  status=settings.AXES_HTTP_RESPONSE_CODE)

"""The pages' one way to show a refusal (ce_portal/errors.py): as a message, or on a form's field; NotFound is 404."""
import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import Http404
from django.test import RequestFactory

from ce_portal.errors import DomainError, NotFound, refusal_as_message, refusal_on_form


@pytest.fixture
def request_():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


def texts(request) -> list[str]:
    return [str(m) for m in get_messages(request)]


def test_a_refusal_becomes_the_message_and_stops_the_block(request_):
    reached = []
    with refusal_as_message(request_, "未处理："):
        raise DomainError("该申报已有新的处理，请刷新页面后再操作。", code="stale")
        reached.append("after")  # noqa: B018 — never runs
    assert texts(request_) == ["未处理：该申报已有新的处理，请刷新页面后再操作。"]
    assert not reached


def test_without_a_refusal_the_block_runs_to_its_end_and_no_message_is_left(request_):
    reached = []
    with refusal_as_message(request_):
        reached.append("done")
    assert reached == ["done"] and texts(request_) == []


@pytest.mark.parametrize("helper", ["message", "form"])
def test_out_of_scope_or_absent_is_404(request_, helper):
    context = refusal_as_message(request_) if helper == "message" else refusal_on_form(forms.Form())
    with pytest.raises(Http404, match="未找到该单位"):
        with context:
            raise NotFound("未找到该单位。")
    assert texts(request_) == []


def test_other_errors_are_not_refusals(request_):
    with pytest.raises(ZeroDivisionError):
        with refusal_as_message(request_):
            1 / 0


class YearForm(forms.Form):
    year = forms.IntegerField()


def test_a_refusal_goes_next_to_the_field_it_names_or_above_the_form():
    form = YearForm({"year": "2031"})
    assert form.is_valid()

    with refusal_on_form(form):
        raise DomainError("2031 年尚未开始。", code="year_in_future", field="year")
    with refusal_on_form(form):
        raise DomainError("只有市人社局可以批准补学豁免。", code="not_city_hr", field="not_a_field")

    assert form.errors == {"year": ["2031 年尚未开始。"], "__all__": ["只有市人社局可以批准补学豁免。"]}
    assert form.has_error("year", code="year_in_future") and not form.is_valid()

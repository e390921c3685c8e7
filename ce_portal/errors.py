"""Refusals: a `DomainError` carries a Chinese message a person can act on and a stable code a program can
test; `NotFound` is answered like a page outside one's scope (404). This module is the one place where they
become responses: next to a form field (`add_domain_error`) and in the API, as
{"code": ..., "message": ..., "errors": {...}} (`exception_handler`, named in settings.REST_FRAMEWORK), the
body the OpenAPI schema calls `Error` (`ErrorSerializer`, `error_responses`).
"""
from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A refused action: `code` is stable for API clients, `message` is what a person reads (Chinese)."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class NotFound(DomainError):
    """Outside the actor's scope or absent: the two look the same from outside (404, never another's data)."""

    code = "not_found"
    status = 404


def add_domain_error(form: forms.Form, exc) -> None:
    """Show a service's refusal next to the field it is about (or above the form)."""
    for error in getattr(exc, "errors", [exc]):
        form.add_error(error.field if error.field in form.fields else None,
                       ValidationError(error.message, code=error.code))


# The pages' one way to tell a person that a service refused (the API's is exception_handler below). Around
# the service call and what follows its success, in a view:
#
#     with refusal_as_message(request, "未处理："):       # or: with refusal_on_form(form):
#         decision = review_decide(...)
#         messages.success(request, ...)
#         return redirect("review:queue")
#     return redirect("review:claim", pk=pk)             # refused: back where the person acted
#
# A refusal stops the block and the view goes on after it; the service changed nothing (it refuses before
# it writes, or inside its transaction). Out of the person's scope or absent (NotFound) is 404 everywhere.


@contextmanager
def _refusals(show):
    try:
        yield
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        show(exc)


def refusal_as_message(request, prefix: str = ""):
    """A refusal becomes an error message (`prefix` + its text) on the page the view then shows or
    redirects to: for actions posted from a page that is shown again."""
    return _refusals(lambda exc: messages.error(request, f"{prefix}{exc.message}"))


def refusal_on_form(form: forms.Form):
    """A refusal becomes an error of `form`, next to the field it names (above the form when it names
    none): for form pages, which the view renders again."""
    return _refusals(lambda exc: add_domain_error(form, exc))


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {
            field: [{"code": getattr(e, "code", "invalid"), "message": str(e)} for e in errors]
            if isinstance(errors, list)
            else _field_errors(errors)
            for field, errors in detail.items()
        }
    return {"non_field_errors": [{"code": getattr(e, "code", "invalid"), "message": str(e)} for e in detail]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        first = next(iter(errors.values()))
        first = first[0] if isinstance(first, list) else {"code": "invalid"}
        return Response(
            {"code": first.get("code", "invalid"), "message": "提交的数据有误", "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.ParseError):
        return Response({"code": "malformed_json", "message": f"请求体不是合法的 JSON：{exc.detail}"}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = {"code": exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code,
                         "message": str(exc.detail)}
    return response


class ErrorSerializer(serializers.Serializer):
    """What `exception_handler` answers, for the OpenAPI schema (component `Error`): every API refusal."""

    code = serializers.CharField(help_text="稳定的错误代码，供程序判断（如 not_found、invalid_id_number）。")
    message = serializers.CharField(help_text="中文说明。")
    field = serializers.CharField(required=False, help_text="与该错误相关的字段（如有）。")
    errors = serializers.DictField(required=False, help_text="逐字段的错误：字段名 → [{code, message}]。")


def error_responses(described: dict[int, str]) -> dict[int, OpenApiResponse]:
    """The refusals an API operation documents, {status: when it is answered}, each with the `Error` body."""
    return {status_code: OpenApiResponse(ErrorSerializer, description=text) for status_code, text in described.items()}

"""One place where refusals become API responses: {"code": ..., "message": ..., "errors": {...}}."""
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


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

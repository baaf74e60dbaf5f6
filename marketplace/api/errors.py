"""One error format for the whole API: {"error": {"code", "message", "fields"}}, in Chinese."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _fields(detail) -> dict[str, list[str]]:
    if not isinstance(detail, dict):
        return {}
    return {name: _flatten(value) for name, value in detail.items()}


def _is_invalid_cursor(exc) -> bool:
    """DRF's cursor pagination answers a cursor it cannot decode with 404, as if the list were
    missing; for the API that is invalid input, like a bad filter (400, as documented)."""
    return isinstance(exc, exceptions.NotFound) and str(exc.detail) == str(CursorPagination.invalid_cursor_message)


def exception_handler(exc, context):
    """Turn every exception DRF handles (and Django's ValidationError from services) into the
    project's error envelope. Unexpected exceptions still propagate (a real 500)."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif _is_invalid_cursor(exc):
        exc = exceptions.ValidationError({"cursor": [exc.detail]})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        non_field = fields.pop("non_field_errors", [])
        if not isinstance(exc.detail, dict):
            non_field = _flatten(exc.detail)
        message = non_field[0] if non_field else _("Some fields are invalid.")
        if non_field:
            fields["non_field_errors"] = non_field
        body = {"code": "invalid", "message": message, "fields": fields}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {"code": code if isinstance(code, str) else "error", "message": " ".join(_flatten(detail)), "fields": {}}
    response.data = {"error": body}
    return response


def error_response(code: str, message: str, *, http_status=status.HTTP_400_BAD_REQUEST, fields=None) -> Response:
    return Response({"error": {"code": code, "message": message, "fields": fields or {}}}, status=http_status)

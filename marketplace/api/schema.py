"""OpenAPI generation: every operation documents the project's error envelope for its 4xx."""

import uritemplate
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Send the same key to retry a POST safely: the first response is returned again "
    "(with Idempotent-Replayed: true) and nothing is written twice. 1–255 printable characters.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


class MarketAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        errors = {"404": "Not found, or not visible to the caller"}
        if method in ("POST", "PUT", "PATCH"):
            errors["400"] = "Invalid input; field errors in error.fields"
        elif method == "DELETE":
            errors["400"] = "Refused in the current state; the reason in error.message"
        # Any operation: an invalid or expired bearer token is 401, a token without the scope 403.
        errors["401"] = "Not authenticated, or the bearer token is invalid or expired"
        errors["403"] = "Not allowed, or the partner token lacks the scope"
        if method == "POST":
            errors["409"] = "A request with the same Idempotency-Key is still being processed"
            errors["422"] = "The Idempotency-Key was used for a different request"
        if method == "GET" and self._is_list_view():
            if not uritemplate.variables(self.path):
                errors.pop("404")  # only a top-level list: a nested one's parent (…/{id}/bids/) may be missing
            errors["400"] = "Invalid filter or cursor"
        if self.view.get_throttles():
            errors["429"] = "Too many requests; retry after the Retry-After header's seconds"
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), code, direction=direction
                )
        return responses

    def _get_parameters(self):
        parameters = super()._get_parameters()
        if self.method.upper() == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        for parameter in parameters:
            # Ids in paths are positive: nested routes match only digits, [0-9]+, so a negative
            # id would not even reach the API.
            if parameter["in"] == "path" and parameter.get("schema", {}).get("type") == "integer":
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters

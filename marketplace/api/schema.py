"""OpenAPI generation: every operation documents the project's error envelope for its 4xx."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


class MarketAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        errors = {"404": "Not found, or not visible to the caller"}
        if method in ("POST", "PUT", "PATCH"):
            errors["400"] = "Invalid input; field errors in error.fields"
        if method != "GET" or self._is_private():
            errors["401"] = "Not authenticated"
            errors["403"] = "Authenticated but not allowed"
        if method == "GET" and self._is_list_view():
            errors.pop("404")
            errors["400"] = "Invalid filter or cursor"
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), code, direction=direction
                )
        return responses

    def _is_private(self) -> bool:
        from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly

        return not all(isinstance(p, (AllowAny, IsAuthenticatedOrReadOnly)) for p in self.view.get_permissions())

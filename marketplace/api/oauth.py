"""Partner systems' OAuth2 client-credentials tokens: scopes per application, authentication
that names the partner, scope checks against the catalogue, and per-partner throttles."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import SimpleRateThrottle

from marketplace.scopes import ANY_SCOPE, SCOPES, scope_for


def _partner_of(application):
    partner = getattr(application, "partner", None) if application is not None else None
    return partner if partner is not None and partner.is_active else None


class PartnerScopes(BaseScopes):
    """An application may ask for the scopes staff granted it, and gets all of them by default."""

    def get_all_scopes(self):
        return {name: str(description) for name, description in SCOPES.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        partner = _partner_of(application)
        return sorted(partner.scope_set & SCOPES.keys()) if partner else []

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request)


class PartnerValidator(OAuth2Validator):
    """Only applications of an active (not revoked) partner application get tokens."""

    def authenticate_client(self, request, *args, **kwargs):
        return super().authenticate_client(request, *args, **kwargs) and _partner_of(request.client) is not None

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        return _partner_of(request.access_token.application) is not None


class PartnerUser(AnonymousUser):
    """The caller behind a partner token: not a person, so every rule treats it as anonymous,
    except where a queryset asks for `partner_id` (the partner's own records)."""

    def __init__(self, partner_application):
        super().__init__()
        self.partner_application = partner_application
        self.partner_id = partner_application.organization_id

    def __str__(self) -> str:
        return f"partner:{self.partner_application.pk}"


class InvalidToken(exceptions.APIException):
    """401 for a bearer token that is unknown, expired or revoked (never a silent fall-back to
    anonymous access)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "invalid token"
    default_code = "invalid_token"


class PartnerTokenAuthentication(OAuth2Authentication):
    """`Authorization: Bearer <token>` from /o/token/. The token's scopes are checked here,
    against the catalogue entry of the route being called (marketplace/scopes.py), so no
    view can forget to."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.lower().startswith("bearer "):
            return None
        # The token library reads form parameters from the body; given DRF's request it would parse the
        # body with the view's parsers, and a body the view cannot parse would answer 415 before the
        # token and its scope were checked. Django's own request reads forms only and leaves the rest.
        result = super().authenticate(request._request)
        if result is None:
            raise InvalidToken(_("The access token is invalid, expired or revoked. Ask /o/token/ for a new one."))
        token = result[1]
        partner = _partner_of(token.application)
        if partner is None:
            raise InvalidToken(_("The access token is invalid, expired or revoked. Ask /o/token/ for a new one."))
        self._check_scope(request, token)
        return PartnerUser(partner), token

    @staticmethod
    def _check_scope(request, token) -> None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        basename = getattr(view, "basename", None)
        if basename is None:
            return  # not a router collection: the schema and the documentation are public
        needed = scope_for(basename, safe=request.method in SAFE_METHODS)
        if needed is None:
            raise exceptions.PermissionDenied(_("Partner credentials cannot be used on this endpoint."))
        if needed != ANY_SCOPE and needed not in token.scope.split():
            raise exceptions.PermissionDenied(
                _("The access token lacks the scope “%(scope)s” this endpoint needs.") % {"scope": needed}
            )


def partner_application_of(request):
    """The PartnerApplication behind the request's token, or None for people and visitors."""
    return getattr(getattr(request, "user", None), "partner_application", None)


class PartnerRateThrottle(SimpleRateThrottle):
    """Requests per partner application (on Redis when REDIS_URL is set): the application's own
    limit, or PARTNER_RATE. People and visitors are not counted here."""

    scope = "partner"

    def allow_request(self, request, view):
        self.partner = partner_application_of(request)
        if self.partner is None:
            return True
        self.rate = self.partner.throttle_rate or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["partner"]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return None  # set per request in allow_request

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.partner.pk}


class IsPartner(BasePermission):
    """A partner token (its scope for the route was checked when it authenticated)."""

    message = _("Only partner systems use this endpoint, with their OAuth2 token.")

    def has_permission(self, request, view):
        return partner_application_of(request) is not None


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of partner tokens: client credentials at /o/token/, and per
    operation the scope the catalogue names (none: the operation is closed to partners)."""

    target_class = PartnerTokenAuthentication
    name = "partnerOAuth2"

    def get_security_requirement(self, auto_schema):
        basename = getattr(auto_schema.view, "basename", None)
        needed = scope_for(basename, safe=auto_schema.method.upper() in SAFE_METHODS)
        if needed is None:
            return []
        return {self.name: [] if needed == ANY_SCOPE else [needed]}

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": str(_("Partner systems: OAuth2 client credentials (docs/api.md).")),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/o/token/",
                    "scopes": {name: str(description) for name, description in SCOPES.items()},
                }
            },
        }

"""Abuse limits: how often one address or one user may log in, register, ask for a password
reset, send inquiries and responses, subscribe to the digest, and call the API.

The rates live in one settings dict, `ABUSE_LIMITS` (each overridable from the environment);
what each limit counts by (the client's address or the user) is fixed here. Counters are kept
in the default cache — Redis when REDIS_URL is set, so every web process shares them — by
django-ratelimit for the pages and by DRF throttles for the API. A page over its limit answers
429 with templates/429.html; the API answers 429 in its error format, both with Retry-After.

django-axes still locks a username + address pair after repeated failed log-ins; the "login"
limit here caps how many log-in attempts one address makes at all (many usernames each tried a
few times stay under axes' threshold).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

# What each page limit counts by: "ip" (the client's address) or "user" (the logged-in user).
LIMIT_KEYS = {
    "login": "ip",
    "register": "ip",
    "password_reset": "ip",
    "subscription": "ip",
    "inquiry": "user",
    "response": "user",
}


def client_ip(request) -> str:
    """The client's address. Behind PROXY_COUNT trusted proxies (the same setting django-axes
    uses) it is that many entries from the right of X-Forwarded-For: entries further left are
    whatever the client chose to send, and trusting them would let anyone pick a fresh counter."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def _key_by_ip(group, request) -> str:
    return client_ip(request)


def _key_by_user(group, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


_KEY_FUNCTIONS = {"ip": _key_by_ip, "user": _key_by_user}


def limit_usage(request, name: str, *, increment: bool) -> dict | None:
    """The counter of limit `name` for this request (django-ratelimit's usage dict: count,
    limit, should_limit, time_left), counting this request when `increment`. None when the limit
    is switched off (RATELIMIT_ENABLE) or has no rate."""
    rate = settings.ABUSE_LIMITS.get(name)
    if not rate:
        return None
    return get_usage(
        request,
        group=f"abuse:{name}",
        key=_KEY_FUNCTIONS[LIMIT_KEYS[name]],
        rate=rate,
        method=["POST"],
        increment=increment,
    )


def too_many_requests(request, *, retry_after: int):
    """The friendly 429 page: what happened and when to try again."""
    retry_after = max(int(retry_after), 1)
    minutes = max((retry_after + 59) // 60, 1)
    response = render(request, "429.html", {"retry_after_minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _is_field_check(request) -> bool:
    # htmx re-validates one field as the user types (marketplace.forms.base.live_validation);
    # those POSTs save nothing and must not use up the limit.
    return bool(request.headers.get("HX-Request")) and bool(request.POST.get("_validate"))


def abuse_limit(name: str, *, field_checks: bool = False):
    """Limit the POSTs of a view by the named limit of ABUSE_LIMITS; GETs are never counted.
    `field_checks=True` only for a view that answers every htmx field check (`_validate`) with
    `live_validation` and saves nothing then: those are not counted either. Anywhere else the
    header and field are the client's to send, and exempting them would switch the limit off.
    Works on function views and on `SomeView.as_view()` (wrap it in urls.py)."""
    if name not in LIMIT_KEYS:
        raise KeyError(f"Unknown abuse limit {name!r}; known: {sorted(LIMIT_KEYS)}")

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            if request.method == "POST" and not (field_checks and _is_field_check(request)):
                usage = limit_usage(request, name, increment=True)
                if usage is not None and usage["should_limit"]:
                    return too_many_requests(request, retry_after=usage["time_left"])
            return view(request, *args, **kwargs)

        return limited

    return decorator


# API ------------------------------------------------------------------------------------------


def _is_partner(request) -> bool:
    # Partner applications have their own limit (marketplace.api.oauth.PartnerRateThrottle).
    return getattr(getattr(request, "user", None), "partner_application", None) is not None


class _PeopleThrottle:
    """API callers with a session or none, at their ABUSE_LIMITS rate (the scope), counted by the
    client's address as the pages count it; partner applications keep their own limit."""

    def get_rate(self):
        return settings.ABUSE_LIMITS.get(self.scope)

    def allow_request(self, request, view):
        if _is_partner(request):
            return True
        return super().allow_request(request, view)

    def get_ident(self, request):
        return client_ip(request)


class SessionAnonRateThrottle(_PeopleThrottle, AnonRateThrottle):
    """Anonymous API callers, per address: ABUSE_LIMITS["api_anon"]."""

    scope = "api_anon"


class SessionUserRateThrottle(_PeopleThrottle, UserRateThrottle):
    """Logged-in people calling the API with their session, per user: ABUSE_LIMITS["api_user"]."""

    scope = "api_user"


class AbuseLimitThrottle(BaseThrottle):
    """The page limit a viewset names in `abuse_limit` ("inquiry", "response"), applied to its
    POSTs. It shares the counter of the page, so switching from the browser to the API gains
    nothing."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request, view):
        name = getattr(view, "abuse_limit", None)
        if name is None or request.method != "POST" or _is_partner(request):
            return True
        usage = limit_usage(request, name, increment=True)
        if usage is None or not usage["should_limit"]:
            return True
        self._wait = max(int(usage["time_left"]), 1)
        return False

    def wait(self):
        return self._wait

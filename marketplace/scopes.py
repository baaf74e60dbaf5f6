"""The catalogue of partner scopes, and which API routes each one opens.

A partner token reaches only the routes listed here, and only with the scope named for the
method (reads: GET/HEAD/OPTIONS; writes: everything else). A route that is not listed is closed
to partner tokens (403): their personal workspaces, conversations and reviews are for people.
Later apps add their scopes and routes here; `tests/partners/test_scopes.py` walks every API
route and fails on one the catalogue does not decide."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Scope → description (shown in the admin and the OpenAPI schema).
SCOPES: dict[str, str] = {
    "achievements:read": _("Read achievements, including the partner's own unpublished ones"),
    "achievements:write": _("Upsert and withdraw achievements by the partner's external reference"),
    "demands:read": _("Read public demands, challenges and pooled procurements"),
    "demands:write": _("Upsert and withdraw demands by the partner's external reference"),
    "contracts:read": _("Read registered technology contracts"),
    "contracts:write": _("Upsert registered technology contracts by the partner's external reference"),
    "webhooks": _("Register webhook endpoints and read their deliveries"),
    "pilots:read": _("Read the filed pilot bases and proof-of-concept centres"),
    "events:read": _("Read the public calendar of matchmaking events"),
}

# Any valid partner token may read these (public reference data).
ANY_SCOPE = "*"

# Router basename → (scope for reads, scope for writes); None: that half is closed to partners.
ROUTES: dict[str, tuple[str | None, str | None]] = {
    "organization": (ANY_SCOPE, None),
    "broker": (ANY_SCOPE, None),  # the public broker directory
    "industry-field": (ANY_SCOPE, None),
    "region": (ANY_SCOPE, None),
    "search": (ANY_SCOPE, None),
    "achievement": ("achievements:read", None),
    "achievement-by-ref": ("achievements:read", "achievements:write"),
    "match-achievements": ("achievements:read", None),
    "demand": ("demands:read", None),
    "demand-by-ref": ("demands:read", "demands:write"),
    "challenge": ("demands:read", None),
    "pooled-procurement": ("demands:read", None),
    "contract": ("contracts:read", None),
    "contract-by-ref": ("contracts:read", "contracts:write"),
    "stats": ("contracts:read", None),  # the statistics summary of registered contracts
    "pilot-base": ("pilots:read", None),
    "event": ("events:read", None),
    "webhook-endpoint": ("webhooks", "webhooks"),
    "webhook-delivery": ("webhooks", "webhooks"),
}

# Routes closed to partner tokens on purpose: people's workspaces, conversations, reviews,
# bids and deals are acted on by members of the organizations involved.
CLOSED = frozenset(
    {
        "favourite",
        "saved-search",
        "inquiry",
        "inquiry-message",
        "achievement-match",
        "evaluation",
        "demand-response",
        "demand-response-message",
        "demand-match",
        "challenge-bid",
        "challenge-objection",
        "pledge",
        "deal",
        "deal-payment",
        "engagement",
        "service-request",
        "event-registration",
    }
)


def scope_for(basename: str | None, *, safe: bool) -> str | None:
    """The scope a partner token needs for this route and method, ANY_SCOPE, or None (closed)."""
    reads, writes = ROUTES.get(basename or "", (None, None))
    return reads if safe else writes


def validate_scopes(scopes: str) -> list[str]:
    """The unknown names in a space-separated scope string."""
    return [name for name in scopes.split() if name not in SCOPES]

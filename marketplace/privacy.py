"""Personal data on public pages (PIPL 个人信息保护法): masking and who sees a full contact, and the
middleware that asks for consent again after the privacy notice changes.

The rule for contacts shown on public pages (pilot bases, demands, achievements' fallback): a visitor, or a
logged-in person with no verified organization, sees `138****1234` and `z***@example.com`; bureau staff and
members of a verified organization see the full phone and e-mail. Achievements keep their stricter rule
(the viewer's organization must have sent an inquiry: achievements.selectors.can_see_contact).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from marketplace import rules as market_rules
from marketplace.enums import VerificationStatus


def mask_phone(phone: str) -> str:
    """138****1234 for a mobile number; shorter numbers lose everything but their shape."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_email(email: str) -> str:
    """z***@example.com: the first character of the local part and the domain."""
    email = (email or "").strip()
    if not email:
        return ""
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def mask_name(name: str) -> str:
    """王** for a contact person's name: the family name only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def may_see_contact(user) -> bool:
    """Bureau staff and members of a verified organization see people's full phone and e-mail.
    Cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    cached = getattr(user, "_may_see_contact", None)
    if cached is None:
        organizations = list(market_rules.membership_roles(user))
        cached = market_rules.is_bureau_staff(user) or (
            bool(organizations)
            and user.memberships.filter(
                organization_id__in=organizations, organization__verification_status=VerificationStatus.VERIFIED
            ).exists()
        )
        user._may_see_contact = cached
    return cached


def phone_for(phone: str, user) -> str:
    return phone if may_see_contact(user) else mask_phone(phone)


def email_for(email: str, user) -> str:
    return email if may_see_contact(user) else mask_email(email)


# Pages where someone works with personal data of others; the notice must be agreed to first.
CONSENT_REQUIRED_PREFIXES = ("/workspace/",)


class PrivacyConsentMiddleware:
    """A logged-in person who has not agreed to the current privacy notice is sent to the consent page
    on their next page view in the workspace (GET only; forms in flight are never lost)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method == "GET"
            and request.path.startswith(CONSENT_REQUIRED_PREFIXES)
            and getattr(user, "is_authenticated", False)
            and hasattr(user, "has_current_privacy_consent")
            and not user.has_current_privacy_consent()
        ):
            url = f"{reverse('privacy-consent')}?{urlencode({'next': request.get_full_path()})}"
            if request.headers.get("HX-Request"):
                # An htmx partial would swap the consent page into a fragment: move the whole page.
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return redirect(url)
        return self.get_response(request)

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from marketplace import navigation as nav
from marketplace.selectors import active_membership, unread_notification_count


def navigation(request):
    """Header and workspace navigation for the current user's roles, and the unread count."""
    roles = nav.user_roles(request)
    context = {
        "market_name": settings.MARKET_NAME,
        "nav_public": nav.build(nav.PUBLIC_NAV, roles, request.path),
        "nav_workspace": nav.build(nav.WORKSPACE_NAV, roles, request.path),
        "nav_roles": roles,
    }
    if request.user.is_authenticated:
        context["active_membership"] = active_membership(request)
        context["user_memberships"] = getattr(request, "_memberships", [])
        context["unread_count"] = SimpleLazyObject(lambda: unread_notification_count(request.user))
    return context

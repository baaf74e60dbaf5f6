"""Object look-ups that check permission: what a user may not see does not exist for them."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404


def object_or_404(user, permission: str, queryset, **lookup):
    """The object, if it exists and `user` holds `permission` on it; Http404 otherwise.

    Refusing with 404 rather than 403 keeps other organizations' drafts and files from
    being discovered by guessing identifiers.
    """
    obj = get_object_or_404(queryset, **lookup)
    if not user.has_perm(permission, obj):
        raise Http404
    return obj

"""User accounts: registration (with a new organization or a join request) and profiles."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import Organization, User
from marketplace.services.organizations import join_request_create, organization_create

PROFILE_FIELDS = ("name", "email", "phone", "email_frequency")


def _check_email_free(email: str, *, exclude_pk=None) -> None:
    taken = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})


@transaction.atomic
def account_register(
    *,
    username: str,
    name: str,
    email: str,
    password: str,
    phone: str = "",
    organization_fields: dict | None = None,
    join_organization: Organization | None = None,
    join_message: str = "",
    privacy_consent_version: str = "",
) -> User:
    """Create a user and either a new organization (the user becomes its administrator) or a
    join request to an existing one. All or nothing: a bad organization leaves no user behind.
    `privacy_consent_version` is the privacy notice the person agreed to; its time is recorded with it.
    """
    if (organization_fields is None) == (join_organization is None):
        raise ValueError("exactly one of organization_fields and join_organization")
    email = User.objects.normalize_email(email.strip())
    _check_email_free(email)
    user = User(username=username.strip(), name=name.strip(), email=email, phone=phone.strip())
    if privacy_consent_version:
        user.privacy_consent_at = timezone.now()
        user.privacy_consent_version = privacy_consent_version
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if organization_fields is not None:
        try:
            organization_create(created_by=user, **organization_fields)
        except ValidationError as exc:
            # The registration form names the organization's fields organization_<field>.
            if hasattr(exc, "error_dict"):
                raise ValidationError(
                    {f"organization_{name}": errors for name, errors in exc.error_dict.items()}
                ) from exc
            raise
    else:
        join_request_create(user=user, organization=join_organization, message=join_message)
    return user


@transaction.atomic
def user_update_profile(*, user: User, **fields) -> User:
    """Change a user's own name, e-mail, phone or notification frequency."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "email" in fields:
        fields["email"] = User.objects.normalize_email(fields["email"].strip())
        _check_email_free(fields["email"], exclude_pk=user.pk)
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=[*fields])
    return user

"""Pooled R&D procurement (集采研发): enterprises pledge to a shared need; at the threshold it
is funded and proceeds as a challenge; at the deadline without it, it lapses."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from demands.enums import PledgeStatus, PoolStatus
from demands.models import Pledge, PooledProcurement
from demands.services.challenges import challenge_create_for_pool
from marketplace import rules as market_rules
from marketplace.models import Organization, User
from marketplace.services.files import private_file_store
from marketplace.services.notifications import notify
from marketplace.services.organizations import bureau_reviewers
from marketplace.services.transitions import Workflow, update_with_history

LIFECYCLE = Workflow(
    choices=PoolStatus,
    transitions={
        PoolStatus.OPEN: {PoolStatus.FUNDED, PoolStatus.LAPSED, PoolStatus.CANCELLED},
        PoolStatus.FUNDED: set(),
        PoolStatus.LAPSED: set(),
        PoolStatus.CANCELLED: set(),
    },
    reason_required=frozenset({PoolStatus.CANCELLED}),
)


@transaction.atomic
def pool_create(
    *,
    user: User,
    organization: Organization,
    title: str,
    description: str,
    threshold: Decimal,
    deadline,
    industry_fields=(),
    source_demands=(),
) -> PooledProcurement:
    """Open a pool: bureau reviewers build one from similar demands, or a member of a verified
    enterprise opens one for it."""
    if not user.has_perm("demands.add_pooledprocurement", organization):
        raise PermissionDenied
    pool = PooledProcurement(
        title=title,
        description=description,
        threshold=threshold,
        deadline=deadline,
        organization=organization,
        created_by=user,
    )
    pool.full_clean(exclude=["organization", "created_by"])
    if pool.deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})
    pool.save()
    pool.industry_fields.set(industry_fields)
    pool.source_demands.set(source_demands)
    return pool


def _pledging_organization(user: User, organization: Organization | None) -> Organization:
    """The enterprise `user` pledges for: `organization` if given, else the only verified
    enterprise of theirs (a member of several has to say which)."""
    candidates = Organization.objects.verified().filter(
        pk__in=market_rules.membership_roles(user).keys(), kind="enterprise"
    )
    if organization is not None:
        candidates = candidates.filter(pk=organization.pk)
    found = list(candidates[:2])
    if not found:
        raise ValidationError(_("Only members of verified enterprises pledge."))
    if len(found) > 1:
        raise ValidationError({"organization": [_("You belong to several enterprises: choose the one that pledges.")]})
    return found[0]


@transaction.atomic
def pledge_create(
    *, pool: PooledProcurement, user: User, amount: Decimal, agreement, organization: Organization | None = None
) -> Pledge:
    """Pledge an amount with the signed pre-purchase agreement (a PDF or scan, checked by
    content). The pool row is locked, so concurrent pledges add up exactly; the pledge that
    reaches the threshold funds the pool."""
    locked = PooledProcurement.objects.select_for_update().get(pk=pool.pk)
    if locked.status != PoolStatus.OPEN or locked.deadline <= timezone.now():
        raise ValidationError(_("This pool no longer takes pledges."))
    organization = _pledging_organization(user, organization)
    if Decimal(amount) <= 0:
        raise ValidationError({"amount": _("Pledge a positive amount.")})
    if locked.pledges.filter(organization=organization, status=PledgeStatus.ACTIVE).exists():
        raise ValidationError(_("Your enterprise has already pledged to this pool."))
    stored = private_file_store(uploaded=agreement, uploaded_by=user, organization=organization, parent=locked)
    try:
        with transaction.atomic():
            pledge = Pledge.objects.create(
                pool=locked, organization=organization, created_by=user, amount=amount, agreement=stored
            )
    except IntegrityError as exc:
        raise ValidationError(_("Your enterprise has already pledged to this pool.")) from exc
    PooledProcurement.objects.filter(pk=locked.pk).update(
        pledged_total=F("pledged_total") + pledge.amount, updated_at=timezone.now()
    )
    locked.refresh_from_db()
    # update() writes no history: record the new pledged total with the pledging user.
    PooledProcurement.history.bulk_history_create([locked], update=True, default_user=user)
    if locked.pledged_total >= locked.threshold:
        _fund(locked, actor=user)
    pool.refresh_from_db()
    return pledge


def _fund(pool: PooledProcurement, *, actor) -> None:
    pool.funded_at = timezone.now()
    LIFECYCLE.apply(
        pool,
        PoolStatus.FUNDED,
        actor=actor,
        reason=_("The funding threshold was reached."),
        update_fields=["funded_at"],
    )
    # It proceeds as a challenge: a draft the bureau completes (window, milestones) and
    # publishes. A system action, whoever pledged last.
    challenge_create_for_pool(pool=pool)
    pledgers = {
        p.created_by
        for p in pool.pledges.filter(status=PledgeStatus.ACTIVE).select_related("created_by")
        if p.created_by
    }
    notify(
        users=[*pledgers, *bureau_reviewers()],
        kind="pool.funded",
        title=_("Funded: %(title)s") % {"title": pool.title},
        body=_("The pledges reached the threshold; it proceeds as an open challenge."),
        url=pool.get_absolute_url(),
    )


def pools_lapse(*, now=None) -> int:
    """Lapse open pools past their deadline below the threshold and release the pledges
    (Celery beat)."""
    now = now or timezone.now()
    lapsed = 0
    for pool in PooledProcurement.objects.filter(status=PoolStatus.OPEN, deadline__lte=now):
        with transaction.atomic():
            PooledProcurement.objects.select_for_update().filter(pk=pool.pk).first()
            pool.refresh_from_db()
            if pool.status != PoolStatus.OPEN:
                continue
            LIFECYCLE.apply(pool, PoolStatus.LAPSED, reason=_("The deadline passed below the threshold."))
            active = pool.pledges.filter(status=PledgeStatus.ACTIVE)
            pledgers = {p.created_by for p in active.select_related("created_by") if p.created_by}
            update_with_history(
                active, reason=_("The deadline passed below the threshold."), status=PledgeStatus.RELEASED
            )
            notify(
                users=pledgers,
                kind="pool.lapsed",
                title=_("Lapsed: %(title)s") % {"title": pool.title},
                body=_("The threshold was not reached in time; your pledge is released."),
                url=pool.get_absolute_url(),
            )
        lapsed += 1
    return lapsed


def pledged_sum(pool: PooledProcurement) -> Decimal:
    """The sum of the pool's active pledges, recomputed from the rows (the check of pledged_total)."""
    return pool.pledges.filter(status__in=[PledgeStatus.ACTIVE]).aggregate(total=Sum("amount"))["total"] or Decimal(0)

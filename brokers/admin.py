"""The bureau's broker console: filings to approve, reject, suspend or reinstate; level upgrades
to decide; engagements to read."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from brokers import services
from brokers.enums import FilingStatus, UpgradeStatus
from brokers.models import BrokerProfile, Engagement, EngagementActivity, LevelUpgrade
from marketplace import rules as market_rules
from marketplace.admin import TransitionHistoryMixin
from marketplace.admin_actions import apply_service, reason_action


class CertificateExpiredFilter(admin.SimpleListFilter):
    title = gettext_lazy("certificate")
    parameter_name = "certificate"

    def lookups(self, request, model_admin):
        return [("expired", _("Expired")), ("valid", _("Valid"))]

    def queryset(self, request, queryset):
        if self.value() == "expired":
            return queryset.certificate_expired()
        if self.value() == "valid":
            return queryset.exclude(certificate_expires_on__lt=timezone.localdate())
        return queryset


PROFILE_FIELDS = (
    "user",
    "agency",
    "level",
    "certificate_number",
    "certificate_issuer",
    "certificate_issued_on",
    "certificate_expires_on",
    "specialities",
    "regions",
    "introduction",
)


@admin.register(BrokerProfile)
class BrokerProfileAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Filings: the bureau approves those the agency confirmed, and suspends or reinstates.
    The profile itself is the broker's; staff read it here."""

    list_display = (
        "__str__",
        "agency",
        "level",
        "status",
        "certificate_number",
        "certificate_expires_on",
        "certificate_valid",
        "applied_at",
        "approved_at",
    )
    list_filter = ("status", "level", CertificateExpiredFilter, "agency")
    search_fields = ("user__name", "user__username", "certificate_number", "agency__name", "introduction")
    list_select_related = ["user", "agency"]
    ordering = ("-applied_at", "-id")
    date_hierarchy = "applied_at"
    actions = ["approve", "reject", "suspend", "reinstate"]
    readonly_fields = (
        *PROFILE_FIELDS,
        "status",
        "status_note",
        "applied_at",
        "approved_at",
        "public_link",
        "transition_history",
    )
    fieldsets = (
        (None, {"fields": ("public_link", "status", "status_note", "applied_at", "approved_at")}),
        (gettext_lazy("Profile"), {"fields": PROFILE_FIELDS}),
        (gettext_lazy("Status history"), {"fields": ("transition_history",)}),
    )

    def has_add_permission(self, request):
        return False

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("brokers.review_brokerprofile", obj)

    @admin.display(description=gettext_lazy("certificate valid"), boolean=True)
    def certificate_valid(self, profile):
        return not profile.certificate_expired

    @admin.display(description=gettext_lazy("page"))
    def public_link(self, profile):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', profile.get_absolute_url(), _("Open the page")
        )

    @admin.action(description=gettext_lazy("Approve the selected filings"), permissions=["review"])
    def approve(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=FilingStatus.CONFIRMED),
            lambda profile: services.profile_approve(profile=profile, reviewer=request.user),
            done_message=_("%(count)s filings approved."),
        )

    @admin.action(description=gettext_lazy("Reject the selected filings (with a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=FilingStatus.CONFIRMED),
            lambda profile, reason: services.profile_reject(profile=profile, user=request.user, reason=reason),
            title=_("Reject broker filings"),
            done_message=_("%(count)s filings rejected."),
        )

    @admin.action(description=gettext_lazy("Suspend the selected brokers (with a reason)"), permissions=["review"])
    def suspend(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=FilingStatus.ACTIVE),
            lambda profile, reason: services.profile_suspend(profile=profile, reviewer=request.user, reason=reason),
            title=_("Suspend brokers"),
            done_message=_("%(count)s brokers suspended."),
        )

    @admin.action(description=gettext_lazy("Reinstate the selected brokers"), permissions=["review"])
    def reinstate(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=FilingStatus.SUSPENDED),
            lambda profile: services.profile_reinstate(profile=profile, reviewer=request.user),
            done_message=_("%(count)s brokers reinstated."),
        )


@admin.register(LevelUpgrade)
class LevelUpgradeAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Level upgrade applications: staff approve, or reject with a note the broker sees."""

    list_display = (
        "profile",
        "from_level",
        "to_level",
        "training_hours",
        "deal_count",
        "status",
        "created_at",
        "decided_at",
    )
    list_filter = ("status", "to_level")
    search_fields = ("profile__user__name", "profile__certificate_number", "evidence")
    list_select_related = ["profile__user"]
    ordering = ("-created_at", "-id")
    actions = ["approve", "reject"]
    readonly_fields = (
        "profile",
        "from_level",
        "to_level",
        "training_hours",
        "deal_count",
        "evidence",
        "status",
        "reviewer",
        "review_note",
        "decided_at",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("brokers.review_levelupgrade", obj)

    @admin.action(description=gettext_lazy("Approve the selected upgrades"), permissions=["review"])
    def approve(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=UpgradeStatus.PENDING),
            lambda upgrade: services.upgrade_decide(upgrade=upgrade, reviewer=request.user, approve=True),
            done_message=_("%(count)s upgrades approved."),
        )

    @admin.action(description=gettext_lazy("Reject the selected upgrades (with a note)"), permissions=["review"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=UpgradeStatus.PENDING),
            lambda upgrade, note: services.upgrade_decide(
                upgrade=upgrade, reviewer=request.user, approve=False, note=note
            ),
            title=_("Reject level upgrades"),
            done_message=_("%(count)s upgrades rejected."),
        )


class ActivityInline(admin.TabularInline):
    model = EngagementActivity
    extra = 0
    can_delete = False
    fields = ("occurred_on", "kind", "note", "proposed", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("proposed_achievements")

    @admin.display(description=gettext_lazy("proposed achievements"))
    def proposed(self, activity):
        return "、".join(achievement.title for achievement in activity.proposed_achievements.all()) or "—"

    def has_view_permission(self, request, obj=None):
        return market_rules.is_bureau_staff(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Engagement)
class EngagementAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Engagements (撮合), read only: the broker records them on the site."""

    list_display = ("__str__", "broker", "demand", "achievement", "stage", "deal", "created_at", "updated_at")
    list_filter = ("stage",)
    search_fields = ("broker__user__name", "demand__title", "achievement__title")
    list_select_related = ["broker__user", "demand", "achievement", "deal"]
    ordering = ("-updated_at", "-id")
    inlines = [ActivityInline]
    fields = ("broker", "demand", "achievement", "stage", "deal", "drop_reason", "created_at", "transition_history")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from brokers import (  # noqa: E402 -- the consoles register their models once this module's are
    admin_rewards,  # noqa: F401 -- registers the team and reward console
    admin_training,  # noqa: F401 -- registers the training console
)

"""The bureau's admin console for the shared core (Chinese through verbose names)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db import models
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from marketplace.admin_actions import apply_service, reason_action
from marketplace.enums import AssignmentStatus, RegistrationStatus, RoundStatus, StaffGroup, VerificationStatus
from marketplace.models import (
    Assignment,
    ContractParty,
    ContractRegistration,
    Criterion,
    Deal,
    DealPayment,
    EvaluationRound,
    EvaluationSubject,
    ExpertProfile,
    IndustryField,
    JoinRequest,
    Match,
    MatchFeedback,
    Membership,
    Organization,
    OutgoingMail,
    PrivateFile,
    Region,
    Synonym,
    TransitionLog,
    User,
)
from marketplace.selectors import transitions_for
from marketplace.services.deals import registration_accept, registration_register, registration_return
from marketplace.services.evaluation import assignment_replace, round_cancel, round_close, round_draw
from marketplace.services.mail import mail_retry
from marketplace.services.organizations import organization_approve, organization_reject


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "organization"]


@admin.register(User)
class UserAdmin(ObjectPermissionsModelAdmin, DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (gettext_lazy("Personal information"), {"fields": ("name", "email", "phone", "email_frequency")}),
        (
            gettext_lazy("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (gettext_lazy("Important dates"), {"fields": ("last_login", "date_joined")}),
        # What the person agreed to is theirs to give (PIPL): staff read it, never set it.
        (
            gettext_lazy("Privacy notice"),
            {"fields": ("privacy_consent_at", "privacy_consent_version")},
        ),
    )
    readonly_fields = ("privacy_consent_at", "privacy_consent_version")
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "name", "email", "password1", "password2")}),)
    list_display = ("username", "name", "email", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("username", "name", "email", "phone")
    ordering = ("-date_joined",)
    inlines = [MembershipInline]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    list_display = ("name", "label")

    @admin.display(description=gettext_lazy("Staff role"))
    def label(self, group: Group) -> str:
        try:
            return str(StaffGroup(group.name).label)
        except ValueError:
            return "—"


class EvidenceInline(GenericTabularInline):
    model = PrivateFile
    ct_field = "parent_type"
    ct_fk_field = "parent_id"
    extra = 0
    can_delete = False
    fields = ("download", "kind", "size", "uploaded_by", "created_at")
    readonly_fields = fields
    verbose_name = gettext_lazy("verification evidence")
    verbose_name_plural = gettext_lazy("verification evidence")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("marketplace.view_evidence_organization", obj)

    @admin.display(description=gettext_lazy("file"))
    def download(self, private_file: PrivateFile) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            private_file.get_absolute_url(),
            private_file.original_name,
        )


class TransitionHistoryMixin:
    """Shows an object's status transitions (who, when, why) on its change page."""

    @admin.display(description=gettext_lazy("status history"))
    def transition_history(self, obj) -> str:
        rows = [
            (
                log.created_at.strftime("%Y-%m-%d %H:%M"),
                log.from_status or "—",
                log.to_status,
                log.actor or "—",
                log.reason,
            )
            for log in transitions_for(obj)[:50]
        ]
        if not rows:
            return "—"
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("time"),
            _("from"),
            _("to"),
            _("actor"),
            _("reason"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


@admin.register(Organization)
class OrganizationAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "uscc", "region", "verification_status", "verification_requested_at", "verified_at")
    list_filter = ("verification_status", "kind")
    search_fields = ("name", "short_name", "uscc")
    autocomplete_fields = ["region"]
    filter_horizontal = ["industry_fields"]
    readonly_fields = (
        "verification_status",
        "verification_note",
        "verified_at",
        "verification_requested_at",
        "transition_history",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "short_name",
                    "kind",
                    "uscc",
                    "region",
                    "address",
                    "website",
                    "contact_phone",
                    "description",
                    "industry_fields",
                    "requires_internal_approval",
                )
            },
        ),
        (
            gettext_lazy("Verification"),
            {
                "fields": (
                    "verification_status",
                    "verification_note",
                    "verification_requested_at",
                    "verified_at",
                    "transition_history",
                )
            },
        ),
    )
    inlines = [EvidenceInline, MembershipInline]
    actions = ["approve", "reject"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_select_related = ["region"]
    ordering = ("-verification_requested_at", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("region")

    @admin.action(
        description=gettext_lazy("Approve verification of the selected organizations"), permissions=["review"]
    )
    def approve(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(verification_status=VerificationStatus.PENDING),
            lambda organization: organization_approve(organization=organization, reviewer=request.user),
            done_message=_("%(count)s organizations verified."),
        )

    @admin.action(description=gettext_lazy("Reject verification (with a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            lambda organization, reason: organization_reject(
                organization=organization, reviewer=request.user, reason=reason
            ),
            title=_("Reject verification"),
            done_message=_("%(count)s organizations rejected."),
        )

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("marketplace.review_organization", obj)


@admin.register(Membership)
class MembershipAdmin(ObjectPermissionsModelAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__name", "organization__name")
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]


@admin.register(JoinRequest)
class JoinRequestAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("user", "organization", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("user__username", "user__name", "organization__name")
    list_select_related = ["user", "organization", "decided_by"]
    readonly_fields = (
        "user",
        "organization",
        "message",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
        "created_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(IndustryField)
class IndustryFieldAdmin(ObjectPermissionsModelAdmin):
    list_display = ("name", "code", "parent", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", ("parent", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "code")
    list_select_related = ["parent"]


@admin.register(Region)
class RegionAdmin(ObjectPermissionsModelAdmin):
    list_display = ("code", "full_name", "level")
    list_filter = ("level",)
    search_fields = ("code", "name", "full_name")
    ordering = ("code",)
    autocomplete_fields = ["parent"]


@admin.register(Synonym)
class SynonymAdmin(ObjectPermissionsModelAdmin):
    """Synonym groups widen searches at once (queries are expanded; nothing is re-indexed)."""

    list_display = ("terms", "updated_at")
    search_fields = ("terms",)

    def delete_queryset(self, request, queryset):
        for synonym in queryset:  # each delete clears the cached synonym map
            synonym.delete()


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ObjectPermissionsModelAdmin):
    list_display = ("subject", "to", "purpose", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "purpose")
    search_fields = ("to", "subject", "purpose", "period")
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]
    actions = ["retry"]
    date_hierarchy = "created_at"

    @admin.action(description=gettext_lazy("Queue the selected failed mails again"), permissions=["change"])
    def retry(self, request, queryset):
        apply_service(
            self, request, queryset, lambda mail: mail_retry(mail=mail), done_message=_("%(count)s mails queued again.")
        )


class MatchFeedbackInline(admin.TabularInline):
    model = MatchFeedback
    fields = ("user", "side", "verdict", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Match)
class MatchAdmin(ObjectPermissionsModelAdmin):
    """Stored matches, read-only: the services compute them (see docs/matching.md)."""

    list_display = ("demand", "achievement", "score", "demand_rank", "achievement_rank", "computed_at", "notified_at")
    list_filter = ("computed_at", "notified_at")
    search_fields = ("demand__title", "achievement__title")
    list_select_related = ["demand", "achievement"]
    readonly_fields = [f.name for f in Match._meta.fields]
    inlines = [MatchFeedbackInline]
    ordering = ("-computed_at", "-score")


@admin.register(MatchFeedback)
class MatchFeedbackAdmin(ObjectPermissionsModelAdmin):
    list_display = ("match", "user", "side", "verdict", "updated_at")
    list_filter = ("verdict", "side")
    list_select_related = ["match__demand", "match__achievement", "user"]
    readonly_fields = [f.name for f in MatchFeedback._meta.fields]


@admin.register(TransitionLog)
class TransitionLogAdmin(ObjectPermissionsModelAdmin):
    list_display = ("created_at", "content_type", "object_id", "from_status", "to_status", "actor", "reason")
    list_filter = ("content_type", "to_status")
    search_fields = ("reason", "actor__username", "actor__name")
    list_select_related = ["content_type", "actor"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The expert pool and evaluation rounds ------------------------------------------------------


@admin.register(ExpertProfile)
class ExpertProfileAdmin(ObjectPermissionsModelAdmin):
    list_display = ("user", "kind", "organization", "title", "is_available", "is_active")
    list_filter = ("kind", "is_active", "is_available", "industry_fields")
    search_fields = ("user__name", "user__username", "organization__name", "title")
    autocomplete_fields = ["user", "organization", "conflicts"]
    filter_horizontal = ["industry_fields"]
    list_select_related = ["user", "organization"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == RoundStatus.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class EvaluationSubjectInline(admin.TabularInline):
    model = EvaluationSubject
    extra = 0
    can_delete = False
    fields = ("label", "subject_link", "owner", "result_score", "result_spread", "result_count")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("subject"))
    def subject_link(self, subject):
        obj = subject.subject
        url = getattr(obj, "get_absolute_url", None)
        return format_html('<a href="{}">{}</a>', url(), obj) if url else str(obj)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    can_delete = False
    fields = ("expert", "status", "draw_index", "declined_reason", "replaces", "submitted_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin):
    list_display = ("title", "status", "expert_count", "deadline", "is_blind", "drawn_at", "closed_at")
    list_filter = ("status", "is_blind")
    search_fields = ("title",)
    readonly_fields = ("status", "seed", "drawn_at", "closed_at", "period", "transition_history")
    fields = ("title", "expert_count", "deadline", "is_blind", "note", *readonly_fields)
    inlines = [CriterionInline, EvaluationSubjectInline, AssignmentInline]
    actions = ["draw", "replace_declined", "close", "cancel"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != RoundStatus.DRAFT:
            return (*self.readonly_fields, "expert_count", "is_blind")
        return self.readonly_fields

    def has_manage_permission(self, request, obj=None):
        return request.user.has_perm("marketplace.manage_evaluationround", obj)

    @admin.action(description=gettext_lazy("Draw the experts and start scoring"), permissions=["manage"])
    def draw(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            lambda evaluation: round_draw(evaluation=evaluation, user=request.user),
            done_message=_("Experts drawn for %(count)s rounds."),
        )

    @admin.action(description=gettext_lazy("Replace the experts who declined"), permissions=["manage"])
    def replace_declined(self, request, queryset):
        declined = Assignment.objects.filter(
            round__in=queryset, status=AssignmentStatus.DECLINED, replaced_by__isnull=True
        )
        apply_service(
            self,
            request,
            declined,
            lambda assignment: assignment_replace(assignment=assignment, user=request.user),
            done_message=_("%(count)s experts replaced."),
        )

    @admin.action(description=gettext_lazy("Close and publish the results"), permissions=["manage"])
    def close(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            lambda evaluation: round_close(evaluation=evaluation, user=request.user),
            done_message=_("%(count)s rounds closed; results published."),
        )

    @admin.action(description=gettext_lazy("Cancel the selected rounds"), permissions=["manage"])
    def cancel(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            lambda evaluation: round_cancel(evaluation=evaluation, user=request.user),
            done_message=_("%(count)s rounds cancelled."),
        )


# Deals and the registrar's queue ----------------------------------------------------------------


class DealPaymentInline(admin.TabularInline):
    model = DealPayment
    fields = ("received_on", "amount", "note", "recorded_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Deal)
class DealAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Deals, read-only for staff: the parties move them in their workspace."""

    list_display = ("title", "seller", "buyer", "kind", "amount", "stage", "origin", "signed_on", "updated_at")
    list_filter = ("stage", "kind", "origin")
    search_fields = ("title", "seller__name", "buyer__name")
    list_select_related = ["seller", "buyer"]
    date_hierarchy = "created_at"
    readonly_fields = (*[f.name for f in Deal._meta.fields], "brokers", "transition_history")
    inlines = [DealPaymentInline]


class ContractPartyInline(admin.TabularInline):
    model = ContractParty
    fields = ("role", "name", "uscc", "region", "legal_entity_kind", "organization")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RegisterForm(forms.Form):
    """The registrar's technology transaction amount for each selected registration (元)."""

    def __init__(self, *args, registrations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.registrations = list(registrations)
        for registration in self.registrations:
            self.fields[f"amount_{registration.pk}"] = forms.DecimalField(
                label=f"{registration}（{_('contract amount')} {registration.total_amount:,.2f}）",
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0.01"),
                initial=registration.total_amount,
            )


@admin.register(ContractRegistration)
class ContractRegistrationAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """The registrar's queue: submitted registrations oldest first. Accept one to check it,
    then register it (technology transaction amount → registration number) or return it with
    reasons. The parties' fields are read-only here: corrections are theirs."""

    list_display = (
        "title",
        "organization",
        "category",
        "subtype",
        "total_amount",
        "technology_amount",
        "status",
        "submitted_at",
        "registration_number",
    )
    list_filter = ("status", "category", "industry_field")
    search_fields = ("title", "contract_number", "registration_number", "organization__name", "parties__uscc")
    list_select_related = ["organization"]
    ordering = ("submitted_at", "id")
    date_hierarchy = "registered_at"
    readonly_fields = (
        *[f.name for f in ContractRegistration._meta.fields if f.name != "signed_contract"],
        "contract_file",
        "transition_history",
    )
    exclude = ("signed_contract",)
    inlines = [ContractPartyInline]
    actions = ["accept", "register", "return_to_parties"]

    def has_add_permission(self, request):
        return False

    def has_register_permission(self, request, obj=None):
        return request.user.has_perm("marketplace.register_contractregistration", obj)

    @admin.display(description=gettext_lazy("signed contract (PDF)"))
    def contract_file(self, registration):
        if registration.signed_contract_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            registration.signed_contract.get_absolute_url(),
            registration.signed_contract.original_name,
        )

    @admin.action(description=gettext_lazy("Accept the selected registrations for checking"), permissions=["register"])
    def accept(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=RegistrationStatus.SUBMITTED),
            lambda registration: registration_accept(registration=registration, registrar=request.user),
            done_message=_("%(count)s registrations accepted."),
        )

    @admin.action(
        description=gettext_lazy("Register the selected contracts (set the technology amount)"),
        permissions=["register"],
    )
    def register(self, request, queryset):
        registrations = list(queryset.filter(status=RegistrationStatus.ACCEPTED))
        if not registrations:
            self.message_user(request, _("Only accepted registrations can be registered."), messages.WARNING)
            return None
        form = RegisterForm(request.POST if "apply" in request.POST else None, registrations=registrations)
        if form.is_bound and form.is_valid():
            amounts = {r.pk: form.cleaned_data[f"amount_{r.pk}"] for r in registrations}
            apply_service(
                self,
                request,
                registrations,
                lambda r: registration_register(
                    registration=r, registrar=request.user, technology_amount=amounts[r.pk]
                ),
                done_message=_("%(count)s contracts registered."),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Register technology contracts"),
            "objects": registrations,
            "form": form,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reason_action.html", context)

    @admin.action(
        description=gettext_lazy("Return the selected registrations (with reasons)"), permissions=["register"]
    )
    def return_to_parties(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status__in=[RegistrationStatus.SUBMITTED, RegistrationStatus.ACCEPTED]),
            lambda registration, reason: registration_return(
                registration=registration, registrar=request.user, reason=reason
            ),
            title=_("Return registrations for correction"),
            done_message=_("%(count)s registrations returned."),
        )


# Partner systems: applications (credentials and scopes) and webhooks.
from marketplace import admin_partners, admin_statistics, admin_webhooks  # noqa: E402

__all__ = ["admin_partners", "admin_statistics", "admin_webhooks"]

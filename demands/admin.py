"""The bureau's review queue and records of the demand board."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.admin import ExportActionMixin
from import_export.formats.base_formats import CSV, XLSX
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from demands.enums import ChallengeStatus, Status
from demands.models import Bid, Challenge, Demand, DemandResponse, Milestone, Objection, Pledge, PooledProcurement
from demands.services import demand_publish, demand_reject
from demands.services.challenges import (
    challenge_award,
    challenge_close_bidding,
    challenge_contract,
    challenge_publish,
    challenge_return,
    challenge_shortlist,
    check_tranches,
    milestone_review,
    objection_resolve,
    released_total,
)
from marketplace.admin import TransitionHistoryMixin
from marketplace.admin_actions import apply_service, reason_action
from marketplace.models import Message


class DemandResource(resources.ModelResource):
    """Staff's Excel export (staff may see every enterprise, anonymous ones included)."""

    organization = fields.Field(attribute="organization__name", column_name=gettext_lazy("enterprise"))
    demand_type = fields.Field(attribute="get_demand_type_display", column_name=gettext_lazy("demand type"))
    visibility = fields.Field(attribute="get_visibility_display", column_name=gettext_lazy("visibility"))
    status = fields.Field(attribute="get_status_display", column_name=gettext_lazy("status"))
    industry_fields = fields.Field(column_name=gettext_lazy("industry fields"))

    class Meta:
        model = Demand
        fields = (
            "id", "title", "organization", "demand_type", "visibility", "status", "industry_fields", "summary",
            "budget_min", "budget_max", "budget_negotiable", "deadline", "published_at", "source", "external_ref",
        )  # fmt: skip
        export_order = fields

    def get_export_headers(self, selected_fields=None):
        headers = []
        for field in self.get_export_fields(selected_fields):
            if field.column_name == field.attribute:
                try:
                    headers.append(str(Demand._meta.get_field(field.attribute).verbose_name))
                    continue
                except FieldDoesNotExist:
                    pass
            headers.append(str(field.column_name))
        return headers

    def dehydrate_industry_fields(self, demand):
        return "、".join(field.name for field in demand.industry_fields.all())

    def get_queryset(self):
        return Demand.objects.select_related("organization").prefetch_related("industry_fields")


CONTENT_FIELDS = (
    "title", "organization", "summary", "problem", "desired_outcome", "technical_indicators", "demand_type",
    "min_trl", "budget_min", "budget_max", "budget_negotiable", "deadline", "region", "visibility", "keywords",
    "contact_name", "contact_phone", "contact_email", "source", "recorded_by", "enterprise_confirmed_at", "external_ref",
)  # fmt: skip


@admin.register(Demand)
class DemandAdmin(TransitionHistoryMixin, ExportActionMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    resource_classes = [DemandResource]
    formats = [XLSX, CSV]
    list_display = (
        "title",
        "organization",
        "demand_type",
        "visibility",
        "status",
        "deadline",
        "submitted_at",
        "published_at",
    )
    list_filter = ("status", "visibility", "demand_type", "source", "triage_since")
    search_fields = ("title", "summary", "organization__name", "external_ref")
    list_select_related = ["organization"]
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at", "-id")
    actions = ["publish", "reject"]
    filter_horizontal = ["assigned_brokers"]
    readonly_fields = (
        *CONTENT_FIELDS,
        "status",
        "review_note",
        "submitted_at",
        "published_at",
        "confirmed_at",
        "transition_history",
        "public_link",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "public_link",
                    "status",
                    "review_note",
                    "submitted_at",
                    "published_at",
                    "confirmed_at",
                    "assigned_brokers",
                )
            },
        ),
        (gettext_lazy("Content"), {"fields": CONTENT_FIELDS}),
        (gettext_lazy("Status history"), {"fields": ("transition_history",)}),
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Staff assign brokers here; the content stays the enterprise's.
        return request.user.has_perm("demands.review_demand", obj)

    @admin.display(description=gettext_lazy("page"))
    def public_link(self, demand):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', demand.get_absolute_url(), _("Open the page")
        )

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("demands.review_demand", obj)

    @admin.action(description=gettext_lazy("Publish the selected demands"), permissions=["review"])
    def publish(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=Status.SUBMITTED),
            lambda demand: demand_publish(demand=demand, reviewer=request.user),
            done_message=_("%(count)s demands published."),
        )

    @admin.action(description=gettext_lazy("Reject the selected demands (with a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=Status.SUBMITTED),
            lambda demand, reason: demand_reject(demand=demand, reviewer=request.user, reason=reason),
            title=_("Reject demands"),
            done_message=_("%(count)s demands rejected."),
        )


class ResponseMessageInline(GenericTabularInline):
    model = Message
    ct_field = "thread_type"
    ct_fk_field = "thread_id"
    extra = 0
    readonly_fields = ("author", "organization", "body", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DemandResponse)
class DemandResponseAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("demand", "organization", "status", "decline_reason", "created_at")
    list_filter = ("status", "decline_reason")
    search_fields = ("demand__title", "organization__name")
    list_select_related = ["demand", "organization"]
    readonly_fields = (
        "demand",
        "organization",
        "created_by",
        "approach",
        "team",
        "price_idea",
        "status",
        "decline_reason",
        "decline_note",
    )
    exclude = ("achievements",)
    inlines = [ResponseMessageInline]

    def has_add_permission(self, request):
        return False


# Open challenges and pooled procurement -------------------------------------------------------


class MilestoneFormSet(BaseInlineFormSet):
    """The same rule as the services: the tranches never add up to more than the bounty."""

    def clean(self):
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("tranche")
        ]
        try:
            check_tranches(self.instance.bounty or Decimal(0), kept)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["milestones"]) from exc


class MilestoneInline(admin.TabularInline):
    model = Milestone
    formset = MilestoneFormSet
    extra = 0
    fields = ("position", "title", "due_date", "tranche", "status", "released_at")
    readonly_fields = ("status", "released_at")

    def has_change_permission(self, request, obj=None):
        # The bureau completes a draft or a submitted challenge before publishing it.
        return obj is None or obj.status in ChallengeStatus.unpublished()

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class BidInline(admin.TabularInline):
    model = Bid
    extra = 0
    can_delete = False
    fields = ("organization", "budget", "status", "created_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


def _one_challenge(modeladmin, request, bids) -> Challenge | None:
    challenges = {bid.challenge_id for bid in bids}
    if len(challenges) != 1:
        modeladmin.message_user(request, _("Select bids of one challenge."), messages.ERROR)
        return None
    return Challenge.objects.get(pk=challenges.pop())


@admin.register(Challenge)
class ChallengeAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("title", "organization", "bounty", "opens_at", "closes_at", "status", "evaluation")
    list_filter = ("status",)
    search_fields = ("title", "organization__name")
    list_select_related = ["organization", "evaluation"]
    autocomplete_fields = ["organization", "demand"]
    filter_horizontal = ["industry_fields"]
    readonly_fields = (
        "status",
        "published_at",
        "notice_ends_at",
        "evaluation",
        "pool",
        "released",
        "transition_history",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "organization",
                    "demand",
                    "pool",
                    "description",
                    "industry_fields",
                    "bounty",
                    "award_count",
                )
            },
        ),
        (
            gettext_lazy("Window and review"),
            {"fields": ("opens_at", "closes_at", "eligibility", "deliverables", "review_criteria", "notice_days")},
        ),
        (
            gettext_lazy("Progress"),
            {"fields": ("status", "published_at", "evaluation", "notice_ends_at", "released", "transition_history")},
        ),
    )
    inlines = [MilestoneInline, BidInline]
    actions = ["publish", "return_to_issuer", "close_bidding", "contract"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in ChallengeStatus.unpublished():
            return (*self.readonly_fields, "bounty", "award_count", "organization", "demand", "opens_at", "closes_at")
        return self.readonly_fields

    @admin.display(description=gettext_lazy("tranches released (yuan)"))
    def released(self, challenge):
        return f"{released_total(challenge):,.2f}"

    def has_manage_permission(self, request, obj=None):
        return request.user.has_perm("demands.manage_challenge", obj)

    @admin.action(description=gettext_lazy("Publish the selected challenges"), permissions=["manage"])
    def publish(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            lambda c: challenge_publish(challenge=c, reviewer=request.user),
            done_message=_("%(count)s challenges published."),
        )

    @admin.action(description=gettext_lazy("Return to the issuer for changes"), permissions=["manage"])
    def return_to_issuer(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            lambda c, reason: challenge_return(challenge=c, reviewer=request.user, reason=reason),
            title=_("Return the selected challenges to their issuers for changes"),
            done_message=_("%(count)s challenges returned to their issuers."),
        )

    @admin.action(description=gettext_lazy("Close bidding now and start the blind review"), permissions=["manage"])
    def close_bidding(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=ChallengeStatus.BIDDING),
            lambda c: challenge_close_bidding(challenge=c, user=request.user),
            done_message=_("Bidding closed for %(count)s challenges."),
        )

    @admin.action(description=gettext_lazy("Record the contract after the public notice"), permissions=["manage"])
    def contract(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            lambda c: challenge_contract(challenge=c, user=request.user),
            done_message=_("%(count)s challenges contracted."),
        )


@admin.register(Bid)
class BidAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("challenge", "organization", "budget", "status", "evaluation_score", "created_at")
    list_filter = ("status", "challenge")
    search_fields = ("challenge__title", "organization__name")
    list_select_related = ["challenge", "organization"]
    readonly_fields = ("challenge", "organization", "created_by", "proposal", "team", "plan", "budget", "status")
    actions = ["shortlist", "award"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("review score"))
    def evaluation_score(self, bid):
        from marketplace.models import EvaluationSubject

        subject = (
            EvaluationSubject.objects.filter(
                content_type__app_label="demands", content_type__model="bid", object_id=bid.pk
            )
            .exclude(result_score=None)
            .first()
        )
        return subject.result_score if subject else "—"

    def has_manage_permission(self, request, obj=None):
        return request.user.has_perm("demands.manage_challenge", obj.challenge if obj else None)

    @admin.action(description=gettext_lazy("Shortlist the selected bids"), permissions=["manage"])
    def shortlist(self, request, queryset):
        bids = list(queryset.select_related("challenge"))
        challenge = _one_challenge(self, request, bids)
        if challenge is not None:
            apply_service(
                self,
                request,
                [challenge],
                lambda c: challenge_shortlist(challenge=c, user=request.user, bids=bids),
                done_message=_("Shortlist made for %(count)s challenge."),
            )

    @admin.action(description=gettext_lazy("Award the challenge to the selected bids"), permissions=["manage"])
    def award(self, request, queryset):
        bids = list(queryset.select_related("challenge"))
        challenge = _one_challenge(self, request, bids)
        if challenge is not None:
            apply_service(
                self,
                request,
                [challenge],
                lambda c: challenge_award(challenge=c, user=request.user, bids=bids),
                done_message=_("Awarded; the public notice has started (%(count)s challenge)."),
            )


@admin.register(Objection)
class ObjectionAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("challenge", "user", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    list_select_related = ["challenge", "user"]
    readonly_fields = ("challenge", "user", "text", "status", "resolution", "resolved_by", "resolved_at")
    actions = ["uphold", "dismiss"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=gettext_lazy("Uphold (revokes the award)"), permissions=["change"])
    def uphold(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            lambda o, reason: objection_resolve(objection=o, user=request.user, upheld=True, resolution=reason),
            title=_("Uphold objections"),
            done_message=_("%(count)s objections upheld."),
        )

    @admin.action(description=gettext_lazy("Dismiss"), permissions=["change"])
    def dismiss(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            lambda o, reason: objection_resolve(objection=o, user=request.user, upheld=False, resolution=reason),
            title=_("Dismiss objections"),
            done_message=_("%(count)s objections dismissed."),
        )


@admin.register(Milestone)
class MilestoneAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("challenge", "title", "due_date", "tranche", "status", "released_at")
    list_filter = ("status",)
    list_select_related = ["challenge"]
    readonly_fields = (
        "challenge",
        "title",
        "due_date",
        "tranche",
        "status",
        "report",
        "review_note",
        "reviewed_at",
        "released_at",
    )
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("demands.manage_challenge", obj.challenge if obj else None)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @admin.action(description=gettext_lazy("Approve and release the tranches"), permissions=["change"])
    def approve(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            lambda m: milestone_review(milestone=m, user=request.user, approved=True),
            done_message=_("%(count)s tranches released."),
        )

    @admin.action(description=gettext_lazy("Send back (with a reason)"), permissions=["change"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            lambda m, reason: milestone_review(milestone=m, user=request.user, approved=False, note=reason),
            title=_("Send milestones back"),
            done_message=_("%(count)s milestones sent back."),
        )


class PledgeInline(admin.TabularInline):
    model = Pledge
    extra = 0
    can_delete = False
    fields = ("organization", "amount", "status", "created_at", "agreement_link")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("agreement"))
    def agreement_link(self, pledge):
        return format_html('<a href="{}">{}</a>', pledge.agreement.get_absolute_url(), pledge.agreement.original_name)


@admin.register(PooledProcurement)
class PooledProcurementAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("title", "organization", "threshold", "pledged_total", "deadline", "status")
    list_filter = ("status",)
    search_fields = ("title",)
    autocomplete_fields = ["organization"]
    filter_horizontal = ["industry_fields", "source_demands"]
    readonly_fields = ("pledged_total", "status", "funded_at", "transition_history")
    inlines = [PledgeInline]

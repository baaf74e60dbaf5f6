"""The bureau's pilot-base console: filings to approve (at the confirmed level, with a filing
number), reject or revoke with a reason, yearly re-evaluations, facility subsidies (checked
against the cap, totalled, exported to Excel) and service requests to read."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Sum
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.admin import ExportActionMixin
from import_export.formats.base_formats import CSV, XLSX
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from marketplace import rules as market_rules
from marketplace.admin import TransitionHistoryMixin
from marketplace.admin_actions import apply_service, reason_action
from marketplace.enums import FilePurpose
from pilots import services
from pilots.enums import BaseLevel, FilingStatus, ReviewOutcome
from pilots.models import (
    Booking,
    Equipment,
    FacilitySubsidy,
    FilingReview,
    PilotBase,
    PilotService,
    ServiceRequest,
)


class ReadOnlyInline(admin.TabularInline):
    """An inline staff read (the operator keeps it on the site)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return market_rules.is_bureau_staff(request.user)


class EquipmentInline(ReadOnlyInline):
    model = Equipment
    fields = ("name", "model_number", "parameters", "is_shared", "fee", "fee_unit")


class ServiceInline(ReadOnlyInline):
    model = PilotService
    fields = ("name", "description", "price", "price_unit")


class ReviewInline(ReadOnlyInline):
    model = FilingReview
    fields = ("year", "outcome", "note", "reviewer", "created_at")


class SubsidyInline(ReadOnlyInline):
    model = FacilitySubsidy
    fields = ("year", "facility", "investment", "subsidy", "document_number", "granted_on")


class ReviewDueFilter(admin.SimpleListFilter):
    title = gettext_lazy("re-evaluation")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("soon", _("Due within 60 days")), ("later", _("Not yet due"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.review_due(today=today)
        if self.value() == "soon":
            return queryset.filed().filter(next_review_due__gt=today, next_review_due__lte=today + timedelta(days=60))
        if self.value() == "later":
            return queryset.filed().filter(next_review_due__gt=today + timedelta(days=60))
        return queryset


class QueueFilter(admin.SimpleListFilter):
    """The reviewer's queue: filings applied for, oldest first."""

    title = gettext_lazy("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("review", _("To review"))]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(status=FilingStatus.APPLIED).order_by("applied_at", "id")
        return queryset


class ApproveForm(forms.Form):
    """The level the bureau confirms and the filing number, for each selected base."""

    def __init__(self, *args, bases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bases = list(bases)
        for base in self.bases:
            self.fields[f"level_{base.pk}"] = forms.ChoiceField(
                label=_("%(base)s: confirmed level") % {"base": base},
                choices=BaseLevel.choices,
                initial=base.level,
            )
            self.fields[f"filing_number_{base.pk}"] = forms.CharField(
                label=_("%(base)s: filing number (left empty: numbered automatically)") % {"base": base},
                max_length=50,
                required=False,
                initial=base.filing_number,
            )


class ReviewForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=ReviewOutcome.choices)
    note = forms.CharField(
        label=gettext_lazy("Note (required unless passed; a failure revokes the filing with it)"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
        required=False,
    )


def _form_page(modeladmin, request, *, title, objects, form):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": objects,
        "form": form,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/reason_action.html", context)


def _file_links(base: PilotBase, purpose: str) -> str:
    files = services.base_files(base, purpose).order_by("created_at")
    if not files:
        return "—"
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            '<li><a href="{}" target="_blank" rel="noopener">{}</a> ({} KB)</li>',
            ((f.get_absolute_url(), f.original_name, max(1, f.size // 1024)) for f in files),
        ),
    )


BASE_FIELDS = (
    "name",
    "operator",
    "kind",
    "level",
    "industry_fields",
    "region",
    "address",
    "introduction",
    "processes",
    "scale",
    "trl_min",
    "trl_max",
    "qualifications",
    "contact_name",
    "contact_phone",
    "contact_email",
)


@admin.register(PilotBase)
class PilotBaseAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Filings: the reviewer approves (confirming the level), rejects or revokes with a reason,
    and records the yearly re-evaluation. The description is the operator's; staff read it."""

    # Kind and region are filters; the list stays readable beside the admin's sidebar.
    list_display = (
        "name",
        "operator",
        "level",
        "status",
        "filing_number",
        "applied_at",
        "next_review_due",
        "review_overdue",
    )
    list_filter = (QueueFilter, "status", "kind", "level", ReviewDueFilter, "region", "industry_fields")
    search_fields = ("name", "operator__name", "filing_number", "processes", "address", "region__full_name")
    list_select_related = ["operator", "region"]
    ordering = ("-applied_at", "-id")
    date_hierarchy = "applied_at"
    actions = ["approve", "reject", "revoke", "reevaluate"]
    readonly_fields = (
        *BASE_FIELDS,
        "status",
        "status_note",
        "filing_number",
        "applied_at",
        "approved_at",
        "next_review_due",
        "public_link",
        "decision",
        "filing_documents",
        "photos",
        "transition_history",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "public_link",
                    "decision",
                    "status",
                    "status_note",
                    "filing_number",
                    "applied_at",
                    "approved_at",
                    "next_review_due",
                )
            },
        ),
        (gettext_lazy("Filing documents and photos"), {"fields": ("filing_documents", "photos")}),
        (gettext_lazy("Description"), {"fields": BASE_FIELDS}),
        (gettext_lazy("Status history"), {"fields": ("transition_history",)}),
    )
    inlines = [EquipmentInline, ServiceInline, ReviewInline, SubsidyInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("pilots.review_pilotbase", obj)

    @admin.display(description=gettext_lazy("re-evaluation overdue"), boolean=True)
    def review_overdue(self, base):
        if not base.is_filed or base.next_review_due is None:
            return None
        return base.next_review_due <= timezone.localdate()

    @admin.display(description=gettext_lazy("page"))
    def public_link(self, base):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', base.get_absolute_url(), _("Open the page")
        )

    @admin.display(description=gettext_lazy("decision"))
    def decision(self, base):
        """Buttons that run this base through the change list's actions (the same services and
        intermediate pages as selecting it there)."""
        choices = {
            FilingStatus.APPLIED: [("approve", _("Approve…")), ("reject", _("Reject…"))],
            FilingStatus.APPROVED: [("reevaluate", _("Record the re-evaluation…")), ("revoke", _("Revoke…"))],
        }.get(base.status, [])
        if not choices:
            return "—"
        return format_html(
            '<input type="hidden" name="{}" value="{}">{}',
            helpers.ACTION_CHECKBOX_NAME,
            base.pk,
            format_html_join(
                " ",
                '<button type="submit" class="button" formmethod="post" formaction="{}" name="action" value="{}">'
                "{}</button>",
                ((reverse("admin:pilots_pilotbase_changelist"), action, label) for action, label in choices),
            ),
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_review_permission(request, obj):
            return fieldsets
        # The decision buttons are the reviewers'.
        first, *rest = fieldsets
        fields = tuple(name for name in first[1]["fields"] if name != "decision")
        return ((first[0], {**first[1], "fields": fields}), *rest)

    @admin.display(description=gettext_lazy("filing documents"))
    def filing_documents(self, base):
        return _file_links(base, FilePurpose.FILING_DOCUMENT)

    @admin.display(description=gettext_lazy("photos"))
    def photos(self, base):
        return _file_links(base, FilePurpose.PHOTO)

    @admin.action(description=gettext_lazy("Approve the selected filings (confirm the level)"), permissions=["review"])
    def approve(self, request, queryset):
        bases = list(queryset.filter(status=FilingStatus.APPLIED))
        if not bases:
            self.message_user(request, _("Only filings applied for can be approved."), messages.WARNING)
            return None
        form = ApproveForm(request.POST if "apply" in request.POST else None, bases=bases)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            apply_service(
                self,
                request,
                bases,
                lambda base: services.base_approve(
                    base=base,
                    reviewer=request.user,
                    level=data[f"level_{base.pk}"],
                    filing_number=data[f"filing_number_{base.pk}"],
                ),
                done_message=_("%(count)s bases filed."),
            )
            return None
        return _form_page(self, request, title=_("Approve pilot base filings"), objects=bases, form=form)

    @admin.action(description=gettext_lazy("Reject the selected filings (with a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=FilingStatus.APPLIED),
            lambda base, reason: services.base_reject(base=base, reviewer=request.user, reason=reason),
            title=_("Reject pilot base filings"),
            done_message=_("%(count)s filings rejected."),
        )

    @admin.action(description=gettext_lazy("Revoke the selected filings (with a reason)"), permissions=["review"])
    def revoke(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=FilingStatus.APPROVED),
            lambda base, reason: services.base_revoke(base=base, reviewer=request.user, reason=reason),
            title=_("Revoke pilot base filings"),
            done_message=_("%(count)s filings revoked."),
        )

    @admin.action(description=gettext_lazy("Record the yearly re-evaluation"), permissions=["review"])
    def reevaluate(self, request, queryset):
        bases = list(queryset.filter(status=FilingStatus.APPROVED))
        if not bases:
            self.message_user(request, _("Only filed bases are re-evaluated."), messages.WARNING)
            return None
        form = ReviewForm(
            request.POST if "apply" in request.POST else None,
            initial={"year": timezone.localdate().year, "outcome": ReviewOutcome.PASSED},
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            if data["outcome"] != ReviewOutcome.PASSED and not data["note"].strip():
                form.add_error("note", _("Please give a reason."))
            else:
                apply_service(
                    self,
                    request,
                    bases,
                    lambda base: services.base_review(
                        base=base, reviewer=request.user, year=data["year"], outcome=data["outcome"], note=data["note"]
                    ),
                    done_message=_("%(count)s re-evaluations recorded."),
                )
                return None
        return _form_page(self, request, title=_("Record the yearly re-evaluation"), objects=bases, form=form)


# Facility subsidies -----------------------------------------------------------------------------


class FacilitySubsidyForm(forms.ModelForm):
    class Meta:
        model = FacilitySubsidy
        fields = ("base", "facility", "year", "investment", "subsidy", "document_number", "granted_on", "note")

    def clean(self):
        data = super().clean()
        if data.get("investment") is not None and data.get("subsidy") is not None:
            try:
                services.subsidy_check(FacilitySubsidy(investment=data["investment"], subsidy=data["subsidy"]))
            except ValidationError as exc:
                raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
        return data


class FacilitySubsidyResource(resources.ModelResource):
    """The Excel export of facility subsidies (Chinese headers)."""

    base = fields.Field(attribute="base__name", column_name=gettext_lazy("pilot base"))
    operator = fields.Field(attribute="base__operator__name", column_name=gettext_lazy("operator"))
    region = fields.Field(attribute="base__region__full_name", column_name=gettext_lazy("region"))

    class Meta:
        model = FacilitySubsidy
        fields = (
            "id", "year", "base", "operator", "region", "facility", "investment", "subsidy", "document_number",
            "granted_on", "note",
        )  # fmt: skip
        export_order = fields

    def get_export_headers(self, selected_fields=None):
        headers = []
        for field in self.get_export_fields(selected_fields):
            if field.column_name == field.attribute:
                try:
                    headers.append(str(FacilitySubsidy._meta.get_field(field.attribute).verbose_name))
                    continue
                except FieldDoesNotExist:
                    pass
            headers.append(str(field.column_name))
        return headers

    def get_queryset(self):
        return FacilitySubsidy.objects.select_related("base__operator", "base__region")


@admin.register(FacilitySubsidy)
class FacilitySubsidyAdmin(ExportActionMixin, SimpleHistoryAdmin):
    """Subsidies the bureau granted for new facilities (at most the cap, never above the
    investment); the change list totals the filtered rows."""

    form = FacilitySubsidyForm
    resource_classes = [FacilitySubsidyResource]
    formats = [XLSX, CSV]
    list_display = ("base", "facility", "year", "investment", "subsidy", "document_number", "granted_on")
    list_filter = ("year", "base__kind", "base__level", "base")
    search_fields = ("facility", "base__name", "base__operator__name", "document_number")
    list_select_related = ["base"]
    autocomplete_fields = ["base"]
    ordering = ("-year", "-id")

    # FacilitySubsidy carries no rules of its own: the bureau's reviewers keep the records.
    def has_module_permission(self, request):
        return market_rules.is_bureau_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return market_rules.is_bureau_staff(request.user)

    def has_add_permission(self, request):
        return market_rules.is_bureau_reviewer(request.user)

    def has_change_permission(self, request, obj=None):
        return market_rules.is_bureau_reviewer(request.user)

    def has_delete_permission(self, request, obj=None):
        return market_rules.is_bureau_administrator(request.user)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            totals = context["cl"].queryset.aggregate(investment=Sum("investment"), subsidy=Sum("subsidy"))
            context["totals"] = totals
            context["subtitle"] = _("Total of the rows shown: investment %(investment)s 元, subsidy %(subsidy)s 元") % {
                "investment": f"{totals['investment'] or 0:,.2f}",
                "subsidy": f"{totals['subsidy'] or 0:,.2f}",
            }
        return response


# Service requests -------------------------------------------------------------------------------


class BookingInline(ReadOnlyInline):
    model = Booking
    fields = ("equipment", "starts_at", "ends_at", "is_active", "note", "created_by")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Service requests, read only: the requester and the operator move them on the site."""

    list_display = ("title", "base", "organization", "service", "status", "quoted_amount", "start_on", "end_on")
    list_filter = ("status", "base__kind", "base")
    search_fields = ("title", "base__name", "organization__name", "process")
    list_select_related = ["base", "organization", "service"]
    ordering = ("-updated_at", "-id")
    date_hierarchy = "created_at"
    fields = (
        "title",
        "base",
        "service",
        "organization",
        "requested_by",
        "achievement",
        "demand",
        "process",
        "quantity",
        "start_on",
        "end_on",
        "quoted_amount",
        "quote_note",
        "status",
        "status_note",
        "outcome_report",
        "completed_at",
        "transition_history",
    )
    readonly_fields = fields
    inlines = [BookingInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

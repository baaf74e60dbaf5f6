"""The bureau's review queue and records of the achievement library."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.admin import ExportActionMixin
from import_export.formats.base_formats import CSV, XLSX
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from achievements.enums import Status
from achievements.importing import AchievementImportError, achievements_import_file
from achievements.models import Achievement, Completer, Inquiry, IPRight, LedgerEntry, Problem
from achievements.services import achievement_publish, achievement_reject
from marketplace.admin import TransitionHistoryMixin
from marketplace.admin_actions import apply_service, reason_action
from marketplace.models import Message, Organization
from marketplace.services.evaluation import round_create


class AchievementResource(resources.ModelResource):
    """The Excel export of achievements (one row each, Chinese headers)."""

    organization = fields.Field(attribute="organization__name", column_name=gettext_lazy("owner organization"))
    category = fields.Field(attribute="get_category_display", column_name=gettext_lazy("category"))
    status = fields.Field(attribute="get_status_display", column_name=gettext_lazy("status"))
    industry_fields = fields.Field(column_name=gettext_lazy("industry fields"))
    transfer_modes = fields.Field(column_name=gettext_lazy("transfer modes"))
    keywords = fields.Field(column_name=gettext_lazy("keywords"))

    class Meta:
        model = Achievement
        fields = (
            "id", "title", "organization", "category", "trl", "status", "industry_fields", "transfer_modes",
            "keywords", "asking_price", "price_negotiable", "summary", "published_at", "confirmed_at",
            "source", "external_ref",
        )  # fmt: skip
        export_order = fields

    def get_export_headers(self, selected_fields=None):
        """Chinese column headers: the model's verbose names where no header was given."""
        headers = []
        for field in self.get_export_fields(selected_fields):
            if field.column_name == field.attribute:
                try:
                    headers.append(str(Achievement._meta.get_field(field.attribute).verbose_name))
                    continue
                except FieldDoesNotExist:
                    pass
            headers.append(str(field.column_name))
        return headers

    def dehydrate_industry_fields(self, achievement):
        return "、".join(field.name for field in achievement.industry_fields.all())

    def dehydrate_transfer_modes(self, achievement):
        return "、".join(mode.get_mode_display() for mode in achievement.transfer_modes.all())

    def dehydrate_keywords(self, achievement):
        return "、".join(achievement.keywords)

    def get_queryset(self):
        return Achievement.objects.select_related("organization").prefetch_related("industry_fields", "transfer_modes")


class AchievementImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (.xlsx, .csv or .jsonl)"))
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Owner organization"),
        queryset=Organization.objects.verified().order_by("name"),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status after import"),
        choices=[(Status.SUBMITTED, Status.SUBMITTED.label), (Status.PUBLISHED, Status.PUBLISHED.label)],
        initial=Status.SUBMITTED,
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if Path(uploaded.name).suffix.lower() not in {".xlsx", ".csv", ".jsonl"}:
            raise forms.ValidationError(_("Upload an .xlsx, .csv or .jsonl file."))
        if uploaded.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it."))
        return uploaded


class CompleterInline(admin.TabularInline):
    model = Completer
    extra = 0
    readonly_fields = ("rank", "name", "affiliation", "title")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class IPRightInline(admin.TabularInline):
    model = IPRight
    extra = 0
    readonly_fields = ("kind", "title", "number", "status")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


# Content is the owner's: reviewers read it and decide; they do not rewrite it.
CONTENT_FIELDS = (
    "title", "organization", "category", "trl", "summary", "rendered_description", "innovation_points",
    "technical_indicators", "application_scenarios", "keywords", "asking_price", "price_negotiable",
    "contact_name", "contact_phone", "contact_email", "source", "external_ref",
)  # fmt: skip


@admin.register(Achievement)
class AchievementAdmin(TransitionHistoryMixin, ExportActionMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    resource_classes = [AchievementResource]
    formats = [XLSX, CSV]
    list_display = ("title", "organization", "category", "trl", "status", "submitted_at", "published_at", "is_tracked")
    list_filter = ("status", "category", "trl", "is_tracked", "source")
    search_fields = ("title", "summary", "organization__name", "external_ref")
    list_select_related = ["organization"]
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at", "-id")
    actions = ["publish", "reject", "evaluate"]
    readonly_fields = (
        *CONTENT_FIELDS, "status", "review_note", "submitted_at", "published_at", "confirmed_at", "view_count",
        "transition_history", "public_link",
    )  # fmt: skip
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
                    "is_tracked",
                )
            },
        ),
        (gettext_lazy("Content"), {"fields": CONTENT_FIELDS}),
        (gettext_lazy("Status history"), {"fields": ("transition_history",)}),
    )
    inlines = [IPRightInline, CompleterInline]

    def has_add_permission(self, request):
        return False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # django-import-export sets its export change list in __init__; ours extends it with
        # the import link.
        self.change_list_template = "admin/achievements/achievement/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="achievements_achievement_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Excel/CSV/JSONL import for one owner organization, through the same importer as
        `manage.py import_achievements` (bad rows are listed; the rest go in)."""
        if not request.user.has_perm("achievements.review_achievement"):
            raise PermissionDenied
        form = AchievementImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            uploaded = form.cleaned_data["file"]
            suffix = Path(uploaded.name).suffix.lower()
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                for chunk in uploaded.chunks():
                    handle.write(chunk)
                handle.flush()
                try:
                    result = achievements_import_file(
                        path=Path(handle.name),
                        organization=form.cleaned_data["organization"],
                        status=form.cleaned_data["status"],
                        published_by=request.user,
                    )
                except AchievementImportError as exc:
                    form.add_error("file", str(exc))
            if result is not None:
                self.message_user(
                    request,
                    _("%(created)s achievements imported, %(unchanged)s already there, %(errors)s rows with errors.")
                    % {"created": result.created, "unchanged": result.unchanged, "errors": len(result.errors)},
                    messages.SUCCESS if not result.errors else messages.WARNING,
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import achievements"),
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/achievements/achievement/import.html", context)

    @admin.display(description=gettext_lazy("detailed description"))
    def rendered_description(self, achievement):
        from marketplace.richtext import sanitize_rich_text

        return (
            format_html("<div>{}</div>", sanitize_rich_text(achievement.description))
            if achievement.description
            else "—"
        )

    @admin.display(description=gettext_lazy("page"))
    def public_link(self, achievement):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', achievement.get_absolute_url(), _("Open the page")
        )

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm("achievements.review_achievement", obj)

    @admin.action(description=gettext_lazy("Publish the selected achievements"), permissions=["review"])
    def publish(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=Status.SUBMITTED),
            lambda achievement: achievement_publish(achievement=achievement, reviewer=request.user),
            done_message=_("%(count)s achievements published."),
        )

    @admin.action(description=gettext_lazy("Reject the selected achievements (with a reason)"), permissions=["review"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=Status.SUBMITTED),
            lambda achievement, reason: achievement_reject(
                achievement=achievement, reviewer=request.user, reason=reason
            ),
            title=_("Reject achievements"),
            done_message=_("%(count)s achievements rejected."),
        )

    @admin.action(
        description=gettext_lazy("Evaluate the selected achievements (new draft round)"), permissions=["evaluate"]
    )
    def evaluate(self, request, queryset):
        achievements = list(queryset.filter(status=Status.PUBLISHED))
        if not achievements:
            self.message_user(request, _("Only published achievements are evaluated."), messages.WARNING)
            return None
        evaluation = round_create(
            user=request.user,
            title=_("Evaluation of %(count)s achievements") % {"count": len(achievements)},
            subjects=achievements,
            deadline=timezone.now() + timedelta(days=14),
        )
        return redirect("admin:marketplace_evaluationround_change", evaluation.pk)

    def has_evaluate_permission(self, request, obj=None):
        return request.user.has_perm("marketplace.add_evaluationround")


class InquiryMessageInline(GenericTabularInline):
    model = Message
    ct_field = "thread_type"
    ct_fk_field = "thread_id"
    extra = 0
    readonly_fields = ("author", "organization", "body", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Inquiry)
class InquiryAdmin(ObjectPermissionsModelAdmin):
    list_display = ("subject", "achievement", "organization", "status", "decline_reason", "created_at")
    list_filter = ("status", "decline_reason")
    search_fields = ("subject", "achievement__title", "organization__name")
    list_select_related = ["achievement", "organization"]
    readonly_fields = ("achievement", "organization", "user", "subject", "status", "decline_reason", "decline_note")
    inlines = [InquiryMessageInline]

    def has_add_permission(self, request):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ObjectPermissionsModelAdmin):
    list_display = ("achievement", "month", "author", "created_at")
    list_select_related = ["achievement", "author"]
    readonly_fields = ("achievement", "month", "progress", "next_steps", "author")
    date_hierarchy = "month"

    def has_add_permission(self, request):
        return False


@admin.register(Problem)
class ProblemAdmin(ObjectPermissionsModelAdmin):
    list_display = ("obstacle", "achievement", "department", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    list_select_related = ["achievement"]
    search_fields = ("obstacle", "department", "achievement__title")
    readonly_fields = ("achievement", "obstacle", "department", "status", "resolution", "resolved_at")

    def has_add_permission(self, request):
        return False

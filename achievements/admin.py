"""The bureau's review queue and records of the achievement library."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.admin import ExportActionMixin
from import_export.formats.base_formats import CSV, XLSX
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from achievements.enums import FeaturedIssueStatus, Status
from achievements.importing import AchievementImportError, achievements_import_file
from achievements.models import (
    Achievement,
    Completer,
    DigestDelivery,
    FeaturedIssue,
    FeaturedItem,
    Inquiry,
    IPRight,
    LedgerEntry,
    Problem,
    Subscription,
)
from achievements.services import achievement_publish, achievement_reject
from achievements.services_digest import delivery_mark_sent, delivery_resend
from achievements.services_featured import issue_candidates, issue_create, issue_publish, issue_set_items
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
        from marketplace.templatetags.market import rich_text

        # rich_text sanitises with nh3 and marks the result safe; format_html alone would escape it.
        return format_html("<div>{}</div>", rich_text(achievement.description)) if achievement.description else "—"

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
class InquiryAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
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
class ProblemAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("obstacle", "achievement", "department", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    list_select_related = ["achievement"]
    search_fields = ("obstacle", "department", "achievement__title")
    readonly_fields = ("achievement", "obstacle", "department", "status", "resolution", "resolved_at")

    def has_add_permission(self, request):
        return False


# Featured achievements (好成果) and their digest -------------------------------------------------


class FeaturedItemFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if self.instance.pk and self.instance.status != FeaturedIssueStatus.DRAFT:
            raise forms.ValidationError(_("A published issue is not changed."))
        chosen = [
            form.cleaned_data["achievement"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("achievement")
        ]
        if len({a.pk for a in chosen}) != len(chosen):
            raise forms.ValidationError(_("An achievement appears twice in the issue."))
        if not_public := [a.title for a in chosen if not a.is_public]:
            raise forms.ValidationError(
                _("Only published achievements can be featured (not: %(ids)s).") % {"ids": "、".join(not_public)}
            )


class FeaturedItemInline(admin.TabularInline):
    model = FeaturedItem
    formset = FeaturedItemFormSet
    fields = ("position", "achievement", "note")
    autocomplete_fields = ["achievement"]
    extra = 3
    ordering = ("position", "id")

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == FeaturedIssueStatus.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(FeaturedIssue)
class FeaturedIssueAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Staff compose an issue: give the period, and the best candidates of the period come in
    as its first items; choose, order and annotate them; publish."""

    list_display = ("number", "title", "period_start", "period_end", "status", "item_count", "published_at")
    list_filter = ("status",)
    search_fields = ("title",)
    ordering = ("-number",)
    actions = ["publish"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(items_total=Count("items"))

    @admin.display(description=gettext_lazy("achievements"), ordering="items_total")
    def item_count(self, issue):
        return issue.items_total

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("title", "period_start", "period_end", "editor_note")
        return ("number", "title", "period_start", "period_end", "editor_note", "status", "published_at", "candidates")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ("number", "status", "published_at", "candidates")
        if obj.status != FeaturedIssueStatus.DRAFT:
            readonly += ("title", "period_start", "period_end", "editor_note")
        return readonly

    def get_inlines(self, request, obj):
        return [FeaturedItemInline] if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.base_fields["title"].required = False
            form.base_fields["title"].help_text = _("Left empty: “Featured achievements, issue N”.")
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new issue takes the next number and the period's best candidates (the service).
        issue = issue_create(
            user=request.user,
            period_start=obj.period_start,
            period_end=obj.period_end,
            title=obj.title,
            editor_note=obj.editor_note,
        )
        obj.pk, obj.number, obj.title, obj.created_at = issue.pk, issue.number, issue.title, issue.created_at
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not FeaturedItem:
            return super().save_formset(request, form, formset, change)
        rows = sorted(
            (
                (f.cleaned_data.get("position") or 0, index, f.cleaned_data["achievement"].pk, f.cleaned_data["note"])
                for index, f in enumerate(formset.forms)
                if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("achievement")
            )
        )
        issue_set_items(issue=form.instance, user=request.user, items=[(pk, note) for _p, _i, pk, note in rows])
        # The service replaced the rows; the admin's change message lists none individually.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None

    @admin.display(description=gettext_lazy("candidates of the period"))
    def candidates(self, issue):
        chosen = set(issue.items.values_list("achievement_id", flat=True))
        rows = [
            (
                candidate.achievement.pk,
                candidate.achievement.title,
                candidate.achievement.organization.name,
                f"{candidate.score:.2f}",
                "—" if candidate.evaluation_score is None else f"{candidate.evaluation_score:.1f}",
                candidate.inquiries,
                candidate.matches,
                candidate.achievement.view_count,
                "✓" if candidate.achievement.pk in chosen else "",
            )
            for candidate in issue_candidates(period_start=issue.period_start, period_end=issue.period_end, limit=20)
        ]
        if not rows:
            return _("No achievement was published in this period.")
        header = (
            "ID",
            _("title"),
            _("owner"),
            _("score"),
            _("evaluation"),
            _("inquiries"),
            _("matches"),
            _("views"),
            _("in the issue"),
        )
        return format_html(
            "<table><tr>{}</tr>{}</table>",
            format_html_join("", "<th>{}</th>", ((h,) for h in header)),
            format_html_join("", "<tr>" + "<td>{}</td>" * len(header) + "</tr>", rows),
        )

    def has_publish_permission(self, request, obj=None):
        return request.user.has_perm("achievements.publish_featuredissue", obj)

    @admin.action(description=gettext_lazy("Publish the selected issues"), permissions=["publish"])
    def publish(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(status=FeaturedIssueStatus.DRAFT),
            lambda issue: issue_publish(issue=issue, user=request.user),
            done_message=_("%(count)s issues published."),
        )


@admin.register(Subscription)
class SubscriptionAdmin(ObjectPermissionsModelAdmin):
    list_display = ("email", "status", "frequency", "user", "confirmed_at", "created_at")
    list_filter = ("status", "frequency")
    search_fields = ("email", "user__username")
    list_select_related = ["user"]
    readonly_fields = ("email", "user", "status", "confirmed_at", "unsubscribed_at", "created_at", "updated_at")
    fields = (*readonly_fields[:2], "frequency", "industry_fields", *readonly_fields[2:])
    filter_horizontal = ["industry_fields"]

    def has_add_permission(self, request):
        return False


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(ObjectPermissionsModelAdmin):
    """Every digest message: filter by status to see failures and the ambiguous ones left by a
    worker that died mid-send (look their Message-ID up in the mail server's log, then mark them
    sent or send them again)."""

    list_display = ("period", "email", "status", "attempts", "sent_at", "message_id", "last_error")
    list_filter = ("status", "period")
    search_fields = ("email", "message_id")
    readonly_fields = [f.name for f in DigestDelivery._meta.fields]
    actions = ["resend", "mark_sent"]
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request):
        return False

    @admin.action(
        description=gettext_lazy("Send the selected failed or unknown deliveries again"), permissions=["change"]
    )
    def resend(self, request, queryset):
        resent = []
        apply_service(
            self,
            request,
            queryset,
            lambda delivery: resent.append(delivery_resend(delivery=delivery)),
            done_message=_("%(count)s deliveries queued again."),
        )
        if resent:
            from achievements.tasks import send_digest_batch

            transaction.on_commit(send_digest_batch.delay, robust=True)

    @admin.action(
        description=gettext_lazy("Mark the selected unknown deliveries as sent (found in the mail log)"),
        permissions=["change"],
    )
    def mark_sent(self, request, queryset):
        apply_service(
            self,
            request,
            queryset,
            lambda delivery: delivery_mark_sent(delivery=delivery),
            done_message=_("%(count)s deliveries marked sent."),
        )

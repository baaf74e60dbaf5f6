"""The bureau's training console: courses with their enrolments (attendance editable), and
enrolments to mark attended and complete with a certificate. Every write goes through
brokers.services_training."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rules.contrib.admin import ObjectPermissionsModelAdmin

from brokers import services_training
from brokers.models import Course, Enrolment
from marketplace import rules as market_rules
from marketplace.admin_actions import apply_service


class EnrolmentInline(admin.TabularInline):
    """The course's enrolments; staff tick attendance here (saved through the service)."""

    model = Enrolment
    extra = 0
    can_delete = False
    fields = ("profile", "enrolled_at", "attended", "completed_on", "certificate_number")
    readonly_fields = ("profile", "enrolled_at", "completed_on", "certificate_number")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("profile__user")

    def has_view_permission(self, request, obj=None):
        return market_rules.is_bureau_staff(request.user)

    def has_change_permission(self, request, obj=None):
        return market_rules.is_bureau_staff(request.user)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(ObjectPermissionsModelAdmin):
    list_display = ("title", "level", "hours", "starts_on", "ends_on", "provider", "capacity")
    list_filter = ("level", "starts_on")
    search_fields = ("title", "provider")
    date_hierarchy = "starts_on"
    ordering = ("-starts_on", "-id")
    inlines = [EnrolmentInline]
    fields = services_training.COURSE_FIELDS

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services_training.COURSE_FIELDS}
        if change:
            services_training.course_update(course=obj, user=request.user, **fields)
        else:
            created = services_training.course_create(user=request.user, **fields)
            obj.pk = created.pk
            obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        """Attendance changes go through attendance_record; nothing else in the inline is editable."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            enrolment = inline_form.instance
            if enrolment.pk is None or "attended" not in inline_form.changed_data:
                continue
            try:
                with transaction.atomic():
                    services_training.attendance_record(
                        enrolment=enrolment, attended=inline_form.cleaned_data["attended"], user=request.user
                    )
            except (ValidationError, PermissionDenied) as exc:
                detail = " ".join(exc.messages) if isinstance(exc, ValidationError) else _("not allowed")
                self.message_user(request, f"{enrolment}: {detail}", messages.ERROR)
            else:
                formset.changed_objects.append((enrolment, ["attended"]))


@admin.register(Enrolment)
class EnrolmentAdmin(ObjectPermissionsModelAdmin):
    """Enrolments: mark attended, then complete and issue the completion certificates."""

    list_display = ("profile", "course", "enrolled_at", "attended", "completed_on", "certificate_number")
    list_filter = ("attended", "course__level", ("completed_on", admin.EmptyFieldListFilter))
    search_fields = ("profile__user__name", "course__title", "certificate_number")
    list_select_related = ["profile__user", "course"]
    ordering = ("-enrolled_at", "-id")
    actions = ["mark_attended", "complete"]
    readonly_fields = ("course", "profile", "enrolled_at", "attended", "completed_on", "certificate_number")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Mark the selected enrolments attended"), permissions=["change"])
    def mark_attended(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(attended=False),
            lambda enrolment: services_training.attendance_record(
                enrolment=enrolment, attended=True, user=request.user
            ),
            done_message=_("%(count)s enrolments marked attended."),
        )

    @admin.action(
        description=gettext_lazy("Complete the selected enrolments and issue certificates"), permissions=["change"]
    )
    def complete(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.filter(completed_on__isnull=True).order_by("course_id", "enrolled_at", "pk"),
            lambda enrolment: services_training.enrolment_complete(enrolment=enrolment, user=request.user),
            done_message=_("%(count)s completion certificates issued."),
        )

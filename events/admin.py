"""The bureau's events console: every event by status, kind and date with its registrations,
roadshow line-up and letters of intent (read only: organizers keep them on their workspace), the
post-event figures on its page and the year's count against the target on the list; event
organizers cancel (with a reason) or mark events held through the services. Registrations and
letters of intent have read-only lists of their own."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from events import selectors, services
from events.enums import EventStatus
from events.models import Event, LetterOfIntent, Presentation, Registration
from marketplace import rules as market_rules
from marketplace.admin import TransitionHistoryMixin
from marketplace.admin_actions import apply_service, reason_action


class ReadOnlyInline(admin.TabularInline):
    """An inline staff read (the organizer keeps it on the site)."""

    extra = 0
    can_delete = False
    show_change_link = False

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


class RegistrationInline(ReadOnlyInline):
    model = Registration
    fields = ("user", "organization", "status", "note", "created_at", "confirmed_at", "cancelled_at", "checked_in_at")
    ordering = ("created_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "organization")


class PresentationInline(ReadOnlyInline):
    model = Presentation
    fields = ("achievement", "organization", "presenter_name", "status", "slot_starts_at", "slot_ends_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("achievement", "organization")


class IntentInline(ReadOnlyInline):
    model = LetterOfIntent
    fields = ("title", "seller", "buyer", "achievement", "demand", "amount", "deal", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("seller", "buyer", "achievement", "demand", "deal")


class WhenFilter(admin.SimpleListFilter):
    title = gettext_lazy("date")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(ends_at__gte=now)
        if self.value() == "past":
            return queryset.filter(ends_at__lt=now)
        return queryset


EVENT_FIELDS = (
    "title",
    "kind",
    "organizer",
    "co_organizers",
    "industry_fields",
    "region",
    "summary",
    "description",
    "agenda",
    "starts_at",
    "ends_at",
    "venue",
    "online_url",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "meeting_minutes",
)

CANCELLABLE = (EventStatus.DRAFT, EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED)


@admin.register(Event)
class EventAdmin(TransitionHistoryMixin, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Events, read by bureau staff: the organizers publish and edit them on their workspace.
    Event-organizer staff cancel (with a reason sent to everyone registered) or mark events held
    from here, through the same services."""

    list_display = (
        "title",
        "kind",
        "organizer",
        "region",
        "starts_at",
        "status",
        "capacity",
        "confirmed",
        "waitlisted",
    )
    list_filter = ("status", "kind", WhenFilter, "region", "industry_fields")
    search_fields = ("title", "summary", "agenda", "venue", "organizer__name")
    list_select_related = ["organizer", "region"]
    ordering = ("-starts_at", "-id")
    date_hierarchy = "starts_at"
    actions = ["cancel", "mark_held"]
    readonly_fields = (
        *EVENT_FIELDS,
        "status",
        "status_note",
        "published_at",
        "reported_at",
        "report",
        "created_by",
        "public_link",
        "figures",
        "transition_history",
    )
    fieldsets = (
        (None, {"fields": ("public_link", "status", "status_note", "published_at", "created_by")}),
        (gettext_lazy("Figures"), {"fields": ("figures", "report", "reported_at")}),
        (gettext_lazy("Event"), {"fields": EVENT_FIELDS}),
        (gettext_lazy("Status history"), {"fields": ("transition_history",)}),
    )
    inlines = [RegistrationInline, PresentationInline, IntentInline]

    def get_queryset(self, request):
        from django.db.models import Count, Q

        from events.enums import RegistrationStatus

        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)),
                waitlist_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
            )
        )

    # Events are created and edited by their organizers on the site.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_organize_permission(self, request, obj=None):
        return market_rules.is_event_organizer(request.user)

    @admin.display(description=gettext_lazy("confirmed"), ordering="confirmed_count")
    def confirmed(self, event):
        return event.confirmed_count

    @admin.display(description=gettext_lazy("waiting list"), ordering="waitlist_count")
    def waitlisted(self, event):
        return event.waitlist_count

    @admin.display(description=gettext_lazy("page"))
    def public_link(self, event):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', event.get_absolute_url(), _("Open the page")
        )

    @admin.display(description=gettext_lazy("figures"))
    def figures(self, event):
        """What the event produced (selectors.report_figures), as counted now."""
        figures = selectors.report_figures(event)
        rate = figures.attendance_rate
        rows = [
            (_("Registered"), figures.registered),
            (_("Confirmed"), figures.confirmed),
            (_("On the waiting list"), figures.waitlisted),
            (_("Checked in"), figures.checked_in),
            (_("Attendance rate"), f"{rate:.0%}" if rate is not None else "—"),
            (_("Organizations present"), figures.organizations),
            (_("Roadshow presentations"), figures.presentations),
            (_("1:1 meetings requested"), figures.meetings_requested),
            (_("1:1 meetings accepted"), figures.meetings_accepted),
            (_("Letters of intent"), figures.intents),
            (
                _("Intended amount (yuan)"),
                f"{figures.intended_amount:,.2f}" if figures.intended_amount is not None else "—",
            ),
            (_("Deals started"), figures.deals),
            (_("Deals signed"), figures.deals_signed),
        ]
        return format_html(
            '<table class="event-figures">{}</table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            counts = selectors.yearly_counts(timezone.localdate().year)
            context["yearly_counts"] = counts
            context["subtitle"] = _(
                "%(year)s: %(held)s of %(target)s events held, %(attendees)s attendees checked in, "
                "%(intents)s letters of intent, %(deals)s deals started"
            ) % {
                "year": counts.year,
                "held": counts.held,
                "target": counts.target,
                "attendees": counts.attendees,
                "intents": counts.intents,
                "deals": counts.deals,
            }
        return response

    @admin.action(
        description=gettext_lazy("Cancel the selected events (with a reason sent to everyone registered)"),
        permissions=["organize"],
    )
    def cancel(self, request, queryset):
        events = queryset.filter(status__in=CANCELLABLE)
        if not events.exists():
            self.message_user(request, _("Only events that have not taken place can be cancelled."), messages.WARNING)
            return None
        return reason_action(
            self,
            request,
            events,
            lambda event, reason: services.event_cancel(event=event, user=request.user, reason=reason),
            title=_("Cancel events"),
            done_message=_("%(count)s events cancelled."),
        )

    @admin.action(description=gettext_lazy("Mark the selected events as held"), permissions=["organize"])
    def mark_held(self, request, queryset):
        events = list(queryset.filter(status__in=(EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED)))
        if not events:
            self.message_user(request, _("Only published events can be marked as held."), messages.WARNING)
            return None
        apply_service(
            self,
            request,
            events,
            lambda event: services.event_mark_held(event=event, user=request.user),
            done_message=_("%(count)s events marked as held."),
        )
        return None


class StaffReadOnlyAdmin(admin.ModelAdmin):
    """A list bureau staff read; the records are written by the services on the site."""

    def has_module_permission(self, request):
        return market_rules.is_bureau_staff(request.user)

    def has_view_permission(self, request, obj=None):
        return market_rules.is_bureau_staff(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Registration)
class RegistrationAdmin(StaffReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ("event", "user", "organization", "status", "created_at", "confirmed_at", "checked_in_at")
    list_filter = ("status", "event__kind", "event__status")
    search_fields = ("event__title", "user__username", "user__name", "organization__name")
    list_select_related = ["event", "user", "organization"]
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    fields = (
        "event_link",
        "user",
        "organization",
        "status",
        "note",
        "created_at",
        "confirmed_at",
        "cancelled_at",
        "checked_in_at",
        "checked_in_by",
    )
    readonly_fields = fields

    @admin.display(description=pgettext_lazy("activity", "event"))
    def event_link(self, registration):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:events_event_change", args=[registration.event_id]),
            registration.event,
        )


@admin.register(LetterOfIntent)
class LetterOfIntentAdmin(StaffReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ("title", "event", "seller", "buyer", "amount", "deal", "created_at")
    list_filter = ("event__kind", ("deal", admin.EmptyFieldListFilter))
    search_fields = ("title", "event__title", "seller__name", "buyer__name")
    list_select_related = ["event", "seller", "buyer", "deal"]
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    fields = (
        "title",
        "event",
        "seller",
        "buyer",
        "achievement",
        "demand",
        "amount",
        "note",
        "deal",
        "recorded_by",
        "created_at",
    )
    readonly_fields = fields

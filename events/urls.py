from django.urls import path

from events import views_attendee, views_organizer, views_public

app_name = "events"

urlpatterns = [
    # The public calendar (views_public)
    path("", views_public.event_list, name="list"),
    path("month/<int:year>/<int:month>/", views_public.month, name="month"),
    path("feed.ics", views_public.feed, name="feed"),
    path("<int:pk>/", views_public.detail, name="detail"),
    path("<int:pk>/event.ics", views_public.event_ics, name="event-ics"),
    path("<int:pk>/register/", views_public.register, name="register"),
    # Attendees and presenters (views_attendee)
    path("my/", views_attendee.mine, name="mine"),
    path("registrations/<int:pk>/", views_attendee.ticket, name="ticket"),
    path("registrations/<int:pk>/qr.svg", views_attendee.ticket_qr, name="ticket-qr"),
    path("registrations/<int:pk>/cancel/", views_attendee.registration_cancel, name="registration-cancel"),
    path("<int:pk>/agenda/", views_attendee.agenda, name="agenda"),
    path("<int:pk>/meetings/new/", views_attendee.meeting_request, name="meeting-request"),
    path("meetings/<int:pk>/accept/", views_attendee.meeting_accept, name="meeting-accept"),
    path("meetings/<int:pk>/decline/", views_attendee.meeting_decline, name="meeting-decline"),
    path("meetings/<int:pk>/cancel/", views_attendee.meeting_cancel, name="meeting-cancel"),
    path("<int:pk>/present/", views_attendee.present, name="present"),
    path("presentations/<int:pk>/withdraw/", views_attendee.presentation_withdraw, name="presentation-withdraw"),
    path("intents/<int:pk>/deal/", views_attendee.intent_deal, name="intent-deal"),
    # Organizers (views_organizer)
    path("organize/", views_organizer.organized, name="organized"),
    path("organize/new/", views_organizer.create, name="create"),
    path("organize/statistics/", views_organizer.yearly, name="yearly"),
    path("<int:pk>/manage/", views_organizer.manage, name="manage"),
    path("<int:pk>/manage/edit/", views_organizer.edit, name="edit"),
    path("<int:pk>/manage/<slug:action>/", views_organizer.transition, name="transition"),
    path("<int:pk>/registrations.xlsx", views_organizer.registrations_export, name="registrations-export"),
    path("<int:pk>/check-in/", views_organizer.check_in, name="check-in"),
    path("presentations/<int:pk>/schedule/", views_organizer.presentation_schedule, name="presentation-schedule"),
    path("presentations/<int:pk>/reject/", views_organizer.presentation_reject, name="presentation-reject"),
    path("<int:pk>/intents/new/", views_organizer.intent_new, name="intent-new"),
    path("<int:pk>/report/", views_organizer.report, name="report"),
]

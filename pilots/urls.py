from django.urls import path

from pilots import views_public, views_requests, views_workspace

app_name = "pilots"

urlpatterns = [
    # The public directory (views_public)
    path("", views_public.directory, name="list"),
    path("<int:pk>/", views_public.detail, name="detail"),
    path("<int:pk>/calendar/", views_public.calendar, name="calendar"),
    path("<int:pk>/request/", views_public.request_new, name="request-new"),
    # Service requests, for the requester and the operator (views_requests)
    path("requests/", views_requests.request_list, name="requests"),
    path("requests/<int:pk>/", views_requests.request_detail, name="request"),
    path("requests/<int:pk>/quote/", views_requests.quote, name="request-quote"),
    path("requests/<int:pk>/accept/", views_requests.accept, name="request-accept"),
    path("requests/<int:pk>/decline/", views_requests.decline, name="request-decline"),
    path("requests/<int:pk>/withdraw/", views_requests.withdraw, name="request-withdraw"),
    path("requests/<int:pk>/book/", views_requests.book, name="request-book"),
    path("requests/<int:pk>/start/", views_requests.start, name="request-start"),
    path("requests/<int:pk>/complete/", views_requests.complete, name="request-complete"),
    # The operator's workspace (views_workspace)
    path("workspace/", views_workspace.mine, name="mine"),
    path("workspace/new/", views_workspace.create, name="create"),
    path("workspace/<int:pk>/", views_workspace.edit, name="edit"),
    path("workspace/<int:pk>/apply/", views_workspace.apply, name="apply"),
    path("workspace/<int:pk>/files/", views_workspace.file_upload, name="file-upload"),
    path("workspace/<int:pk>/files/<uuid:file_id>/delete/", views_workspace.file_delete, name="file-delete"),
    path("workspace/<int:pk>/equipment/new/", views_workspace.equipment_new, name="equipment-new"),
    path("workspace/equipment/<int:pk>/", views_workspace.equipment_edit, name="equipment-edit"),
    path("workspace/equipment/<int:pk>/delete/", views_workspace.equipment_delete, name="equipment-delete"),
    path("workspace/equipment/<int:pk>/block/", views_workspace.equipment_block, name="equipment-block"),
    path("workspace/bookings/<int:pk>/cancel/", views_workspace.booking_cancel, name="booking-cancel"),
    path("workspace/<int:pk>/services/new/", views_workspace.service_new, name="service-new"),
    path("workspace/services/<int:pk>/", views_workspace.service_edit, name="service-edit"),
    path("workspace/services/<int:pk>/delete/", views_workspace.service_delete, name="service-delete"),
]

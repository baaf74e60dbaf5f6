"""The operator's workspace: its bases in every filing status, the base form, equipment (with
calendar blocks and bookings), services, filing documents and photos, and applying for filing.
Another organization's base, equipment or booking does not exist here (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.enums import FilePurpose
from marketplace.models import Organization
from marketplace.permissions import object_or_404
from marketplace.rules import membership_roles
from marketplace.selectors import active_membership
from pilots import selectors, services
from pilots.enums import FilingStatus, RequestStatus
from pilots.forms import BaseForm, BlockForm, EquipmentForm, FileForm, ServiceForm
from pilots.models import Booking, Equipment, PilotBase, PilotService

APPLICABLE = (FilingStatus.DRAFT, FilingStatus.REJECTED, FilingStatus.REVOKED)


def _refusal(exc: Exception) -> str:
    """The Chinese reason of a refused service call, for a message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return _("Your role does not allow this.")


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _edit_url(base_id: int, anchor: str = "") -> str:
    return reverse("pilots:edit", args=[base_id]) + (f"#{anchor}" if anchor else "")


# Look-ups: what the user's organizations run, 404 for everything else ---------------------------


def _own_base(request, pk: int) -> PilotBase:
    queryset = PilotBase.objects.select_related("operator", "region")
    return object_or_404(request.user, "pilots.change_pilotbase", queryset, pk=pk)


def _own_equipment(request, pk: int) -> Equipment:
    queryset = Equipment.objects.select_related("base__operator")
    return object_or_404(request.user, "pilots.change_equipment", queryset, pk=pk)


def _own_service(request, pk: int) -> PilotService:
    queryset = PilotService.objects.select_related("base__operator")
    return object_or_404(request.user, "pilots.change_pilotservice", queryset, pk=pk)


def _own_booking(request, pk: int) -> Booking:
    booking = get_object_or_404(Booking.objects.select_related("equipment__base", "request"), pk=pk)
    if not request.user.has_perm("pilots.change_equipment", booking.equipment):
        raise Http404
    return booking


def _organizations(request) -> list[Organization]:
    """The user's organizations, the one they act for first."""
    ids = list(membership_roles(request.user))
    organizations = list(Organization.objects.filter(pk__in=ids).order_by("name"))
    active = active_membership(request)
    if active is not None:
        organizations.sort(key=lambda organization: organization.pk != active.organization_id)
    return organizations


# The bases ------------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    """Every base of the user's organizations, whatever its filing status, with the open service
    requests it has received (counted in the same query)."""
    organization_ids = list(membership_roles(request.user))
    bases = (
        PilotBase.objects.filter(operator_id__in=organization_ids)
        .select_related("operator", "region")
        .annotate(
            open_requests=Count("service_requests", filter=Q(service_requests__status__in=RequestStatus.open_values()))
        )
        .order_by("operator__name", "name", "id")
    )
    context = {
        "bases": bases,
        "has_organization": bool(organization_ids),
        "today": timezone.localdate(),
        "inbox_url": reverse("pilots:requests") + "?side=operator",
    }
    return render(request, "pilots/workspace/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    organizations = _organizations(request)
    if not organizations:
        messages.error(request, _("Join or register an organization before describing a pilot base."))
        return redirect("workspace:home")
    form = BaseForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            with transaction.atomic():
                base = services.base_create(user=request.user, operator=form.chosen_operator(), **fields)
        except ValidationError as exc:
            form.add_service_error(exc)
        except IntegrityError:
            form.add_error("name", _("Your organization already has a base with this name."))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(
                request,
                _("The base is saved as a draft. Add equipment or services and the filing documents, then apply."),
            )
            return redirect("pilots:edit", base.pk)
    return render(request, "pilots/workspace/base_form.html", {"form": form, "base": None})


def _edit_context(request, base: PilotBase, form) -> dict:
    now = timezone.now()
    upcoming = Booking.objects.filter(is_active=True, ends_at__gt=now).select_related("request").order_by("starts_at")
    equipment = list(
        base.equipment.order_by("name", "id").prefetch_related(
            Prefetch("bookings", queryset=upcoming, to_attr="upcoming")
        )
    )
    files = list(services.base_files(base).order_by("created_at"))
    return {
        "base": base,
        "form": form,
        "equipment": equipment,
        "services": base.services.order_by("name", "id"),
        "documents": [f for f in files if f.purpose == FilePurpose.FILING_DOCUMENT],
        "photos": [f for f in files if f.purpose == FilePurpose.PHOTO],
        "file_form": FileForm(),
        "can_apply": base.status in APPLICABLE,
        "documents_locked": base.status == FilingStatus.APPLIED,
        "reviews": base.reviews.all(),
        "leads": selectors.achievements_for_base(base) if base.is_filed else [],
        "today": timezone.localdate(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    """The base form, with everything the operator manages about the base around it."""
    base = _own_base(request, pk)
    form = BaseForm(request.POST or None, instance=base)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.base_update(base=base, user=request.user, **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
            base.refresh_from_db()
        except IntegrityError:
            form.add_error("name", _("Your organization already has a base with this name."))
            base.refresh_from_db()
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Saved."))
            return redirect("pilots:edit", base.pk)
    return render(request, "pilots/workspace/edit.html", _edit_context(request, base, form))


@login_required
@require_POST
def apply(request, pk: int):
    base = _own_base(request, pk)
    try:
        services.base_apply(base=base, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The filing is sent to the bureau. You are notified of its decision."))
    return redirect("pilots:edit", base.pk)


# Files ----------------------------------------------------------------------------------------


@login_required
@require_POST
def file_upload(request, pk: int):
    base = _own_base(request, pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_edit_url(base.pk, "files"))
    try:
        services.base_add_file(
            base=base, user=request.user, uploaded=form.cleaned_data["file"], purpose=form.cleaned_data["purpose"]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("%(name)s is uploaded.") % {"name": form.cleaned_data["file"].name})
    return redirect(_edit_url(base.pk, "files"))


@login_required
@require_POST
def file_delete(request, pk: int, file_id):
    base = _own_base(request, pk)
    stored = get_object_or_404(services.base_files(base), pk=file_id)
    if base.status == FilingStatus.APPLIED and stored.purpose == FilePurpose.FILING_DOCUMENT:
        # base_remove_file would quietly keep it: say why.
        messages.error(request, _("The bureau is reading the filing documents: they stay until it decides."))
        return redirect(_edit_url(base.pk, "files"))
    try:
        services.base_remove_file(base=base, user=request.user, file_id=stored.pk)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("%(name)s is deleted.") % {"name": stored.original_name})
    return redirect(_edit_url(base.pk, "files"))


# Equipment and its calendar -------------------------------------------------------------------


def _child_form(request, base: PilotBase, obj, *, form_class, save, name: str):
    """The form of a piece of equipment or a service (`name`), new when `obj` is None: saved
    through `save(base=, user=, <name>=obj, **fields)`, back to its list on the edit page."""
    form = form_class(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(base=base, user=request.user, **{name: obj}, **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
            if obj is not None:
                obj.refresh_from_db()
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": saved.name})
            return redirect(_edit_url(base.pk, "equipment" if name == "equipment" else "services"))
    context = {"form": form, "base": base, name: obj}
    return render(request, f"pilots/workspace/{name}_form.html", context)


def _equipment_form(request, base: PilotBase, equipment: Equipment | None):
    return _child_form(
        request, base, equipment, form_class=EquipmentForm, save=services.equipment_save, name="equipment"
    )


@login_required
@require_http_methods(["GET", "POST"])
def equipment_new(request, pk: int):
    return _equipment_form(request, _own_base(request, pk), None)


@login_required
@require_http_methods(["GET", "POST"])
def equipment_edit(request, pk: int):
    equipment = _own_equipment(request, pk)
    return _equipment_form(request, equipment.base, equipment)


@login_required
@require_POST
def equipment_delete(request, pk: int):
    equipment = _own_equipment(request, pk)
    try:
        services.equipment_delete(equipment=equipment, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("%(name)s is deleted.") % {"name": equipment.name})
    return redirect(_edit_url(equipment.base_id, "equipment"))


@login_required
@require_POST
def equipment_block(request, pk: int):
    equipment = _own_equipment(request, pk)
    form = BlockForm(request.POST)
    anchor = f"equipment-{equipment.pk}"
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_edit_url(equipment.base_id, anchor))
    try:
        services.equipment_block(equipment=equipment, user=request.user, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The calendar of %(name)s is blocked for that time.") % {"name": equipment.name})
    return redirect(_edit_url(equipment.base_id, anchor))


@login_required
@require_POST
def booking_cancel(request, pk: int):
    booking = _own_booking(request, pk)
    try:
        services.booking_cancel(booking=booking, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The booking is cancelled."))
    return redirect(_edit_url(booking.equipment.base_id, f"equipment-{booking.equipment_id}"))


# Services -------------------------------------------------------------------------------------


def _service_form(request, base: PilotBase, service: PilotService | None):
    return _child_form(request, base, service, form_class=ServiceForm, save=services.service_save, name="service")


@login_required
@require_http_methods(["GET", "POST"])
def service_new(request, pk: int):
    return _service_form(request, _own_base(request, pk), None)


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request, pk: int):
    service = _own_service(request, pk)
    return _service_form(request, service.base, service)


@login_required
@require_POST
def service_delete(request, pk: int):
    service = _own_service(request, pk)
    try:
        services.service_delete(service=service, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("%(name)s is deleted.") % {"name": service.name})
    return redirect(_edit_url(service.base_id, "services"))

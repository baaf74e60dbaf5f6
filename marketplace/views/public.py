"""Public pages: home, the organization directory, region options, private files, health."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.enums import OrganizationKind
from marketplace.health import service_status
from marketplace.models import Organization, PrivateFile
from marketplace.permissions import object_or_404
from marketplace.selectors import industry_field_groups, organization_list, organization_search, region_children


@require_GET
def home(request):
    counts = dict(Organization.objects.verified().values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    supply = sum(counts.get(kind, 0) for kind in OrganizationKind.supply_kinds())
    context = {
        "supply_count": supply,
        "enterprise_count": counts.get(OrganizationKind.ENTERPRISE, 0),
        "agency_count": counts.get(OrganizationKind.TRANSFER_AGENCY, 0)
        + counts.get(OrganizationKind.SERVICE_AGENCY, 0),
        "recent_organizations": organization_list().order_by("-verified_at", "-id")[:6],
        "field_groups": industry_field_groups(),
    }
    return render(request, "home.html", context)


@require_GET
def organization_directory(request):
    params = {
        # NUL never reaches the database: PostgreSQL refuses it in a query parameter (a 500 otherwise).
        "q": request.GET.get("q", "").replace("\x00", "").strip()[:100],
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in OrganizationKind.values else "",
        "region": request.GET.get("region", "") if request.GET.get("region", "").isdigit() else "",
        "field": request.GET.get("field", "").replace("\x00", "")[:60],
    }
    queryset = organization_search(queryset=organization_list(), **params).order_by("name", "id")
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "params": params,
        "kinds": [(v, label) for v, label in OrganizationKind.choices if v not in (OrganizationKind.PARTNER_SYSTEM,)],
        "provinces": region_children(None),
        "field_groups": industry_field_groups(),
        "querystring": _querystring_without_page(request),
    }
    return render(request, "organizations/list.html", context)


def _querystring_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def organization_detail(request, pk: int):
    organization = object_or_404(
        request.user,
        "marketplace.view_organization",
        Organization.objects.select_related("region").prefetch_related("industry_fields__parent"),
        pk=pk,
    )
    return render(request, "organizations/detail.html", {"organization": organization})


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on pages without an icon link (the admin console).
    Resolved per request: the static manifest is not read at import time."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@require_GET
def region_options(request):
    """<option> elements for the divisions directly under ?parent= (cascading selects)."""
    parent = request.GET.get("parent", "")
    options = region_children(parent) if parent.isdigit() and len(parent) == 6 else []
    return render(request, "forms/widgets/region_options.html", {"options": options})


@require_GET
def private_file(request, pk):
    """Serve an uploaded file to those allowed to read it; everyone else gets 404."""
    stored = object_or_404(request.user, "marketplace.view_privatefile", PrivateFile.objects.all(), pk=pk)
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=request.GET.get("inline") != "1" or stored.kind != "pdf",
        filename=stored.original_name,
        content_type=stored.content_type_header,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # A PDF shown inline still may not run anything.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@never_cache
@require_GET
def healthz(request):
    """Database, cache and Celery broker status for the compose health checks."""
    healthy, checks = service_status()
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)

"""Pages of the featured achievements (好成果): the public archive of published issues, an
issue's page, its print page and PDF; and the e-mail digest's subscription pages — subscribing
(double opt-in), the confirmation and one-click unsubscribe links of the mails, and the
user's subscriptions in the workspace. Staff compose and publish issues in the admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from achievements import pdf
from achievements import rules as achievement_rules
from achievements import services_digest as digest
from achievements.enums import DigestFrequency, FeaturedIssueStatus
from achievements.forms_featured import SubscribeForm, SubscriptionUpdateForm
from achievements.models import FeaturedIssue, FeaturedItem, Subscription
from marketplace import rules as market_rules
from marketplace.forms.base import live_validation
from marketplace.permissions import object_or_404
from marketplace.ratelimits import abuse_limit

PAGE_SIZE = 12


# Issues ----------------------------------------------------------------------------------------


def published_issues():
    """Published issues, newest first, each with the number of its public items (one query)."""
    return (
        FeaturedIssue.objects.filter(status=FeaturedIssueStatus.PUBLISHED)
        .annotate(item_count=Count("items", filter=Q(items__achievement__status__in=achievement_rules.PUBLIC_STATUSES)))
        .order_by("-number")
    )


def issue_items(issue: FeaturedIssue, *, include_hidden: bool = False) -> list[FeaturedItem]:
    """The issue's items in the editor's order with their achievements and organizations.
    Achievements no longer public (withdrawn since) are left out, except for staff."""
    items = issue.items.select_related("achievement__organization").order_by("position", "id")
    if not include_hidden:
        items = items.filter(achievement__status__in=achievement_rules.PUBLIC_STATUSES)
    return list(items)


def _issue_or_404(request, number: int) -> FeaturedIssue:
    """A published issue, or a draft for bureau staff; 404 for everyone else."""
    return object_or_404(request.user, "achievements.view_featuredissue", FeaturedIssue.objects.all(), number=number)


def _issue_context(request, issue: FeaturedIssue) -> dict:
    is_staff = market_rules.is_bureau_staff(request.user)
    return {
        "issue": issue,
        "items": issue_items(issue, include_hidden=is_staff),
        "is_draft": issue.status == FeaturedIssueStatus.DRAFT,
        "is_staff": is_staff,
        # The canonical address, printed at the foot of the page and the PDF.
        "issue_url": settings.SITE_URL + issue.get_absolute_url(),
    }


@require_GET
def archive(request):
    page = Paginator(published_issues(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "achievements/featured/archive.html", {"page": page})


@require_GET
def issue_detail(request, number: int):
    issue = _issue_or_404(request, number)
    return render(request, "achievements/featured/issue.html", _issue_context(request, issue))


@require_GET
def issue_print(request, number: int):
    issue = _issue_or_404(request, number)
    return render(request, "achievements/featured/print.html", _issue_context(request, issue))


@require_GET
def issue_pdf(request, number: int):
    issue = _issue_or_404(request, number)
    context = {**_issue_context(request, issue), "for_pdf": True}
    html = render_to_string("achievements/featured/print.html", context, request=request)
    response = HttpResponse(pdf.html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"featured-{issue.number}.pdf")
    if context["is_draft"]:
        response["Cache-Control"] = "private, no-store"
    return response


# Subscribing -----------------------------------------------------------------------------------


def _live_validation(request, form) -> HttpResponse | None:
    form.live_validation_url = request.path
    return live_validation(request, form)


@require_http_methods(["GET", "POST"])
@abuse_limit("subscription", field_checks=True)
def subscribe(request):
    if request.method == "GET" and request.GET.get("sent"):
        return render(request, "achievements/subscriptions/sent.html")
    initial = {"frequency": DigestFrequency.WEEKLY}
    if request.user.is_authenticated:
        initial["email"] = request.user.email
    form = SubscribeForm(request.POST or None, initial=initial)
    if checked := _live_validation(request, form):
        return checked
    if request.method == "POST" and form.is_valid():
        try:
            digest.subscription_request(
                email=form.cleaned_data["email"],
                frequency=form.cleaned_data["frequency"],
                industry_fields=form.cleaned_data["industry_fields"],
                user=request.user if request.user.is_authenticated else None,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            # The same page whether the address was new, pending or already subscribed.
            return redirect(f"{reverse('achievements:subscribe')}?sent=1")
    return render(request, "achievements/subscriptions/subscribe.html", {"form": form})


def _link_error(request, exc: ValidationError, template: str):
    return render(request, template, {"error": " ".join(exc.messages)}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def subscription_confirm(request, token: str):
    """The link of the confirmation mail (double opt-in): GET asks the reader to confirm — mail
    scanners that follow links confirm nothing — and POST confirms."""
    template = "achievements/subscriptions/confirmed.html"
    try:
        if request.method == "POST":
            subscription = digest.subscription_confirm(token=token)
        else:
            subscription = digest.confirmation_target(token)
    except ValidationError as exc:
        return _link_error(request, exc, template)
    return render(request, template, {"subscription": subscription, "done": request.method == "POST"})


@never_cache
@csrf_exempt  # RFC 8058 one-click: mail clients POST with no cookie; the signed token authorises.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET: a page with a one-click button; POST (the button, or a mail client's
    `List-Unsubscribe=One-Click`): unsubscribe."""
    template = "achievements/subscriptions/unsubscribe.html"
    try:
        if request.method == "POST":
            subscription = digest.subscription_unsubscribe(token=token)
            return render(request, template, {"subscription": subscription, "done": True})
        subscription = digest.unsubscribe_target(token)
    except ValidationError as exc:
        return _link_error(request, exc, template)
    return render(request, template, {"subscription": subscription, "done": False})


# The user's subscriptions (workspace) ----------------------------------------------------------


def own_subscriptions(user):
    """The subscriptions of the user's account, and any of the account's e-mail address."""
    mine = Q(user=user)
    if user.email:
        mine |= Q(email__iexact=user.email.strip())
    return Subscription.objects.filter(mine).prefetch_related("industry_fields").order_by("-created_at", "-id")


def _own_or_404(request, pk: int) -> Subscription:
    subscription = own_subscriptions(request.user).filter(pk=pk).first()
    if subscription is None:
        raise Http404
    return subscription


def _update_form(subscription: Subscription, data=None) -> SubscriptionUpdateForm:
    return SubscriptionUpdateForm(
        data,
        prefix=f"s{subscription.pk}",
        initial={"frequency": subscription.frequency, "industry_fields": list(subscription.industry_fields.all())},
    )


def _subscriptions_page(request, bound: dict[int, SubscriptionUpdateForm] | None = None, status: int = 200):
    """The user's subscriptions, each with its form (`bound`: a submitted one, with its errors)."""
    bound = bound or {}
    rows = [
        {"subscription": subscription, "form": bound.get(subscription.pk) or _update_form(subscription)}
        for subscription in own_subscriptions(request.user)
    ]
    return render(request, "achievements/subscriptions/workspace.html", {"rows": rows}, status=status)


@login_required
@require_GET
def subscriptions(request):
    return _subscriptions_page(request)


@login_required
@require_POST
def subscription_update(request, pk: int):
    subscription = _own_or_404(request, pk)
    form = _update_form(subscription, request.POST)
    if form.is_valid():
        try:
            digest.subscription_update(
                subscription=subscription,
                user=request.user,
                frequency=form.cleaned_data["frequency"],
                industry_fields=form.cleaned_data["industry_fields"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your subscription is saved."))
            return redirect("achievements:subscriptions")
    return _subscriptions_page(request, {subscription.pk: form}, status=400)


@login_required
@require_POST
def subscription_cancel(request, pk: int):
    subscription = _own_or_404(request, pk)
    try:
        digest.subscription_cancel(subscription=subscription, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("You are unsubscribed; no more digests go to %(email)s.") % {"email": subscription.email}
        )
    return redirect("achievements:subscriptions")

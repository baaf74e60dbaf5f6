"""The expert's pages: assignments, blind subject pages, score sheets, their own profile."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.enums import AssignmentStatus
from marketplace.forms.evaluation import DeclineAssignmentForm, ExpertProfileForm, ScoreForm
from marketplace.models import Assignment, Score, ScoreComment
from marketplace.permissions import object_or_404
from marketplace.services.evaluation import (
    assignment_decline,
    assignment_submit,
    present_subject,
    round_title_for_experts,
    scores_record,
    subject_file_name,
)
from marketplace.services.files import private_file_clean_copy


def expert_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        profile = getattr(request.user, "expert_profile", None)
        if profile is None or not profile.is_active:
            raise PermissionDenied
        return view(request, profile, *args, **kwargs)

    return wrapper


def _assignment(request, pk: int) -> Assignment:
    return object_or_404(
        request.user,
        "marketplace.score_assignment",
        Assignment.objects.select_related("round", "expert__user"),
        pk=pk,
    )


@expert_required
def assignment_list(request, profile):
    assignments = [
        {"assignment": assignment, "title": round_title_for_experts(assignment.round)}
        for assignment in profile.assignments.select_related("round").order_by("-round__deadline")
    ]
    return render(request, "evaluation/list.html", {"assignments": assignments, "profile": profile})


@expert_required
@require_http_methods(["GET", "POST"])
def profile_edit(request, profile):
    form = ExpertProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your expert profile is saved."))
        return redirect("evaluation:profile")
    return render(request, "evaluation/profile.html", {"form": form, "profile": profile})


def _sheet_status(assignment: Assignment) -> dict[int, bool]:
    scored = set(Score.objects.filter(assignment=assignment).values_list("subject_id", flat=True))
    return {subject.pk: subject.pk in scored for subject in assignment.round.subjects.all()}


@expert_required
def assignment_detail(request, profile, pk: int):
    assignment = _assignment(request, pk)
    status = _sheet_status(assignment)
    subjects = [
        {
            "subject": subject,
            "title": present_subject(subject, blind=assignment.round.is_blind).title,
            "scored": status[subject.pk],
        }
        for subject in assignment.round.subjects.all()
    ]
    context = {
        "assignment": assignment,
        "evaluation": assignment.round,
        "round_title": round_title_for_experts(assignment.round),
        "criteria": assignment.round.criteria.all(),
        "subjects": subjects,
        "complete": all(status.values()),
        "decline_form": DeclineAssignmentForm(),
        "is_open": assignment.status != AssignmentStatus.DECLINED,
    }
    return render(request, "evaluation/assignment.html", context)


@expert_required
@require_http_methods(["GET", "POST"])
def subject_score(request, profile, pk: int, subject_pk: int):
    assignment = _assignment(request, pk)
    subject = get_object_or_404(assignment.round.subjects.all(), pk=subject_pk)
    criteria = list(assignment.round.criteria.all())
    existing = {
        score.criterion_id: score.value for score in Score.objects.filter(assignment=assignment, subject=subject)
    }
    comment = (
        ScoreComment.objects.filter(assignment=assignment, subject=subject).values_list("comment", flat=True).first()
    )
    initial = {f"criterion_{pk}": value for pk, value in existing.items()} | {"comment": comment or ""}
    form = ScoreForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            scores_record(
                assignment=assignment,
                user=request.user,
                subject=subject,
                values=form.values(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Scores saved for %(label)s.") % {"label": subject.label})
            return redirect("evaluation:assignment", assignment.pk)
    presentation = present_subject(subject, blind=assignment.round.is_blind)
    context = {
        "assignment": assignment,
        "subject": subject,
        "round_title": round_title_for_experts(assignment.round),
        "presentation": presentation,
        "files": list(enumerate(presentation.files, start=1)),
        "form": form,
    }
    return render(request, "evaluation/subject.html", context)


@expert_required
def subject_file(request, profile, pk: int, subject_pk: int, number: int):
    """A subject's attachment for its expert: metadata stripped, and in a blind round a
    neutral file name instead of the uploader's."""
    assignment = _assignment(request, pk)
    subject = get_object_or_404(assignment.round.subjects.all(), pk=subject_pk)
    files = present_subject(subject, blind=assignment.round.is_blind).files
    if not 1 <= number <= len(files):
        raise Http404
    stored = files[number - 1]
    name = subject_file_name(subject, number, stored, blind=assignment.round.is_blind)
    response = HttpResponse(private_file_clean_copy(stored), content_type=stored.content_type_header)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@expert_required
@require_POST
def assignment_submit_view(request, profile, pk: int):
    assignment = _assignment(request, pk)
    try:
        assignment_submit(assignment=assignment, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your scores are submitted. Thank you."))
    return redirect("evaluation:assignment", assignment.pk)


@expert_required
@require_POST
def assignment_decline_view(request, profile, pk: int):
    assignment = _assignment(request, pk)
    form = DeclineAssignmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason."))
        return redirect("evaluation:assignment", assignment.pk)
    try:
        assignment_decline(assignment=assignment, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You declined; the bureau will draw another expert."))
    return redirect("evaluation:list")

"""/api/v1/evaluations/: who sees which round, blindness, the experts' scoring and the bureau's
draw, close, cancel and replacement, and constant query counts for the lists."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from achievements.models import Completer, IPRight
from achievements.services import achievement_attach
from marketplace.enums import AssignmentStatus, RoundStatus
from marketplace.models import Assignment, EvaluationRound, Score, ScoreComment
from marketplace.services.evaluation import assignment_decline, round_create, round_draw, scores_record
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import ExpertProfileFactory, MembershipFactory, OrganizationFactory
from tests.files import upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/evaluations/"


def _round(subjects, *, count=2, blind=True, title="2026年11月成果评价"):
    return round_create(
        user=None,
        title=title,
        subjects=subjects,
        deadline=timezone.now() + timedelta(days=7),
        expert_count=count,
        is_blind=blind,
    )


def _drawn_round(subjects, reviewer, *, count=2, blind=True):
    ExpertProfileFactory.create_batch(count)
    evaluation = _round(subjects, count=count, blind=blind)
    assignments = round_draw(evaluation=evaluation, user=reviewer, seed=1)
    return evaluation, assignments


def _all_scores(evaluation, value):
    return {str(criterion.pk): value for criterion in evaluation.criteria.all()}


def _score_all(client, evaluation, values):
    for subject in evaluation.subjects.all():
        scores = {str(c.pk): v for c, v in zip(evaluation.criteria.all(), values, strict=True)}
        response = client.post(
            f"{URL}{evaluation.pk}/scores/", {"subject": subject.pk, "scores": scores}, content_type="application/json"
        )
        assert response.status_code == 200
    assert client.post(f"{URL}{evaluation.pk}/submit/").status_code == 200


@pytest.fixture
def owner():
    return OrganizationFactory(name="青岛能源研究所", short_name="能源所", kind="institute")


@pytest.fixture
def achievement(owner):
    return AchievementFactory(
        organization=owner, title="能源所研发的固态电池电解质", contact_name="赵研究员", fields=["new-energy-batteries"]
    )


# Visibility ------------------------------------------------------------------------------------


def test_evaluations_list_for_staff_shows_the_whole_round(login, reviewer, achievement, owner):
    evaluation, (first, second) = _drawn_round([achievement], reviewer)

    body = login(reviewer).get(URL).json()

    (row,) = body["results"]
    assert set(body) == {"next", "previous", "results"}
    assert (row["id"], row["title"], row["status"], row["seed"], row["is_blind"], row["expert_count"]) == (
        evaluation.pk,
        "2026年11月成果评价",
        "scoring",
        1,
        True,
        2,
    )
    assert [(c["name"], c["weight"]) for c in row["criteria"]] == [
        ("创新性", "0.25"),
        ("成熟度", "0.20"),
        ("市场前景", "0.25"),
        ("知识产权", "0.15"),
        ("团队", "0.15"),
    ]
    (subject,) = row["subjects"]
    assert subject == {
        "id": evaluation.subjects.get().pk,
        "label": "成果 A",
        "position": 0,
        "subject_type": "achievements.achievement",
        "subject_id": achievement.pk,
        "owner": {"id": owner.pk, "name": "青岛能源研究所"},
        "result_score": None,
        "result_spread": None,
        "result_count": None,
    }
    assert [(a["id"], a["expert"], a["status"], a["draw_index"], a["submitted_at"]) for a in row["assignments"]] == [
        (a.pk, {"id": a.expert_id, "name": a.expert.user.name, "kind": "technical"}, "active", 0, None)
        for a in (first, second)
    ]


def test_evaluations_every_bureau_staff_member_reads_every_round(login, reviewer, registrar, achievement):
    draft = _round([achievement])

    body = login(registrar).get(f"{URL}{draft.pk}/").json()

    assert (body["id"], body["status"], body["seed"], body["assignments"]) == (draft.pk, "draft", None, [])


def test_evaluations_list_for_an_expert_shows_only_their_live_rounds(login, reviewer, achievement, owner):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    _round([AchievementFactory(organization=owner)])  # a draft: nobody drawn yet
    ExpertProfileFactory.create_batch(2)
    round_draw(evaluation=_round([AchievementFactory(organization=owner)]), user=reviewer, seed=99)

    body = login(assignment.expert.user).get(URL).json()

    assert [row["id"] for row in body["results"]] == [evaluation.pk]


def test_evaluation_detail_of_another_experts_round_is_404(login, reviewer, achievement):
    evaluation, _assignments = _drawn_round([achievement], reviewer)
    stranger = ExpertProfileFactory().user
    client = login(stranger)

    detail = client.get(f"{URL}{evaluation.pk}/")

    assert detail.status_code == 404
    assert detail.json() == {"error": {"code": "not_found", "message": "未找到。", "fields": {}}}
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{evaluation.pk}/scores/").status_code == 404


def test_evaluations_are_invisible_to_organization_members(login, reviewer, achievement, owner, org_admin):
    evaluation, _assignments = _drawn_round([achievement], reviewer)
    owner_member = MembershipFactory(organization=owner).user

    for user in (org_admin, owner_member):
        client = login(user)
        assert client.get(URL).json()["results"] == []
        assert client.get(f"{URL}{evaluation.pk}/").status_code == 404


def test_evaluations_refuse_anonymous_callers_in_the_error_format(client, reviewer, achievement):
    evaluation, _assignments = _drawn_round([achievement], reviewer)

    listing = client.get(URL)
    detail = client.get(f"{URL}{evaluation.pk}/")

    assert (listing.status_code, detail.status_code) == (403, 403)
    assert listing.json()["error"]["code"] == "not_authenticated"


def test_evaluations_an_expert_removed_from_the_pool_loses_access(login, reviewer, achievement):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    type(assignment.expert).objects.filter(pk=assignment.expert_id).update(is_active=False)

    client = login(assignment.expert.user)

    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{evaluation.pk}/").status_code == 404


# Blindness -------------------------------------------------------------------------------------

IDENTITIES = ["青岛能源研究所", "能源所", "赵研究员", "王老师", "CN105123456B"]


@pytest.fixture
def blind_round(achievement, owner, reviewer):
    from pypdf import PdfWriter

    Completer.objects.create(achievement=achievement, rank=1, name="王老师", affiliation="青岛能源研究所")
    IPRight.objects.create(achievement=achievement, kind="invention_patent", title="一种电解质", number="CN105123456B")
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "王老师", "/Title": "青岛能源研究所内部资料"})
    buffer = io.BytesIO()
    writer.write(buffer)
    member = MembershipFactory(organization=owner).user
    achievement_attach(
        achievement=achievement, user=member, uploaded=upload("青岛能源研究所-技术说明.pdf", buffer.getvalue())
    )
    evaluation, assignments = _drawn_round([achievement], reviewer)
    # Staff wrote the owner's name into the title by mistake.
    EvaluationRound.objects.filter(pk=evaluation.pk).update(title="能源所成果专场评价")
    return evaluation, assignments


def test_evaluation_blind_round_reveals_no_owner_identity_to_its_expert(login, blind_round):
    evaluation, (assignment, other) = blind_round
    subject = evaluation.subjects.get()
    client = login(assignment.expert.user)

    responses = [
        client.get(URL),
        client.get(f"{URL}{evaluation.pk}/"),
        client.post(
            f"{URL}{evaluation.pk}/scores/",
            {"subject": subject.pk, "scores": _all_scores(evaluation, 6), "comment": "方案可行"},
            content_type="application/json",
        ),
        client.get(f"{URL}{evaluation.pk}/scores/"),
        client.post(f"{URL}{evaluation.pk}/submit/"),
    ]

    for response in responses:
        content = response.content.decode()
        assert response.status_code == 200, content
        for identity in IDENTITIES:
            assert identity not in content, identity
        assert str(other.expert.user.name) not in content
    detail = responses[1].json()
    assert set(detail) == {
        "id",
        "title",
        "status",
        "deadline",
        "is_blind",
        "expert_count",
        "criteria",
        "subjects",
        "assignment",
        "updated_at",
    }
    assert detail["title"] == "■■■成果专场评价"
    assert detail["assignment"]["id"] == assignment.pk
    (shown,) = detail["subjects"]
    assert (shown["id"], shown["label"], shown["owner"]) == (subject.pk, "成果 A", None)
    presentation = shown["presentation"]
    assert presentation["title"] == "成果 A · ■■■研发的固态电池电解质"
    assert "固态电池电解质" in presentation["title"]
    file_url = f"http://testserver/expert/assignments/{assignment.pk}/subjects/{subject.pk}/files/1/"
    assert presentation["attachments"] == [{"name": "成果 A 附件 1.pdf", "url": file_url}]
    download = client.get(file_url)
    assert download.status_code == 200 and download.content[:5] == b"%PDF-"
    assert responses[0].json()["results"][0]["subjects"] == [
        {"id": subject.pk, "label": "成果 A", "owner": None, "presentation": None}
    ]


def test_evaluation_open_round_shows_the_owner_to_its_expert(login, reviewer, achievement, owner):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer, blind=False)

    detail = login(assignment.expert.user).get(f"{URL}{evaluation.pk}/").json()

    (shown,) = detail["subjects"]
    assert shown["owner"] == {"id": owner.pk, "name": "青岛能源研究所"}
    assert shown["presentation"]["title"] == "能源所研发的固态电池电解质"
    assert {"label": "成果所属机构", "value": "青岛能源研究所"} in shown["presentation"]["facts"]
    assert detail["title"] == "2026年11月成果评价"


# Scoring ---------------------------------------------------------------------------------------


def test_evaluation_scores_are_recorded_for_the_callers_assignment(login, reviewer, achievement):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    subject = evaluation.subjects.get()
    criteria = list(evaluation.criteria.all())

    response = login(assignment.expert.user).post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": subject.pk, "scores": _all_scores(evaluation, 7), "comment": " 技术新颖 "},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "subject": subject.pk,
        "label": "成果 A",
        "scores": {str(c.pk): 7 for c in criteria},
        "comment": "技术新颖",
    }
    assert sorted(assignment.scores.values_list("criterion_id", "value")) == [(c.pk, 7) for c in criteria]


@pytest.mark.parametrize(
    "case", ["above the scale", "below the scale", "not whole", "not a number", "not an id", "empty"]
)
def test_evaluation_scores_outside_the_rules_are_400_and_nothing_is_stored(login, reviewer, achievement, case):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    criteria = list(evaluation.criteria.all())
    scores = {
        "above the scale": {str(c.pk): 11 for c in criteria},
        "below the scale": {str(c.pk): -1 for c in criteria},
        "not whole": {str(c.pk): 5.5 for c in criteria},
        "not a number": {str(c.pk): True for c in criteria},
        "not an id": {"novelty": 5, "²": 5},
        "empty": {},
    }[case]

    response = login(assignment.expert.user).post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": evaluation.subjects.get().pk, "scores": scores, "comment": "x"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["scores"]
    assert not Score.objects.exists() and not ScoreComment.objects.exists()


def test_evaluation_scores_missing_a_criterion_name_the_rule(login, reviewer, achievement):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    first = evaluation.criteria.first()

    response = login(assignment.expert.user).post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": evaluation.subjects.get().pk, "scores": {str(first.pk): 5}},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"scores": ["请为每个指标评分。"]}


def test_evaluation_scores_after_the_deadline_are_refused(login, reviewer, achievement):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    EvaluationRound.objects.filter(pk=evaluation.pk).update(deadline=timezone.now() - timedelta(minutes=1))

    response = login(assignment.expert.user).post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": evaluation.subjects.get().pk, "scores": _all_scores(evaluation, 5)},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "评分截止时间已过。",
            "fields": {"non_field_errors": ["评分截止时间已过。"]},
        }
    }
    assert not Score.objects.exists()


def test_evaluation_scores_for_a_subject_of_another_round_are_refused(login, reviewer, achievement, owner):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    elsewhere = _round([AchievementFactory(organization=owner)]).subjects.get()

    response = login(assignment.expert.user).post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": elsewhere.pk, "scores": _all_scores(evaluation, 5)},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["subject"]
    assert not Score.objects.exists()


def test_evaluation_scores_in_another_experts_round_are_404(login, reviewer, achievement):
    evaluation, _assignments = _drawn_round([achievement], reviewer)
    stranger = ExpertProfileFactory().user

    response = login(stranger).post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": evaluation.subjects.get().pk, "scores": _all_scores(evaluation, 5)},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert not Score.objects.exists()


def test_evaluation_scores_by_staff_who_were_not_drawn_are_403(login, reviewer, achievement):
    evaluation, _assignments = _drawn_round([achievement], reviewer)

    response = login(reviewer).post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": evaluation.subjects.get().pk, "scores": _all_scores(evaluation, 5)},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Score.objects.exists()


def test_evaluation_scores_read_back_only_the_callers_own(login, reviewer, owner):
    evaluation, (first, second) = _drawn_round(
        [AchievementFactory(organization=owner), AchievementFactory(organization=owner)], reviewer
    )
    scored, unscored = evaluation.subjects.all()
    criteria = list(evaluation.criteria.all())
    scores_record(
        assignment=first, user=first.expert.user, subject=scored, values={c.pk: 8 for c in criteria}, comment="好"
    )
    scores_record(assignment=second, user=second.expert.user, subject=scored, values={c.pk: 2 for c in criteria})

    body = login(first.expert.user).get(f"{URL}{evaluation.pk}/scores/").json()

    assert (body["assignment"]["id"], body["assignment"]["status"]) == (first.pk, "active")
    assert body["sheets"] == [
        {"subject": scored.pk, "label": "成果 A", "scores": {str(c.pk): 8 for c in criteria}, "comment": "好"},
        {"subject": unscored.pk, "label": "成果 B", "scores": {}, "comment": ""},
    ]


# Submitting and declining ----------------------------------------------------------------------


def test_evaluation_submit_needs_every_subject_scored(login, reviewer, owner):
    evaluation, (assignment, _other) = _drawn_round(
        [AchievementFactory(organization=owner), AchievementFactory(organization=owner)], reviewer
    )
    client = login(assignment.expert.user)
    client.post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": evaluation.subjects.first().pk, "scores": _all_scores(evaluation, 5)},
        content_type="application/json",
    )

    response = client.post(f"{URL}{evaluation.pk}/submit/")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "请为所有评价对象评分后再提交。"
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ACTIVE


def test_evaluation_submit_hands_in_the_scores(login, reviewer, achievement):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    client = login(assignment.expert.user)
    client.post(
        f"{URL}{evaluation.pk}/scores/",
        {"subject": evaluation.subjects.get().pk, "scores": _all_scores(evaluation, 5)},
        content_type="application/json",
    )

    response = client.post(f"{URL}{evaluation.pk}/submit/")

    assignment.refresh_from_db()
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (assignment.pk, "submitted")
    assert assignment.status == AssignmentStatus.SUBMITTED and assignment.submitted_at is not None


def test_evaluation_decline_records_the_reason_and_ends_access(login, reviewer, achievement):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    client = login(assignment.expert.user)

    response = client.post(f"{URL}{evaluation.pk}/decline/", {"reason": "出差"}, content_type="application/json")

    assignment.refresh_from_db()
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["declined_reason"]) == ("declined", "出差")
    assert (assignment.status, assignment.declined_reason) == (AssignmentStatus.DECLINED, "出差")
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{evaluation.pk}/").status_code == 404
    assert client.post(f"{URL}{evaluation.pk}/submit/").status_code == 404


def test_evaluation_decline_needs_a_reason(login, reviewer, achievement):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)

    response = login(assignment.expert.user).post(f"{URL}{evaluation.pk}/decline/", {}, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["reason"]
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ACTIVE


# The bureau's actions --------------------------------------------------------------------------


def test_evaluation_draw_by_a_reviewer_opens_scoring_with_the_given_seed(login, reviewer, achievement):
    ExpertProfileFactory.create_batch(3)
    evaluation = _round([achievement], count=2)

    response = login(reviewer).post(f"{URL}{evaluation.pk}/draw/", {"seed": 42}, content_type="application/json")

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["seed"], len(body["assignments"])) == ("scoring", 42, 2)
    assert {a["expert"]["id"] for a in body["assignments"]} == set(
        evaluation.assignments.values_list("expert_id", flat=True)
    )


def test_evaluation_draw_twice_is_400(login, reviewer, achievement):
    evaluation, _assignments = _drawn_round([achievement], reviewer)

    response = login(reviewer).post(f"{URL}{evaluation.pk}/draw/", {}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "该轮次已抽取专家。"


def test_evaluation_staff_actions_by_others_are_refused(login, reviewer, registrar, achievement):
    ExpertProfileFactory.create_batch(2)
    draft = _round([achievement])
    evaluation, (assignment, _other) = _drawn_round(
        [AchievementFactory(organization=achievement.organization)], reviewer
    )

    assert login(registrar).post(f"{URL}{draft.pk}/draw/").status_code == 403
    expert = login(assignment.expert.user)
    assert expert.post(f"{URL}{evaluation.pk}/close/").status_code == 403
    assert expert.post(f"{URL}{evaluation.pk}/cancel/").status_code == 403
    assert expert.post(f"{URL}{draft.pk}/draw/").status_code == 404
    assert EvaluationRound.objects.get(pk=evaluation.pk).status == RoundStatus.SCORING
    assert EvaluationRound.objects.get(pk=draft.pk).status == RoundStatus.DRAFT


def test_evaluation_close_publishes_the_aggregated_results(login, reviewer, achievement):
    evaluation, (first, second) = _drawn_round([achievement], reviewer)
    _score_all(login(first.expert.user), evaluation, [10, 10, 10, 10, 10])
    _score_all(login(second.expert.user), evaluation, [8, 8, 8, 8, 8])

    response = login(reviewer).post(f"{URL}{evaluation.pk}/close/")

    body = response.json()
    (subject,) = body["subjects"]
    assert response.status_code == 200 and body["status"] == "closed"
    assert (subject["result_score"], subject["result_spread"], subject["result_count"]) == ("9.00", "1.41", 2)
    stored = evaluation.subjects.get()
    assert (stored.result_score, stored.result_spread) == (Decimal("9.00"), Decimal("1.41"))


def test_evaluation_cancel_ends_the_round(login, reviewer, achievement):
    evaluation, _assignments = _drawn_round([achievement], reviewer)

    response = login(reviewer).post(
        f"{URL}{evaluation.pk}/cancel/", {"reason": "重复"}, content_type="application/json"
    )

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert EvaluationRound.objects.get(pk=evaluation.pk).status == RoundStatus.CANCELLED


def test_evaluation_replace_draws_another_expert_for_a_declined_one(login, reviewer, achievement):
    evaluation, (declined, kept) = _drawn_round([achievement], reviewer)
    ExpertProfileFactory()
    assignment_decline(assignment=declined, user=declined.expert.user, reason="回避")
    client = login(reviewer)

    response = client.post(f"{URL}{evaluation.pk}/assignments/{declined.pk}/replace/")

    body = response.json()
    assert response.status_code == 201
    assert (body["replaces"], body["draw_index"], body["status"]) == (declined.pk, 1, "active")
    assert body["expert"]["id"] not in {declined.expert_id, kept.expert_id}
    again = client.post(f"{URL}{evaluation.pk}/assignments/{kept.pk}/replace/")
    assert (again.status_code, again.json()["error"]["message"]) == (400, "只能替换已谢绝的专家。")


def test_evaluation_replace_of_another_rounds_assignment_is_404(login, reviewer, achievement, owner):
    evaluation, _assignments = _drawn_round([achievement], reviewer)
    _elsewhere, (foreign, _other) = _drawn_round([AchievementFactory(organization=owner)], reviewer)

    response = login(reviewer).post(f"{URL}{evaluation.pk}/assignments/{foreign.pk}/replace/")

    assert response.status_code == 404


def test_evaluation_actions_on_a_round_id_that_is_no_number_are_404(login, reviewer, achievement):
    # Found by the schemathesis fuzzing: /evaluations/abc/close/ and the like were 500s.
    _drawn_round([achievement], reviewer)
    api = login(reviewer)

    responses = [
        api.get(f"{URL}abc/scores/"),
        *(api.post(f"{URL}abc/{verb}/", {}, content_type="application/json") for verb in ("close", "draw", "submit")),
        api.post(f"{URL}true/assignments/1/replace/"),
    ]

    assert [response.status_code for response in responses] == [404] * 5
    assert {response.json()["error"]["code"] for response in responses} == {"not_found"}


# Filters, pages and the schema -----------------------------------------------------------------


def test_evaluations_filter_by_status_and_updated_since(login, reviewer, achievement, owner):
    draft = _round([achievement])
    scoring, _assignments = _drawn_round([AchievementFactory(organization=owner)], reviewer)
    EvaluationRound.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(days=10))
    client = login(reviewer)

    def ids(**params):
        return [row["id"] for row in client.get(URL, params).json()["results"]]

    assert ids(status="draft") == [draft.pk]
    assert ids(updated_since=(timezone.now() - timedelta(days=1)).isoformat()) == [scoring.pk]
    bad = client.get(URL, {"status": "finished"})
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, ["status"])


def _rounds_for(expert, reviewer, how_many):
    """Rounds of one subject each (with a completer, as the blind title reads them) drawing `expert`."""
    for _ in range(how_many):
        subject = AchievementFactory()
        Completer.objects.create(achievement=subject, rank=1, name="李工", affiliation="某公司")
        round_draw(evaluation=_round([subject], count=1), user=reviewer)
    assert expert.assignments.count() >= how_many


@pytest.mark.parametrize("caller", ["staff", "expert"])
def test_evaluations_list_query_count_does_not_grow_with_rows(login, reviewer, django_assert_num_queries, caller):
    expert = ExpertProfileFactory()  # the only expert: drawn for every round
    client = login(reviewer if caller == "staff" else expert.user)
    _rounds_for(expert, reviewer, 1)
    client.get(URL)  # warm the content-type cache
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()["results"]) == 1
    _rounds_for(expert, reviewer, 2)

    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(URL).json()["results"]) == 3


def test_openapi_schema_documents_the_evaluation_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert {
        "/api/v1/evaluations/",
        "/api/v1/evaluations/{id}/",
        "/api/v1/evaluations/{id}/scores/",
        "/api/v1/evaluations/{id}/submit/",
        "/api/v1/evaluations/{id}/decline/",
        "/api/v1/evaluations/{id}/draw/",
        "/api/v1/evaluations/{id}/close/",
        "/api/v1/evaluations/{id}/cancel/",
        "/api/v1/evaluations/{id}/assignments/{assignment_pk}/replace/",
    } <= set(schema["paths"])
    scores = schema["paths"]["/api/v1/evaluations/{id}/scores/"]
    assert set(scores) >= {"get", "post"}
    listing = schema["paths"]["/api/v1/evaluations/"]["get"]
    assert {"status", "updated_since", "cursor"} <= {p["name"] for p in listing["parameters"]}

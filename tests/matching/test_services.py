"""Stored matches: recomputed after publication, merged into both lists, announced once, judged."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from achievements.services import achievement_withdraw
from demands.services import demand_publish
from marketplace.enums import MatchSide, MatchVerdict
from marketplace.models import Match, MatchFeedback, Notification
from marketplace.services import matching as services
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.matching.conftest import cathode_demand

pytestmark = pytest.mark.django_db


def test_recompute_stores_the_demands_list_and_merges_each_pair_into_the_achievements_list(strong_pair):
    demand, achievement = strong_pair

    kept = services.recompute("demand", demand.pk)

    assert kept >= 1
    match = Match.objects.get(demand=demand, achievement=achievement)
    assert match.demand_rank == 1
    assert match.achievement_rank == 1, "the pair joined the achievement's list without recomputing it"
    assert sum(c["points"] for c in match.components) == pytest.approx(match.score)
    assert "包覆改性" in match.terms or "包覆" in " ".join(match.terms)
    assert list(Match.objects.for_achievement(achievement.pk)) == [match]


def test_publishing_a_demand_recomputes_its_matches_after_the_commit(
    strong_pair, reviewer, django_capture_on_commit_callbacks
):
    demand, achievement = strong_pair
    demand.status = "submitted"
    demand.save(update_fields=["status"])

    with django_capture_on_commit_callbacks(execute=True):
        demand_publish(demand=demand, reviewer=reviewer)

    assert Match.objects.filter(demand=demand, achievement=achievement, demand_rank=1).exists()


def test_a_strong_match_notifies_both_owners_once(strong_pair, settings):
    settings.MATCHING = {**settings.MATCHING, "STRONG_SCORE": 0.3}
    demand, achievement = strong_pair

    services.recompute("demand", demand.pk)
    services.recompute("demand", demand.pk)
    services.recompute("achievement", achievement.pk)

    notices = Notification.objects.filter(kind="matching.strong_match")
    assert sorted(n.user.username for n in notices) == ["ent_admin", "inst_admin"]
    enterprise_notice = notices.get(user__username="ent_admin")
    assert achievement.title in enterprise_notice.title
    assert enterprise_notice.url == f"/workspace/demands/{demand.pk}/matches/"
    assert Match.objects.get(demand=demand, achievement=achievement).notified_at is not None


def test_a_published_demand_without_a_good_match_waits_in_the_triage_queue(corpus, settings):
    lonely = DemandFactory(title="深海热液硫化物原位探测", summary="深海热液区硫化物的原位探测装备。")

    services.recompute("demand", lonely.pk)
    lonely.refresh_from_db()
    assert lonely.triage_since is not None
    assert lonely.best_match_score == 0

    AchievementFactory(
        title="深海热液硫化物原位探测装备", summary="深海热液硫化物原位探测。", fields=["marine-equipment"]
    )
    services.recompute("demand", lonely.pk)
    lonely.refresh_from_db()
    assert lonely.triage_since is None
    assert lonely.best_match_score >= settings.MATCHING["GOOD_SCORE"]


def test_a_withdrawn_achievement_leaves_every_list_but_feedback_on_it_is_kept(strong_pair, org_admin):
    demand, achievement = strong_pair
    services.recompute("demand", demand.pk)
    match = Match.objects.get(demand=demand, achievement=achievement)
    enterprise_admin = demand.organization.memberships.get().user
    services.feedback_record(match=match, user=enterprise_admin, verdict=MatchVerdict.USEFUL)
    other = Match.objects.filter(demand=demand).exclude(pk=match.pk).first()
    institute_admin = achievement.organization.memberships.get().user

    achievement_withdraw(achievement=achievement, user=institute_admin, reason="已转让")
    services.recompute("achievement", achievement.pk)

    match.refresh_from_db()
    assert match.demand_rank is None and match.achievement_rank is None
    assert MatchFeedback.objects.filter(match=match).exists()
    assert not Match.objects.for_demand(demand.pk).filter(achievement=achievement).exists()
    if other is not None:
        assert Match.objects.for_demand(demand.pk).filter(pk=other.pk).exists()


def test_feedback_is_given_by_the_parties_shown_the_match_only(strong_pair, foreign_user, reviewer):
    demand, achievement = strong_pair
    services.recompute("demand", demand.pk)
    match = Match.objects.get(demand=demand, achievement=achievement)
    enterprise_admin = demand.organization.memberships.get().user
    institute_admin = achievement.organization.memberships.get().user

    first = services.feedback_record(match=match, user=enterprise_admin, verdict=MatchVerdict.CONTACTED)
    again = services.feedback_record(match=match, user=enterprise_admin, verdict=MatchVerdict.USEFUL)
    theirs = services.feedback_record(match=match, user=institute_admin, verdict=MatchVerdict.NOT_USEFUL)

    assert first.pk == again.pk and again.verdict == MatchVerdict.USEFUL and again.side == MatchSide.DEMAND
    assert theirs.side == MatchSide.ACHIEVEMENT
    for outsider in (foreign_user, reviewer):
        with pytest.raises(PermissionDenied):
            services.feedback_record(match=match, user=outsider, verdict=MatchVerdict.USEFUL)
    with pytest.raises(ValidationError):
        services.feedback_record(match=match, user=enterprise_admin, verdict="excellent")
    assert services.feedback_counts(demand_id=demand.pk) == {"useful": 1, "not_useful": 1, "contacted": 0}
    assert services.feedback_counts(achievement_id=achievement.pk)["not_useful"] == 1


def test_recompute_matches_command_recounts_and_recomputes_every_public_demand(strong_pair, capsys):
    demand, achievement = strong_pair
    DemandFactory(draft=True, title="高镍三元正极材料草稿")

    call_command("recompute_matches")

    assert "demand 1" in capsys.readouterr().out
    assert Match.objects.filter(demand=demand, achievement=achievement).exists()
    assert not Match.objects.exclude(demand=demand).exists()


def test_bulk_loads_defer_recomputing(strong_pair, django_capture_on_commit_callbacks):
    demand, _achievement = strong_pair
    with django_capture_on_commit_callbacks() as callbacks, services.deferred():
        services.listing_saved(demand)
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        services.listing_saved(demand)
    assert len(callbacks) == 1


def test_the_nightly_task_hands_the_demands_to_the_workers_in_batches(strong_pair, monkeypatch):
    from marketplace import tasks

    demand, _achievement = strong_pair
    other = DemandFactory(title="深海热液硫化物原位探测")
    monkeypatch.setattr(services, "FAN_OUT_BATCH", 1)
    batches = []
    monkeypatch.setattr(tasks.recompute_matches_for, "delay", lambda kind, pks: batches.append((kind, pks)))

    tasks.recompute_all_matches()

    assert sorted(batches) == sorted([("demand", [demand.pk]), ("demand", [other.pk])])
    assert not Match.objects.exists()  # the workers do the work


def test_a_newly_published_achievement_joins_the_lists_of_the_demands_it_fits(
    corpus, owner_university, reviewer, django_capture_on_commit_callbacks
):
    from achievements.services import achievement_publish

    demand = cathode_demand()
    services.recompute("demand", demand.pk)
    assert not Match.objects.for_demand(demand.pk).filter(achievement__title__startswith="高镍三元").exists()
    achievement = AchievementFactory(
        title="高镍三元正极材料包覆改性方法",
        summary="包覆改性提升循环寿命。",
        submitted=True,
        organization=owner_university,
    )

    with django_capture_on_commit_callbacks(execute=True):
        achievement_publish(achievement=achievement, reviewer=reviewer)

    listed = Match.objects.for_demand(demand.pk).get(achievement=achievement)
    assert listed.demand_rank == 1 and listed.achievement_rank == 1


def test_the_demo_shows_strong_matches_and_their_notices(capsys):
    call_command("seed_demo")

    strong = Match.objects.filter(score__gte=0.6, achievement__external_ref__startswith="demo-showcase")
    assert {m.demand.title for m in strong} >= {
        "高镍单晶三元正极材料高温循环寿命提升",
        "燃料电池质子交换膜化学耐久性提升",
    }
    listed = Match.objects.filter(score__gte=0.6).filter(demand_rank__isnull=False)
    assert Notification.objects.filter(kind="matching.strong_match").count() == 2 * listed.count()
    assert "matching: " in capsys.readouterr().out

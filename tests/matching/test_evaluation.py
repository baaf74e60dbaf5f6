"""The weights' evaluation against feedback."""

import pytest
from django.core.management import call_command

from marketplace.enums import MatchVerdict
from marketplace.matching.evaluation import auc, evaluate, rescore
from marketplace.models import Match, MatchFeedback
from marketplace.services import matching as services

pytestmark = pytest.mark.django_db


def components(lexical, fields, trl):
    return [
        {"name": "lexical", "fit": lexical},
        {"name": "fields", "fit": fields},
        {"name": "trl", "fit": trl},
    ]


def test_rescoring_a_stored_explanation_gives_its_stored_score(strong_pair, settings):
    demand, _achievement = strong_pair
    services.recompute("demand", demand.pk)
    for match in Match.objects.all():
        assert rescore(match.components, settings.MATCHING["WEIGHTS"]) == pytest.approx(match.score)


def test_auc_counts_how_often_good_outscores_bad():
    assert auc([(0.9, True), (0.1, False)]) == 1.0
    assert auc([(0.1, True), (0.9, False)]) == 0.0
    assert auc([(0.5, True), (0.5, False)]) == 0.5
    assert auc([(0.5, True)]) is None


def test_feedback_that_follows_the_industry_field_suggests_weighing_it_more():
    # Same words; people found the same-field matches useful although their TRL fits less, and the
    # other-field ones not: the current weights rank them the wrong way round.
    labelled = [(components(0.6, 1.0, 0.25), True)] * 5 + [(components(0.6, 0.0, 1.0), False)] * 5
    result = evaluate(labelled, weights={"lexical": 0.6, "fields": 0.1, "trl": 0.2})

    assert result.labelled == 10 and result.good == 5
    assert result.current_auc == 0.0
    name, weights, value = result.best
    assert value == 1.0
    assert name in {"fields doubled", "trl halved"}
    assert weights["fields"] / weights["trl"] > 0.1 / 0.2
    assert result.mean_fit["fields"] == (1.0, 0.0)


def test_the_command_reports_on_real_feedback(strong_pair, capsys):
    demand, _achievement = strong_pair
    services.recompute("demand", demand.pk)
    user = demand.organization.memberships.get().user
    matches = list(Match.objects.for_demand(demand.pk))
    services.feedback_record(match=matches[0], user=user, verdict=MatchVerdict.USEFUL)
    if len(matches) > 1:
        services.feedback_record(match=matches[-1], user=user, verdict=MatchVerdict.NOT_USEFUL)

    call_command("evaluate_match_weights")

    out = capsys.readouterr().out
    assert f"Matches with feedback: {MatchFeedback.objects.count()}" in out

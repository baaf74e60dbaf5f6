"""The matching engine on whichever database the suite runs against (SQLite and PostgreSQL in CI)."""

import pytest

from marketplace import matching
from marketplace.matching import profiles, scoring
from marketplace.models import SearchDocument
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import OrganizationFactory
from tests.matching.conftest import cathode_demand

pytestmark = pytest.mark.django_db


def test_the_points_of_an_explanation_add_up_to_its_score(corpus):
    AchievementFactory(title="高镍三元正极材料包覆改性方法", summary="包覆改性提升高镍正极材料循环寿命与热稳定性。")
    AchievementFactory(title="正极材料回收再生工艺", summary="废旧电池正极材料的回收与再生。", trl=3)
    demand = cathode_demand()

    found = matching.match_for_demand(demand)

    assert found, "the cathode achievements share the demand's words"
    for ranked in found:
        components = ranked.explanation.components
        assert sum(c.points for c in components) == pytest.approx(ranked.score, abs=1e-9)
        assert 0 < ranked.score <= 1
        assert sum(c.weight for c in components) == pytest.approx(1.0)
        assert {c.name for c in components} >= {"lexical", "fields", "trl", "price"}
    assert found[0].profile.title == "高镍三元正极材料包覆改性方法"
    assert "包覆" in " ".join(found[0].explanation.terms)


def test_structured_fit_ranks_a_suitable_same_field_achievement_above_its_lexical_twin(corpus):
    text = {"title": "高镍正极材料包覆改性方法", "summary": "高镍三元正极材料的包覆改性，提升循环寿命。"}
    fitting = AchievementFactory(**text, trl=6, asking_price=1_000_000, fields=["new-energy-batteries"])
    twin = AchievementFactory(**text, trl=2, asking_price=9_000_000, fields=["innovative-drugs"])
    demand = cathode_demand()

    found = {r.profile.pk: r for r in matching.match_for_demand(demand)}

    assert found[fitting.pk].score > found[twin.pk].score
    lexical = {pk: next(c for c in r.explanation.components if c.name == "lexical").fit for pk, r in found.items()}
    assert lexical[fitting.pk] == pytest.approx(lexical[twin.pk]), "the twins are equal in words"
    reasons = {c.name: c for c in found[twin.pk].explanation.components}
    assert reasons["fields"].fit == 0 and reasons["trl"].fit < 1 and reasons["price"].fit < 1


def test_a_pair_scores_the_same_from_either_side(corpus):
    achievement = AchievementFactory(title="高镍三元正极材料包覆改性方法", summary="包覆改性提升循环寿命。")
    demand = cathode_demand()

    from_demand = next(r for r in matching.match_for_demand(demand) if r.profile.pk == achievement.pk)
    from_achievement = next(r for r in matching.match_for_achievement(achievement) if r.profile.pk == demand.pk)

    assert from_demand.score == pytest.approx(from_achievement.score)


def test_an_organization_is_not_matched_with_itself(corpus):
    enterprise = OrganizationFactory(kind="enterprise")
    own = AchievementFactory(title="高镍三元正极材料包覆改性方法", organization=enterprise)
    other = AchievementFactory(title="高镍三元正极材料包覆改性方法")
    demand = cathode_demand(organization=enterprise)

    found = [r.profile.pk for r in matching.match_for_demand(demand)]
    assert other.pk in found
    assert own.pk not in found


def test_a_listing_that_is_not_public_has_no_matches(corpus):
    AchievementFactory(title="高镍三元正极材料包覆改性方法")
    draft = cathode_demand(draft=True)

    assert matching.match_for_demand(draft) == []


def test_a_confidential_demand_is_matched_on_its_public_text_only(corpus):
    """Its problem (details) never reaches the matcher, so no match or explanation can leak it."""
    secret = "钒钛磁铁矿"
    AchievementFactory(title=f"{secret}综合利用新工艺", summary=f"{secret}中钒钛的高效提取。")
    demand = cathode_demand(confidential=True, problem=f"我们的{secret}产线需要改造。")

    profile = profiles.for_listing(demand)
    assert secret not in "".join(profile.title_tokens + profile.body_tokens)
    for ranked in matching.match_for_demand(demand):
        assert "钒钛" not in " ".join(ranked.explanation.terms)
        assert secret not in ranked.profile.title


def test_an_anonymous_demands_enterprise_name_is_never_a_keyword(corpus):
    enterprise = OrganizationFactory(name="独角兽锂能科技有限公司", kind="enterprise")
    AchievementFactory(title="独角兽纹样在传统织物中的应用", summary="独角兽纹样。")
    demand = cathode_demand(organization=enterprise)

    words = [term for term, _ in scoring.keywords(profiles.for_listing(demand), matching.Statistics())]
    assert "独角兽" not in words


@pytest.mark.parametrize("text", ["", "   ", "！！！……", "的了和", "x" * 5000, "我公司希望寻求合作"])
def test_free_text_without_telling_words_finds_nothing_and_never_fails(corpus, text):
    assert matching.match_text(text) == []


def test_free_text_finds_achievements_in_mixed_chinese_and_english(corpus):
    AchievementFactory(title="PEEK 材料 3D 打印工艺", summary="聚醚醚酮（PEEK）高温熔融沉积打印。")

    found = matching.match_text("寻找 PEEK 打印 工艺", field_ids=set(), trl_wanted=3)

    assert found[0].profile.title == "PEEK 材料 3D 打印工艺"
    assert "peek" in found[0].explanation.terms


def test_business_talk_is_never_a_keyword(corpus):
    profile = profiles.for_text("我公司希望寻求合作，解决生产中的问题，提升产品质量，欢迎高校对接。")
    assert scoring.keywords(profile, matching.Statistics()) == []


def test_a_word_inside_a_compound_earns_partial_credit(corpus):
    AchievementFactory(title="钠离子电池硬碳负极", summary="硬碳负极材料用于钠离子电池。", fields=["energy-storage"])

    found = matching.match_text("锂电池热失控预警")

    assert found and found[0].profile.title == "钠离子电池硬碳负极"
    assert "电池" in found[0].explanation.terms


def test_statistics_count_documents_holding_a_word(corpus):
    statistics = matching.Statistics()
    assert statistics.documents == SearchDocument.objects.count()  # the organization is indexed too
    assert statistics.documents_holding("涂覆") == 1  # 锂离子电池隔膜涂覆技术
    assert statistics.documents_holding("混凝土") == 1
    assert statistics.documents_holding("量子纠缠") == 0
    assert statistics.idf("量子纠缠") > statistics.idf("混凝土")


def test_words_newer_than_the_counted_statistics_are_still_weighed(corpus):
    """PostgreSQL keeps the counts in a table refreshed nightly; a word that arrived since is
    counted in the index itself, so a new listing's own words are keywords at once."""
    statistics = matching.Statistics()
    assert statistics.documents_holding("磁铁矿") == 0
    AchievementFactory(title="钒钛磁铁矿综合利用", summary="钒钛磁铁矿中钒钛的提取。")
    AchievementFactory(title="钒钛磁铁矿选矿工艺", summary="钒钛磁铁矿的选矿。")

    fresh = matching.Statistics()

    assert fresh.documents_holding("磁铁矿") == 2
    found = matching.match_text("钒钛磁铁矿")
    assert {r.profile.title for r in found} == {"钒钛磁铁矿综合利用", "钒钛磁铁矿选矿工艺"}

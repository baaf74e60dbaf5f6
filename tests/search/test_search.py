"""The search core on whichever database the suite runs against (SQLite and PostgreSQL in CI)."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from achievements.enums import Status
from achievements.models import Achievement
from achievements.services import achievement_withdraw
from marketplace import search
from marketplace.models import SearchDocument, Synonym
from marketplace.services.organizations import organization_update
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import OrganizationFactory

CSL = Path(__file__).resolve().parents[3] / "shared" / "data" / "csl" / "csl_dev.jsonl"

pytestmark = pytest.mark.django_db


def titles(results) -> list[str]:
    return [hit.document.title for hit in results.hits]


@pytest.fixture
def csl_corpus(db):
    """The first 200 CSL abstracts as published achievements of one university, indexed."""
    records = [json.loads(line) for line in CSL.read_text(encoding="utf-8").splitlines()[:200]]
    owner = OrganizationFactory(name="文献样本大学", kind="university")
    rows = Achievement.objects.bulk_create(
        [
            Achievement(
                title=record["title"][:200],
                summary=record["abstract"][:2000],
                keywords=record["keywords"],
                category="industrial",
                organization=owner,
                trl=4 + index % 5,
                status=Status.PUBLISHED,
                published_at=owner.created_at,
                confirmed_at=owner.created_at,
            )
            for index, record in enumerate(records)
        ]
    )
    search.update_many(Achievement, [row.pk for row in rows])
    return records


# Each query: words a user would type for one CSL record (a keyword, a phrase from its title).
CORPUS_QUERIES = [
    ("平方和优化", "csl-dev-0001"),
    ("水运工程 全过程管理", "csl-dev-0002"),
]


def _expected_queries(records):
    """Twenty more (keyword → record) pairs taken from the corpus: every tenth record's first keyword."""
    pairs = list(CORPUS_QUERIES)
    for record in records[5::10]:
        pairs.append((record["keywords"][0], record["ref"]))
    return pairs


def test_both_databases_find_the_expected_records_in_their_top_ten(csl_corpus):
    by_ref = {record["ref"]: record["title"][:200] for record in csl_corpus}
    misses = []
    for query, ref in _expected_queries(csl_corpus):
        results = search.search(query, per_page=10, with_facets=False)
        if by_ref[ref] not in titles(results):
            misses.append((query, by_ref[ref], titles(results)[:3]))
    assert misses == [], f"{connection.vendor}: {misses}"


def test_title_matches_rank_above_body_matches(db):
    AchievementFactory(title="海水淡化装置", summary="一种新型设备。")
    AchievementFactory(title="新型过滤设备", summary="可用于海水淡化的预处理。")

    assert titles(search.search("海水淡化"))[0] == "海水淡化装置"


def test_every_word_must_match(db):
    AchievementFactory(title="锂离子电池正极材料", summary="高镍三元。")
    AchievementFactory(title="锂离子电池隔膜", summary="陶瓷涂覆。")

    assert titles(search.search("电池 隔膜")) == ["锂离子电池隔膜"]


def test_a_part_of_a_word_finds_the_whole_and_the_whole_finds_split_text(db):
    AchievementFactory(title="锂离子电池隔膜", summary="陶瓷涂覆。")
    AchievementFactory(title="离子交换膜", summary="用于锂离子和电池回收的分离。")

    assert "锂离子电池隔膜" in titles(search.search("电池"))
    # 锂离子电池 also matches a document that has 锂离子 and 电池 apart.
    assert set(titles(search.search("锂离子电池"))) == {"锂离子电池隔膜", "离子交换膜"}


def test_synonyms_edited_by_staff_apply_at_once(db):
    AchievementFactory(title="锂离子电池回收工艺", summary="湿法冶金。")
    assert titles(search.search("锂电")) == []

    Synonym.objects.create(terms="锂电 锂电池 锂离子电池")

    assert titles(search.search("锂电")) == ["锂离子电池回收工艺"]


@pytest.mark.parametrize(
    "query",
    ["5G 基站", "5g基站", "ＰＥＥＫ 材料", "PEEK材料", "鋰離子電池 基站", "基站，5G！"],
)
def test_mixed_scripts_digits_and_traditional_characters(db, query):
    AchievementFactory(title="5G基站用PEEK材料天线罩", summary="锂离子电池备用电源与PEEK复合材料。")
    AchievementFactory(title="普通塑料", summary="无关。")

    assert titles(search.search(query)) == ["5G基站用PEEK材料天线罩"]


@pytest.mark.parametrize("query", ["", "！！！", "的", "x" * 1000, "电池" * 600, "' OR 1=1 --", '"电池" AND (', "%_\\"])
def test_awkward_queries_give_results_or_a_message_never_an_error(db, query):
    AchievementFactory(title="锂离子电池隔膜")

    results = search.search(query)

    assert results.page == 1 and results.count <= 2  # the achievement and its owner at most
    assert len(results.query.text) <= 100


def test_punctuation_only_explains_itself(db):
    results = search.search("！！！")

    assert results.hits == [] and results.count == 0
    assert results.notices == ["搜索词里没有可检索的词语（只有标点或常用虚词），请换个说法。"]


def test_a_misspelt_name_finds_similar_titles(db):
    OrganizationFactory(name="青岛海洋生物研究院")

    results = search.search("青岛海洋生物研宄院")  # 宄 for 究

    assert results.similar
    assert "青岛海洋生物研究院" in titles(results)
    assert results.notices == ["没有条目同时包含所有搜索词；以下是名称相近的条目。"]


def test_counts_stop_at_a_thousand(db, django_assert_max_num_queries):
    owner = OrganizationFactory()
    rows = Achievement.objects.bulk_create(
        [
            Achievement(
                title=f"电池材料{n}", summary="电池", category="industrial", organization=owner, trl=5,
                status=Status.PUBLISHED,
            )
            for n in range(1002)
        ]
    )  # fmt: skip
    search.update_many(Achievement, [row.pk for row in rows])

    results = search.search("电池", page=99)

    assert results.count == 1001 and results.capped and results.count_display == "1000+"
    assert results.pages == 50 and results.page == 50  # a page past the cap shows the last one
    assert len(results.hits) == 20


def test_filters_and_facets(db):
    AchievementFactory(title="氢燃料电池双极板", trl=6, fields=["hydrogen"], organization__region_id="370202")
    AchievementFactory(title="固态电池电解质", trl=4, fields=["new-energy-batteries"], organization__region_id="320402")
    DemandFactory(title="电池热管理需求", fields=["new-energy-batteries"], organization__region_id="370202")

    results = search.search("电池")
    facets = {facet.name: {value.value: value.count for value in facet.values} for facet in results.facets}
    assert facets["kind"] == {"achievement": 2, "demand": 1}
    assert facets["region"] == {"370000": 2, "320000": 1}
    assert facets["trl"] == {"4": 2, "6": 1}  # the demand's minimum TRL is 4
    assert facets["field"]["new-energy"] == 3  # the parent counts its sub-fields' listings

    assert titles(search.search("电池", search.SearchFilters(kind="achievement", region="370200"))) == [
        "氢燃料电池双极板"
    ]
    assert titles(search.search("电池", search.SearchFilters(field="hydrogen"))) == ["氢燃料电池双极板"]
    assert titles(search.search("电池", search.SearchFilters(trl_min=5))) == ["氢燃料电池双极板"]
    narrowed = search.search("电池", search.SearchFilters(region="370000"))
    assert {value.value for facet in narrowed.facets if facet.name == "region" for value in facet.values} == {
        "370200"
    }  # inside a province, the facet lists its cities


def test_hits_are_highlighted_and_escaped(db):
    AchievementFactory(title="<script>锂电池</script>", summary="关于锂电池的<b>研究</b>")

    hit = search.search("锂电池").hits[0]

    assert hit.title_html == "&lt;script&gt;<mark>锂电池</mark>&lt;/script&gt;"
    assert "<mark>锂电池</mark>" in hit.snippet_html and "&lt;b&gt;" in hit.snippet_html


def test_only_public_listings_are_indexed(db):
    AchievementFactory(title="草稿成果电池", draft=True)
    AchievementFactory(title="待审成果电池", submitted=True)
    DemandFactory(title="草稿需求电池", draft=True)
    OrganizationFactory(name="未认证电池公司", unverified=True)
    OrganizationFactory(name="科技局电池处", kind="bureau")

    assert titles(search.search("电池")) == []


def test_anonymous_and_confidential_demands_never_leak(db):
    enterprise = OrganizationFactory(name="深蓝海洋科技有限公司", region_id="370202")
    DemandFactory(
        organization=enterprise, title="海藻提取需求", summary="寻求海藻多糖提取工艺。", anonymous=True,
        problem="现有碱提法得率低。",
    )  # fmt: skip
    DemandFactory(
        organization=enterprise, title="保密膜材料需求", summary="寻求新型膜材料。", confidential=True,
        problem="反渗透膜通量衰减严重。", technical_indicators="通量≥40LMH",
    )  # fmt: skip

    # The enterprise's name finds neither its anonymous demand nor anything naming it there.
    assert "海藻提取需求" not in titles(search.search("深蓝海洋"))
    anonymous = SearchDocument.objects.get(title="海藻提取需求")
    assert anonymous.organization_id is None
    assert anonymous.region_code == "370200"  # the city, not the district
    assert "深蓝" not in anonymous.body_tokens
    assert titles(search.search("海藻", search.SearchFilters(organization=enterprise.pk))) == []
    # A confidential demand's details are not searchable; its public title and summary are.
    assert titles(search.search("反渗透")) == []
    assert titles(search.search("通量")) == []
    assert titles(search.search("膜材料")) == ["保密膜材料需求"]
    confidential = SearchDocument.objects.get(title="保密膜材料需求")
    assert "反渗透" not in confidential.body_tokens
    # Facets count what the documents hold: no facet names the anonymous enterprise.
    results = search.search("海藻")
    assert all(value.label != enterprise.name for facet in results.facets for value in facet.values)


def test_services_keep_the_index(db, org_admin, organization):
    achievement = AchievementFactory(title="可降解地膜", organization=organization)
    assert titles(search.search("地膜")) == ["可降解地膜"]

    achievement_withdraw(achievement=achievement, user=org_admin, reason="转让完成")

    assert titles(search.search("地膜")) == []
    assert not SearchDocument.objects.filter(object_id=achievement.pk, kind="achievement").exists()


def test_renaming_an_organization_reindexes_its_listings(db, reviewer, django_capture_on_commit_callbacks):
    owner = OrganizationFactory(name="旧名大学", kind="university")
    AchievementFactory(title="纳米涂层", organization=owner)

    with django_capture_on_commit_callbacks(execute=True):
        organization_update(organization=owner, user=reviewer, name="新名理工大学")

    assert titles(search.search("新名理工", search.SearchFilters(kind="achievement"))) == ["纳米涂层"]
    assert titles(search.search("旧名", search.SearchFilters(kind="achievement"))) == []


def test_rebuild_command_rewrites_and_drops_stale_documents(db, capsys):
    achievement = AchievementFactory(title="光伏清洗机器人")
    SearchDocument.objects.all().delete()
    Achievement.objects.filter(pk=AchievementFactory(title="过期成果").pk).update(status=Status.ARCHIVED)

    call_command("rebuild_search_index", "--batch-size", "1")

    assert set(SearchDocument.objects.filter(kind="achievement").values_list("object_id", flat=True)) == {
        achievement.pk
    }
    assert titles(search.search("光伏")) == ["光伏清洗机器人"]
    assert "Indexed" in capsys.readouterr().out


def test_list_pages_narrow_by_the_index_and_sort_by_relevance(db):
    AchievementFactory(title="一种电池", summary="锂离子电池隔膜的制备。")
    AchievementFactory(title="锂离子电池隔膜", summary="陶瓷涂覆。")
    AchievementFactory(title="无关成果", summary="农业。")

    narrowed = search.narrow(Achievement.objects.all(), "锂离子电池 隔膜").order_by("-search_relevance")

    assert [a.title for a in narrowed] == ["锂离子电池隔膜", "一种电池"]
    assert list(search.narrow(Achievement.objects.all(), "！！")) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the RUM/GIN choice exists on PostgreSQL only")
def test_rum_and_gin_ranking_agree_on_the_best_match(db):
    from marketplace.search.backends import Backend, PostgresBackend

    AchievementFactory(title="海水淡化反渗透膜", summary="反渗透膜元件。")
    AchievementFactory(title="污水处理", summary="可用于海水淡化的预处理和反渗透。")
    AchievementFactory(title="无关", summary="农业。")
    postgres, query = PostgresBackend(), search.parse("反渗透 海水淡化")
    gin = Backend()
    gin.match, gin.rank = postgres.match, postgres.rank  # ts_rank ordering, as without the rum extension

    documents = SearchDocument.objects.filter(kind="achievement")
    by_rum = [doc.title for doc in postgres.ranked(documents, query)]
    by_gin = [doc.title for doc in gin.ranked(documents, query)]

    assert by_rum[0] == by_gin[0] == "海水淡化反渗透膜"
    assert set(by_rum) == set(by_gin) == {"海水淡化反渗透膜", "污水处理"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the RUM indexes exist on PostgreSQL only")
def test_a_demand_search_ranks_in_the_demands_own_index(db):
    from marketplace.search.backends import PostgresBackend, has_rum
    from marketplace.search.schema import RUM_DEMAND_INDEX, RUM_INDEX

    if not has_rum():
        pytest.skip("the rum extension is not installed on this server")
    DemandFactory(title="海水淡化反渗透膜需求", summary="需要反渗透膜元件。")
    DemandFactory(title="污水处理需求", summary="预处理后反渗透。")
    AchievementFactory(title="反渗透膜成果", summary="反渗透。")
    backend, query = PostgresBackend(), search.parse("反渗透")
    demands = backend.ranked(search.SearchFilters(kind="demand").apply_broad(SearchDocument.objects.all()), query)
    everything = backend.ranked(SearchDocument.objects.all(), query)

    with connection.cursor() as cursor:
        # A handful of rows: the planner would rather sort them, so let it choose among ordered scans only.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off")
        plans = {}
        for name, queryset in (("demands", demands), ("everything", everything)):
            sql, params = queryset[:20].query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Scan using {RUM_DEMAND_INDEX}" in plans["demands"]
    assert f"Index Scan using {RUM_INDEX} " in plans["everything"]
    assert [doc.title for doc in demands] == ["海水淡化反渗透膜需求", "污水处理需求"]
    assert {doc.kind for doc in everything} == {"demand", "achievement"}

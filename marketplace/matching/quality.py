# ruff: noqa: S311  (seeded generators for a reproducible measure, not secrets)
"""How well matching finds what a demand is about, measured on the CSL sample.

Every CSL paper becomes a published achievement. For each paper a demand text is written from its
keywords the way an enterprise would put it — never with the title — in three styles: a plain
request naming two or three keywords, a request with one broad keyword only, and the keywords
buried in paragraphs of business talk. The demand carries the industry field of the paper's
discipline, as a demand on the board does. Matching must retrieve the source paper: recall@10 (the
share of demands with it in the top 10) and MRR@10 (the mean of 1 / its place, 0 beyond 10), next
to a plain BM25 ranking (rank_bm25's BM25Okapi) over jieba tokens of the same texts.

Used by the quality test (a floor) and by `manage.py bench_match` (the full sample).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

STYLES = ("plain", "one_keyword", "business_talk")

PLAIN = [
    "我们需要{k}方面的技术，希望找到在{k2}上有成熟方案的团队。",
    "寻求{k}相关技术合作，重点关注{k2}。",
    "公司计划引进{k}技术，用于解决生产中遇到的{k2}问题。",
    "征集{k}与{k2}方向的解决方案，欢迎高校和科研院所对接。",
]
ONE_KEYWORD = [
    "寻求{k}方面的技术合作。",
    "我司对{k}很感兴趣，希望对接相关成果。",
    "征集{k}相关解决方案。",
]
BUSINESS_TALK = [
    "我公司成立于2008年，是一家集研发、生产、销售于一体的高新技术企业，产品远销海外，年产值超过两亿元。",
    "近年来随着市场竞争加剧，客户对产品质量和交货周期提出了更高要求，公司亟需技术升级。",
    "公司现有员工三百余人，拥有省级企业技术中心，但在核心工艺上仍依赖外部合作。",
    "目前我们在{k}环节遇到瓶颈，{k2}的效果不够理想，影响了整体效益。",
    "希望与高校院所开展产学研合作，合作方式可以是技术转让、许可或联合开发，预算面议。",
    "项目周期预计一年，公司将提供试验场地和配套资金，并安排专人负责对接。",
    "如有{k}方面的成果或经验，请与我们联系。",
]


@dataclass
class Case:
    ref: str
    style: str
    text: str
    field_code: str


@dataclass
class Measure:
    recall_at_10: float
    mrr_at_10: float
    cases: int
    by_style: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "recall_at_10": round(self.recall_at_10, 4),
            "mrr_at_10": round(self.mrr_at_10, 4),
            "cases": self.cases,
            "by_style": self.by_style,
        }


def load_records(limit: int | None = None) -> list[dict]:
    from achievements.demo import CSL_FILE

    lines = CSL_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:limit]]


def cases_for(records: list[dict], *, every: int = 1, seed: int = 20261124) -> list[Case]:
    """Demand texts for every `every`-th record, each style in turn."""
    from achievements.importing import discipline_fields

    rng = random.Random(seed)
    disciplines = discipline_fields()
    cases = []
    for index, record in enumerate(records):
        if index % every:
            continue
        words = [k for k in record["keywords"] if k.strip()]
        if not words:
            continue
        style = STYLES[(index // every) % len(STYLES)]
        shuffled = rng.sample(words, len(words))
        first, second = shuffled[0], shuffled[1] if len(shuffled) > 1 else shuffled[0]
        if style == "plain":
            text = rng.choice(PLAIN).format(k="、".join(shuffled[:2]), k2=shuffled[2] if len(shuffled) > 2 else second)
        elif style == "one_keyword":
            broad = min(words, key=len)  # the shortest keyword: the broadest
            text = rng.choice(ONE_KEYWORD).format(k=broad)
        else:
            talk = rng.sample(BUSINESS_TALK, 5)
            text = "".join(talk).format(k=first, k2=second)
            if first not in text:
                text += f"重点需求是{first}。"
        cases.append(Case(record["ref"], style, text, disciplines.get(record["discipline"], "")))
    return cases


def build_corpus(records: list[dict], organization) -> dict[str, int]:
    """Publish each record as an achievement of `organization`, indexed; returns ref → pk."""
    from django.utils import timezone

    from achievements.enums import Category, Status
    from achievements.importing import discipline_fields
    from achievements.models import Achievement
    from marketplace import search
    from marketplace.models import IndustryField

    now = timezone.now()
    rows = Achievement.objects.bulk_create(
        [
            Achievement(
                title=record["title"][:200],
                summary=record["abstract"][:2000],
                keywords=record["keywords"],
                category=Category.INDUSTRIAL,
                organization=organization,
                trl=4 + index % 5,
                status=Status.PUBLISHED,
                published_at=now,
                confirmed_at=now,
                external_ref=record["ref"],
            )
            for index, record in enumerate(records)
        ]
    )
    fields = dict(IndustryField.objects.values_list("code", "pk"))
    disciplines = discipline_fields()
    through = Achievement.industry_fields.through
    through.objects.bulk_create(
        [
            through(achievement_id=row.pk, industryfield_id=fields[disciplines[record["discipline"]]])
            for row, record in zip(rows, records, strict=True)
            if disciplines.get(record["discipline"]) in fields
        ]
    )
    search.update_many(Achievement, [row.pk for row in rows])
    return {record["ref"]: row.pk for row, record in zip(rows, records, strict=True)}


def _measure(ranks: list[tuple[str, int | None]]) -> Measure:
    """`ranks`: (style, 1-based place of the source or None) per case."""

    def score(items):
        found = [place for _, place in items if place is not None and place <= 10]
        return len(found) / max(len(items), 1), sum(1 / place for place in found) / max(len(items), 1)

    recall, mrr = score(ranks)
    by_style = {}
    for style in STYLES:
        items = [item for item in ranks if item[0] == style]
        if items:
            r, m = score(items)
            by_style[style] = {"recall_at_10": round(r, 4), "mrr_at_10": round(m, 4), "cases": len(items)}
    return Measure(recall, mrr, len(ranks), by_style)


def measure_matching(cases: list[Case], refs: dict[str, int], *, with_fields: bool = True) -> Measure:
    """Our matcher: match_text() over the index, with the demand's industry field."""
    from marketplace import matching
    from marketplace.models import IndustryField

    fields = {f.code: f for f in IndustryField.objects.all()}
    statistics = matching.Statistics()
    ranks = []
    for case in cases:
        chosen = fields.get(case.field_code) if with_fields else None
        profile = matching.profiles.for_text(case.text, **matching.profiles.field_arguments([chosen]))
        found = [r.profile.pk for r in matching.rank(profile, "achievement", statistics=statistics, limit=10)]
        target = refs[case.ref]
        ranks.append((case.style, found.index(target) + 1 if target in found else None))
    return _measure(ranks)


def measure_bm25(cases: list[Case], records: list[dict]) -> Measure:
    """The baseline: BM25Okapi over jieba tokens (precise mode) of title, abstract and keywords."""
    import rjieba
    from rank_bm25 import BM25Okapi

    def tokens(text: str) -> list[str]:
        return [t for t in rjieba.cut(text.lower()) if t.strip() and any(ch.isalnum() for ch in t)]

    refs = [record["ref"] for record in records]
    bm25 = BM25Okapi([tokens(" ".join([r["title"], r["abstract"], " ".join(r["keywords"])])) for r in records])
    ranks = []
    for case in cases:
        scores = bm25.get_scores(tokens(case.text))
        top = sorted(range(len(refs)), key=lambda i: -scores[i])[:10]
        found = [refs[i] for i in top]
        ranks.append((case.style, found.index(case.ref) + 1 if case.ref in found else None))
    return _measure(ranks)

"""The score of one need against one offer, and its explanation.

    score = relevance × Σ weight × fit        over the components that apply to the pair

where relevance is the lexical fit. Each fit is between 0 and 1. The weights
(settings.MATCHING["WEIGHTS"]) are shared out again over the components that apply (a demand that
names no budget is not judged on price), so the score is between 0 and 1, and each component's
points (relevance × weight × fit) add up to it exactly. Structure ranks among relevant listings;
it never makes an irrelevant one a match.

- lexical: the need's keywords (its words weighed by how rare they are in the index, business
  talk left out) found in the offer, each saturating like BM25, a title word counting more;
- fields: the industry fields they share (the same field, or only the same parent);
- trl: the achievement's readiness against the lowest level the demand accepts;
- price: the asking price against the budget;
- region: the same city or province;
- freshness: how recently the listings were confirmed by their owners.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from marketplace.matching.profiles import Profile
from marketplace.matching.statistics import Statistics

TITLE_BOOST = 3  # a word of the title counts as this many of the body
K1 = 1.2  # saturation (BM25's k1): one occurrence of a keyword gives 1 / (1 + K1) of its weight
B = 0.75  # how much a long document is discounted (BM25's b)
PART_CREDIT = 0.5  # a word found only through a shorter word inside it
COMPONENTS = ("lexical", "fields", "trl", "price", "region", "freshness")

# How enterprises phrase a need, not what they need: never a keyword.
_BUSINESS_TEXT = """
    公司 企业 我们 我司 本公司 贵司 单位 集团 工厂 厂家 客户 用户 市场 行业 领域 业务 产业 经营 销售 订单
    希望 寻求 寻找 需要 需求 急需 征集 求购 引进 合作 对接 欢迎 联系 洽谈 咨询 意向 有意 愿意 期待 诚邀
    解决 方案 提供 提升 提高 改进 改善 优化 升级 实现 满足 降低 增加 扩大 加快 推动 促进 帮助 支持
    技术 产品 项目 问题 相关 方面 目前 现有 现在 当前 近年来 今年 主要 重要 一直 已经 正在 进一步 较大
    能力 水平 效率 成本 质量 发展 转型 规模 团队 人员 专家 高校 院所 科研 研发 开发 成果 转化 落地
    元 万元 亿元 年 月 日 左右 以上 以下 多个 一些 这些 那些 如何 怎样 为了 因此 但是 如果 同时 并且
    感兴趣 感兴 兴趣 解决方案 技术合作 合作伙伴 产学研 高新技术 科技成果 成果转化 技术转让 技术难题 难题 瓶颈
    面议 预算 资金 经费 周期 场地 对口 专人 负责 有限公司 有限 股份 我国 国内 国外 海外
"""
BUSINESS_WORDS = frozenset(_BUSINESS_TEXT.split())


def weights() -> dict[str, float]:
    return dict(settings.MATCHING["WEIGHTS"])


@dataclass
class Component:
    name: str
    weight: float  # its share of the score once the weights are shared out over what applies
    fit: float  # 0 … 1
    points: float  # weight × fit: what it adds to the score
    detail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"name": self.name, "weight": self.weight, "fit": self.fit, "points": self.points, **self.detail}


@dataclass
class Explanation:
    score: float
    components: list[Component]
    terms: list[str]  # the need's keywords found in the offer, most telling first
    shared_field_ids: list[int]


SINGLE_CHARACTER_WEIGHT = 0.5  # jieba cuts a word it does not know (主塔) into characters: they count, less


def is_keyword_candidate(token: str) -> bool:
    return not (token.isdigit() or token in BUSINESS_WORDS or (len(token) < 2 and token.isascii()))


def _weight(token: str, occurrences: int, statistics: Statistics) -> float:
    return (1 + math.log(occurrences)) * statistics.idf(token) * (SINGLE_CHARACTER_WEIGHT if len(token) < 2 else 1)


def _outer(counts: dict[str, int]) -> dict[str, int]:
    """The words not found only inside a longer one of `counts`."""
    return {
        token: n
        for token, n in counts.items()
        if not any(token != other and token in other and m >= n for other, m in counts.items())
    }


def keywords(profile: Profile, statistics: Statistics) -> list[tuple[str, float]]:
    """The profile's most telling words with their weights: (1 + log tf) × idf, best first."""
    if "_keywords" in profile.__dict__:
        return profile.__dict__["_keywords"]
    counts = {
        token: n for token, n in profile.counts.items() if is_keyword_candidate(token) and token not in profile.ignored
    }
    statistics.load(counts)
    # How much the need asks for: the weight of its most telling words, found elsewhere or not.
    every = sorted((_weight(token, n, statistics) for token, n in _outer(counts).items()), reverse=True)
    profile.__dict__["_need_weight"] = sum(every[: settings.MATCHING["KEYWORDS"]])
    # A word no other document holds can match nothing (a listing's own document counts once).
    own = 1 if profile.pk is not None else 0
    counts = {token: n for token, n in counts.items() if statistics.documents_holding(token) > own}
    # Search-mode segmentation also yields the words inside a compound (传感器 → 传感, 感器):
    # a part that occurs only inside a longer keyword is that word again, not another keyword.
    inside = {
        token
        for token, n in counts.items()
        if any(token != other and token in other and m >= n for other, m in counts.items())
    }
    profile.__dict__["_parts"] = {
        token: sorted((part for part in inside if part in token), key=len, reverse=True)
        for token in counts
        if token not in inside
    }
    scored = sorted(
        ((token, _weight(token, n, statistics)) for token, n in counts.items() if token not in inside),
        key=lambda pair: (-pair[1], pair[0]),
    )[: settings.MATCHING["KEYWORDS"]]
    profile.__dict__["_keywords"] = scored
    return scored


def _lexical(need: Profile, offer: Profile, statistics: Statistics, synonyms) -> tuple[float, list[str]]:
    terms = keywords(need, statistics)
    if not terms:
        return 0.0, []
    # Out of everything the need asks for: words of it no offer holds count against every offer.
    total = max(sum(weight for _, weight in terms), need.__dict__.get("_need_weight", 0.0))
    counts = offer.counts
    norm = 1 - B + B * offer.distinct_terms / statistics.average_terms
    parts = need.__dict__.get("_parts", {})
    gained, found = 0.0, []
    for term, weight in terms:
        shown, share = term, 1.0
        occurrences = counts.get(term, 0) or max((counts.get(s, 0) for s in synonyms.get(term, ())), default=0)
        if not occurrences:
            # Only a word inside it (电池 of 锂电池): credit in proportion to its length, halved.
            for part in parts.get(term, ()):
                if counts.get(part):
                    shown, share, occurrences = part, PART_CREDIT * len(part) / len(term), counts[part]
                    break
        if occurrences:
            gain = weight * share * occurrences / (occurrences + K1 * norm)
            gained += gain
            found.append((gain, shown))
    # The square root of the share of the need's keyword weight the offer covers: in order, and
    # a listing covering a quarter of what a long text asks for is half relevant.
    fit = math.sqrt(min(gained / total, 1.0))
    return fit, [term for _, term in sorted(found, key=lambda pair: (-pair[0], pair[1]))]


def _fields(need: Profile, offer: Profile) -> tuple[float, dict] | None:
    if not need.field_ids or not offer.field_ids:
        return None
    leaves = sorted(need.leaf_field_ids & offer.leaf_field_ids)
    if leaves:
        return 1.0, {"shared": leaves, "level": "field"}
    shared = sorted((need.field_ids & offer.field_ids) - need.leaf_field_ids - offer.leaf_field_ids) or sorted(
        need.field_ids & offer.field_ids
    )
    if shared:
        return 0.5, {"shared": shared, "level": "parent"}
    return 0.0, {"shared": [], "level": "none"}


def _trl(need: Profile, offer: Profile) -> tuple[float, dict] | None:
    if need.trl_wanted is None or offer.trl is None:
        return None
    gap = need.trl_wanted - offer.trl
    fit = 1.0 if gap <= 0 else max(0.0, 1 - gap / 3)
    return fit, {"trl": offer.trl, "wanted": need.trl_wanted}


def _yuan(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("1")))


def _price(need: Profile, offer: Profile) -> tuple[float, dict] | None:
    if offer.price is None or (need.budget_max is None and need.budget_min is None):
        return None
    price = Decimal(offer.price)
    detail = {"price": _yuan(price), "budget_min": _yuan(need.budget_min), "budget_max": _yuan(need.budget_max)}
    if need.budget_max is None or price <= need.budget_max:
        fit = 1.0
    elif need.budget_max <= 0:
        fit = 0.0
    else:  # above the budget: nothing left at twice the budget
        fit = max(0.0, 2 - float(price / Decimal(need.budget_max)))
    if fit < 0.5 and (offer.price_negotiable or need.budget_negotiable):
        fit, detail["negotiable"] = 0.5, True
    return fit, detail


def _region(need: Profile, offer: Profile) -> tuple[float, dict] | None:
    if not need.province_code or not offer.province_code:
        return None
    if need.city_code == offer.city_code:
        return 1.0, {"same": "city"}
    if need.province_code == offer.province_code:
        return 0.5, {"same": "province"}
    return 0.0, {"same": "none"}


def _freshness(need: Profile, offer: Profile, now: datetime) -> tuple[float, dict] | None:
    dates = [p.confirmed_at for p in (need, offer) if p.confirmed_at is not None]
    if not dates:
        return None
    days = max(0, (now - min(dates)).days)
    period = settings.FRESHNESS_DAYS
    # Full marks for a listing confirmed within a quarter of the period, none once it is stale.
    fit = 1.0 if days <= period / 4 else max(0.0, 1 - (days - period / 4) / (period * 3 / 4))
    return fit, {"days": days}


def explain(
    need: Profile, offer: Profile, statistics: Statistics, *, synonyms=None, now: datetime | None = None
) -> Explanation:
    """The score of `offer` for `need`, with what each component added."""
    lexical, terms = _lexical(need, offer, statistics, synonyms or {})
    fits = {
        "lexical": (lexical, {"terms": terms[:10]}),
        "fields": _fields(need, offer),
        "trl": _trl(need, offer),
        "price": _price(need, offer),
        "region": _region(need, offer),
        "freshness": _freshness(need, offer, now or timezone.now()),
    }
    configured = weights()
    applying = {name: fits[name] for name in COMPONENTS if fits[name] is not None and configured.get(name, 0) > 0}
    total_weight = sum(configured[name] for name in applying)
    components = []
    for name, (fit, detail) in applying.items():
        weight = configured[name] / total_weight
        points = weight * fit if name == "lexical" else lexical * weight * fit
        components.append(Component(name, weight, fit, points, detail))
    return Explanation(
        score=min(sum(c.points for c in components), 1.0),
        components=components,
        terms=terms,
        shared_field_ids=list(fits["fields"][1]["shared"]) if fits["fields"] else [],
    )

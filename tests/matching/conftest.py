"""Shared fixtures of the matching tests: a small corpus to weigh words against, and a strong pair."""

import pytest

from marketplace.enums import MembershipRole
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

# Filler achievements, so the index has a corpus to weigh words against.
FILLER = [
    ("高速铁路轨道板裂缝检测方法", "基于图像识别的轨道板表面裂缝自动检测，适用于高速铁路养护。"),
    ("水稻抗倒伏品种选育技术", "通过分子标记辅助选择培育抗倒伏、高产的水稻新品种。"),
    ("城市污水厌氧氨氧化脱氮工艺", "厌氧氨氧化工艺处理城市污水，降低曝气能耗与碳源投加。"),
    ("混凝土早期收缩开裂控制", "掺加减缩剂与纤维控制混凝土早期收缩开裂。"),
    ("锂离子电池隔膜涂覆技术", "陶瓷涂覆隔膜提升锂离子电池的热稳定性与安全性。"),
    ("中药材真伪快速鉴别方法", "近红外光谱结合化学计量学快速鉴别中药材真伪。"),
]


@pytest.fixture
def corpus(db):
    university = OrganizationFactory(name="样本理工大学", kind="university")
    for title, summary in FILLER:
        AchievementFactory(title=title, summary=summary, organization=university, fields=["water-treatment"])
    return university


def cathode_demand(**kwargs):
    defaults = {
        "title": "高镍三元正极材料循环寿命提升",
        "summary": "寻求高镍三元正极材料包覆改性技术，提升循环寿命。",
        "problem": "正极材料高温循环容量衰减快。",
        "keywords": ["正极材料", "包覆改性"],
        "min_trl": 5,
        "budget_min": 500_000,
        "budget_max": 2_000_000,
        "fields": ["new-energy-batteries"],
    }
    return DemandFactory(**{**defaults, **kwargs})


@pytest.fixture
def owner_university(db):
    university = OrganizationFactory(name="正极材料研究院", kind="institute")
    MembershipFactory(organization=university, role=MembershipRole.ADMIN, user__username="inst_admin")
    return university


@pytest.fixture
def strong_pair(corpus, owner_university, org_admin):
    achievement = AchievementFactory(
        title="高镍三元正极材料包覆改性方法",
        summary="高镍三元正极材料包覆改性，显著提升循环寿命。关键词：正极材料、包覆改性、循环寿命。",
        keywords=["正极材料", "包覆改性", "循环寿命"],
        organization=owner_university,
        trl=6,
        asking_price=1_000_000,
    )
    enterprise = OrganizationFactory(kind="enterprise")
    MembershipFactory(organization=enterprise, role=MembershipRole.ADMIN, user__username="ent_admin")
    demand = cathode_demand(organization=enterprise)
    return demand, achievement

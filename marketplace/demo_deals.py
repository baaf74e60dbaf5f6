"""Demo data of deals (技术交易) and technology-contract registrations (技术合同认定登记): a deal
in every stage and a year of registered contracts, enough for the statistics console.

Two parts:

* Stories told through the services of marketplace/services/deals.py, each step on its day
  (`demands.demo_challenges._clock`), so their transition log, history, notifications and
  consequences are those the site itself writes. They cover deals at intent (one from the demo
  inquiry left at "deal started"), negotiating, signed, registered, performing with instalments,
  completed, and failed with a reason, in all six kinds, some of them brokered. Their
  registrations are registered by the registrar (an achievement is marked transferred, a demand
  solved). A few wait in the registrar's queue (submitted, accepted, one returned with reasons),
  and one is a party's draft.
* A year of registered contracts written in bulk: rows, TransitionLog and history rows, each
  dated when its step happened. About 150 registrations over the 12 months up to today, in the
  five categories and their sub-types, several industry fields and amounts from 5 to 2,000 万元.
  The sellers are the demo universities, institutes and enterprises of Qingdao (a contract is
  registered by the seller at its own bureau) and the transfer agency whose brokers work on
  this market. The buyers are in and outside the market's region. Contracts signed before a suitable listing was on the market were registered
  without a deal on the platform, as at any bureau; most later ones come from deals on the demo
  achievements. Bulk rows bypass the services' consequences, so they leave the listings'
  statuses alone: they use published achievements for development, consulting, service and
  license contracts (which leave an achievement on the market; licenses are counted), and
  achievements the demo already marks transferred for transfer contracts, registered just
  before that transfer.

The deals opened by the demand responses and the challenge contracts (the earlier steps) are
left as they are. Registration numbers follow `next_registration_number`: the year's serials
are taken in the order of registration, and RegistrationSequence is left at the last one, so
the next real registration continues the sequence.

Runs after demands.demo_challenges.seed_challenges (it needs the organizations, users,
achievements and demands of the earlier steps). Reproducible (fixed seeds) and idempotent: the
demo's contracts carry contract numbers starting with CONTRACT_PREFIX, and once one exists the
step writes nothing again.
"""

from __future__ import annotations

import io
import logging
import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F, Prefetch, Sum
from django.utils import timezone

from achievements.enums import InquiryStatus, Source
from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement, Inquiry
from demands.demo import (
    AUBO,
    CCZU,
    CLEAN,
    DONGYUE,
    JIFA,
    JMIIT,
    LASER,
    LITHIUM,
    QDU,
    QIBEBT,
    SDIIT,
    VLAND,
    WYU,
    _log_level,
)
from demands.demo_challenges import _clock
from demands.enums import Status as DemandStatus
from demands.models import Demand
from marketplace.demo import demo_uscc
from marketplace.enums import (
    ContractCategory,
    ContractSubtype,
    DealKind,
    DealOrigin,
    DealStage,
    LegalEntityKind,
    MembershipRole,
    PartyRole,
    RegistrationStatus,
)
from marketplace.models import (
    ContractParty,
    ContractRegistration,
    Deal,
    DealPayment,
    IndustryField,
    Membership,
    Organization,
    Region,
    RegistrationSequence,
    TransitionLog,
    User,
)
from marketplace.money import format_wan
from marketplace.services.deals import (
    CATEGORY_OF_KIND,
    deal_complete,
    deal_fail,
    deal_negotiate,
    deal_sign,
    deal_start,
    deal_start_performing,
    kind_for_transfer_modes,
    party_initial,
    payment_record,
    registration_accept,
    registration_initial,
    registration_register,
    registration_return,
    registration_save,
    registration_submit,
)

SEED = 20260501
WAN = Decimal(10000)
CONTRACT_PREFIX = "QDJS"  # the demo's contract numbers: QDJS2026-0042
REGISTRAR = "registrar"
BROKER = "agency_member"  # a technology broker of the transfer agency below
AGENCY = "江苏省技术转移(常州大学)研究院"
HISTORY_SIZE = 150  # registered contracts written in bulk, besides the handful aligned with transfers

# The contract name the parties give, by sub-type (合同名称).
CONTRACT_NAMES = {
    ContractSubtype.COMMISSIONED_DEVELOPMENT: "技术开发（委托）合同",
    ContractSubtype.COOPERATIVE_DEVELOPMENT: "技术开发（合作）合同",
    ContractSubtype.PATENT_RIGHT: "专利权转让合同",
    ContractSubtype.PATENT_APPLICATION_RIGHT: "专利申请权转让合同",
    ContractSubtype.TECHNICAL_SECRET: "技术秘密转让合同",
    ContractSubtype.PATENT_LICENSE: "专利实施许可合同",
    ContractSubtype.TECHNICAL_SECRET_LICENSE: "技术秘密使用许可合同",
    ContractSubtype.CONSULTING: "技术咨询合同",
    ContractSubtype.GENERAL_SERVICE: "技术服务合同",
    ContractSubtype.TRAINING: "技术培训合同",
    ContractSubtype.BROKERAGE: "技术中介合同",
}

RETURN_REASONS = [
    "合同未约定技术成果的验收标准和验收方式，请补充约定后重新提交。",
    "合同价款中含设备、原材料采购费用，请在合同中单独列明并补充价款构成说明。",
    "卖方统一社会信用代码与营业执照不一致，请核对后更正。",
    "上传的合同文本缺少买方签章页，请上传双方签字盖章的完整合同。",
    "合同主要内容为技术服务，请按技术服务合同类别重新申请登记。",
]

# The demo's tech-flavoured CSL records (the sample also has humanities papers): a title must
# name some technique and none of these topics to become a contract's subject.
TECH_TITLE = re.compile(
    r"技术|工艺|制备|装置|系统|方法|材料|检测|设计|优化|控制|合成|算法|性能|测定|提取|传感|电池|涂层|催化"
)
NOT_A_CONTRACT = re.compile(
    r"论|思考|探讨|浅析|浅谈|关系|策略|进展|综述|评述|对策|意义|发展方向|现状|前景|教学|教育|文化|历史|武器|炸弹|作战|防空|导弹|弹药|患者|病例|治疗"
)

STUDY_ENDING = re.compile(r"(之|的)?(研究|初探|探索|实践)$")

# The demo enterprises that buy on the market, and the top-level industry fields they buy in.
BUYER_SECTORS = {
    VLAND: {"biomedicine", "modern-agriculture", "food", "marine"},
    JIFA: {"textiles", "new-materials", "energy-saving-environment"},
    DONGYUE: {"new-energy", "new-materials", "fine-chemicals", "clean-energy"},
    AUBO: {"high-end-equipment", "electronic-information"},
    LITHIUM: {"new-energy", "clean-energy", "new-materials"},
    LASER: {"high-end-equipment", "new-materials"},
    CLEAN: {"clean-energy", "marine", "energy-saving-environment"},
}
BOUGHT_SECTORS = set().union(*BUYER_SECTORS.values())

# Sellers of the year's contracts: the Qingdao members who register here, with their weight,
# the categories they sign (weights) and, for the enterprises without achievements, the
# subjects of their contracts by category and the industry field they belong to. The weights
# are small whole numbers: they are drawn as decks (`_Deck`), each value once per round.
ACADEMIC_CATEGORIES = {
    ContractCategory.DEVELOPMENT: 7,
    ContractCategory.SERVICE: 5,
    ContractCategory.CONSULTING: 2,
    ContractCategory.TRANSFER: 3,
    ContractCategory.LICENSE: 3,
}
ENTERPRISE_CATEGORIES = {
    ContractCategory.SERVICE: 5,
    ContractCategory.DEVELOPMENT: 3,
    ContractCategory.CONSULTING: 1,
    ContractCategory.LICENSE: 1,
}
SELLERS = {
    QIBEBT: (15, ACADEMIC_CATEGORIES),
    QDU: (13, ACADEMIC_CATEGORIES),
    SDIIT: (10, ACADEMIC_CATEGORIES),
    VLAND: (5, ENTERPRISE_CATEGORIES),
    JIFA: (4, ENTERPRISE_CATEGORIES),
    AGENCY: (3, {ContractCategory.SERVICE: 1}),  # brokerage (技术中介) only
}
ENTERPRISE_SUBJECTS = {
    VLAND: (
        {
            ContractCategory.DEVELOPMENT: [
                "耐高温植酸酶菌株定向改造",
                "水产动物保护剂配方",
                "微生态制剂高密度发酵工艺",
            ],
            ContractCategory.SERVICE: [
                "饲用复合酶制剂养殖应用效果评价",
                "植物提取物替抗产品安全性评价",
                "酶制剂生产质量控制",
            ],
            ContractCategory.CONSULTING: ["生物饲料产业化项目可行性", "酶制剂车间技术改造方案"],
            ContractCategory.LICENSE: ["低温碱性蛋白酶发酵生产", "饲用木聚糖酶制备"],
        },
        "biotechnology",
    ),
    JIFA: (
        {
            ContractCategory.DEVELOPMENT: ["海藻纤维功能面料染整工艺", "针织内衣无缝成型工艺", "石墨烯远红外保暖面料"],
            ContractCategory.SERVICE: ["纺织品抗菌功能检测", "智能针织装备操作与维护", "印染废水回用工艺设计"],
            ContractCategory.CONSULTING: ["纺织智能工厂建设方案", "功能性面料产业化路线"],
            ContractCategory.LICENSE: ["抗菌防臭针织面料生产", "无缝针织成型"],
        },
        "functional-textiles",
    ),
    AGENCY: (
        {
            ContractCategory.SERVICE: [
                "高校科技成果转化项目对接",
                "化工新材料技术转移居间",
                "海洋生物技术成果推介与对接",
                "智能制造装备技术引进居间",
            ]
        },
        "technology-transfer-services",
    ),
}
SUBTYPE_WEIGHTS = {
    ContractCategory.DEVELOPMENT: {
        ContractSubtype.COMMISSIONED_DEVELOPMENT: 3,
        ContractSubtype.COOPERATIVE_DEVELOPMENT: 1,
    },
    ContractCategory.TRANSFER: {
        ContractSubtype.PATENT_RIGHT: 2,
        ContractSubtype.PATENT_APPLICATION_RIGHT: 1,
        ContractSubtype.TECHNICAL_SECRET: 2,
    },
    ContractCategory.LICENSE: {ContractSubtype.PATENT_LICENSE: 2, ContractSubtype.TECHNICAL_SECRET_LICENSE: 1},
    ContractCategory.CONSULTING: {ContractSubtype.CONSULTING: 1},
    # Brokerage is the agency's alone (its seller entry).
    ContractCategory.SERVICE: {ContractSubtype.GENERAL_SERVICE: 4, ContractSubtype.TRAINING: 1},
}
# Contract amounts in 万元, log-uniform between these bounds, and the share of it the registrar
# counts as the technology transaction (equipment, materials and other costs excluded).
AMOUNT_WAN = {
    ContractCategory.DEVELOPMENT: (10, 2000),
    ContractCategory.TRANSFER: (10, 2000),
    ContractCategory.LICENSE: (5, 800),
    ContractCategory.CONSULTING: (5, 80),
    ContractCategory.SERVICE: (5, 300),
}
BROKERAGE_WAN = (5, 50)
TECHNOLOGY_SHARE = {
    ContractCategory.DEVELOPMENT: (0.6, 0.95),
    ContractCategory.TRANSFER: (0.9, 1.0),
    ContractCategory.LICENSE: (0.9, 1.0),
    ContractCategory.CONSULTING: (0.85, 1.0),
    ContractCategory.SERVICE: (0.6, 1.0),
}
# Registrations by calendar month: year-end peak, the Spring Festival dip, a mid-year rise.
MONTH_WEIGHTS = {1: 7, 2: 4, 3: 9, 4: 10, 5: 10, 6: 13, 7: 9, 8: 8, 9: 10, 10: 7, 11: 11, 12: 16}
# Buyers that are not on the platform: (name, region code, credit-code prefix, legal form).
OUTSIDERS_LOCAL = [
    ("青岛澜海智能装备有限公司", "370211", "91", LegalEntityKind.ENTERPRISE),
    ("青岛瑞科海洋生物科技有限公司", "370212", "91", LegalEntityKind.ENTERPRISE),
    ("青岛北辰新材料科技有限公司", "370214", "91", LegalEntityKind.ENTERPRISE),
    ("青岛东陆精密机械有限公司", "370281", "91", LegalEntityKind.ENTERPRISE),
    ("青岛弘泰纺织科技有限公司", "370215", "91", LegalEntityKind.ENTERPRISE),
    ("青岛海岳食品有限公司", "370283", "91", LegalEntityKind.ENTERPRISE),
    ("青岛明川环保工程有限公司", "370213", "91", LegalEntityKind.ENTERPRISE),
    ("青岛蓝源水产科技有限公司", "370285", "91", LegalEntityKind.ENTERPRISE),
    ("青岛华恒电子科技有限公司", "370203", "91", LegalEntityKind.ENTERPRISE),
    ("青岛启元生物医药有限公司", "370212", "91", LegalEntityKind.ENTERPRISE),
    ("青岛润禾农业发展有限公司", "370283", "91", LegalEntityKind.ENTERPRISE),
    ("青岛慧联信息技术有限公司", "370202", "91", LegalEntityKind.ENTERPRISE),
    ("青岛鼎新橡塑制品有限公司", "370214", "91", LegalEntityKind.ENTERPRISE),
    ("青岛港湾工程检测有限公司", "370211", "91", LegalEntityKind.ENTERPRISE),
    ("青岛锦程储能科技有限公司", "370281", "91", LegalEntityKind.ENTERPRISE),
    ("青岛市黄岛区海洋渔业技术推广站", "370211", "12", LegalEntityKind.PUBLIC_INSTITUTION),
]
OUTSIDERS_ELSEWHERE = [
    ("济南泉达智能科技有限公司", "370102", "91", LegalEntityKind.ENTERPRISE),
    ("烟台海川生物工程有限公司", "370602", "91", LegalEntityKind.ENTERPRISE),
    ("潍坊恒信动力机械有限公司", "370705", "91", LegalEntityKind.ENTERPRISE),
    ("威海银滩海洋科技有限公司", "371002", "91", LegalEntityKind.ENTERPRISE),
    ("苏州启芯微电子有限公司", "320505", "91", LegalEntityKind.ENTERPRISE),
    ("上海浦江新材料有限公司", "310115", "91", LegalEntityKind.ENTERPRISE),
    ("北京中关精测技术有限公司", "110108", "91", LegalEntityKind.ENTERPRISE),
    ("深圳南科智造有限公司", "440305", "91", LegalEntityKind.ENTERPRISE),
    ("杭州西溪数智科技有限公司", "330106", "91", LegalEntityKind.ENTERPRISE),
]


# The stories told through the services ----------------------------------------------------------


@dataclass(frozen=True)
class DemoDeal:
    """A deal told through the services. Days are from today (negative: past); a step left None
    is not taken. The listing is one of the seller's published demo achievements in `sectors`
    (or the buyer's demo `demand`, if it was still open when the deal started)."""

    stage: str  # where the story ends
    seller: str
    buyer: str
    kind: str
    amount_wan: int
    sectors: tuple[str, ...]
    started: float
    negotiating: float | None = None
    signed: float | None = None
    saved: float | None = None  # the seller writes the registration
    submitted: float | None = None
    returned: tuple[float, str] | None = None
    accepted: float | None = None
    registered: float | None = None
    performing: float | None = None
    payments: tuple[tuple[float, int, str], ...] = ()  # (day, percent of the amount, note)
    completed: float | None = None
    failed: tuple[float, str] | None = None
    broker: str = ""
    demand: str = ""


DEALS = [
    DemoDeal(DealStage.INTENT, QDU, JIFA, DealKind.LICENSE, 80, ("textiles",), started=-6),
    DemoDeal(
        DealStage.NEGOTIATING,
        WYU,
        AUBO,
        DealKind.DEVELOPMENT,
        260,
        ("electronic-information", "high-end-equipment"),
        started=-27,
        negotiating=-19,
        broker=BROKER,
    ),
    DemoDeal(
        DealStage.NEGOTIATING,
        QIBEBT,
        VLAND,
        DealKind.CONSULTING,
        35,
        ("biomedicine", "modern-agriculture", "food"),
        started=-16,
        negotiating=-10,
    ),
    # Signed; the seller has started the registration form but not uploaded the contract yet.
    DemoDeal(
        DealStage.SIGNED,
        QIBEBT,
        LITHIUM,
        DealKind.LICENSE,
        420,
        ("new-energy", "clean-energy"),
        started=-48,
        negotiating=-40,
        signed=-9,
        saved=-3,
    ),
    # Signed, their registrations in the registrar's queue: submitted, accepted, returned.
    DemoDeal(
        DealStage.SIGNED,
        SDIIT,
        CLEAN,
        DealKind.SERVICE,
        68,
        ("marine", "high-end-equipment", "new-materials"),
        started=-52,
        negotiating=-44,
        signed=-21,
        saved=-9,
        submitted=-2,
    ),
    DemoDeal(
        DealStage.SIGNED,
        QDU,
        JIFA,
        DealKind.DEVELOPMENT,
        150,
        ("textiles", "new-materials"),
        started=-63,
        negotiating=-55,
        signed=-26,
        saved=-12,
        submitted=-5,
        accepted=-1,
    ),
    DemoDeal(
        DealStage.SIGNED,
        CCZU,
        DONGYUE,
        DealKind.EQUITY,
        900,
        ("new-materials", "fine-chemicals", "energy-saving-environment"),
        started=-75,
        negotiating=-66,
        signed=-31,
        saved=-15,
        submitted=-11,
        returned=(-4, f"{RETURN_REASONS[1]}\n作价投资合同请补充成果评估报告及股权比例约定。"),
    ),
    # Registered: one answers a demo demand, which the registration solves.
    DemoDeal(
        DealStage.REGISTERED,
        QIBEBT,
        VLAND,
        DealKind.DEVELOPMENT,
        180,
        ("biomedicine", "marine"),
        started=-44,
        negotiating=-37,
        signed=-27,
        saved=-20,
        submitted=-17,
        accepted=-15,
        registered=-13,
        demand="海洋微生物来源低温碱性蛋白酶高效表达",
    ),
    DemoDeal(
        DealStage.REGISTERED,
        JMIIT,
        LASER,
        DealKind.LICENSE,
        120,
        ("high-end-equipment", "new-materials"),
        started=-82,
        negotiating=-71,
        signed=-46,
        saved=-36,
        submitted=-31,
        accepted=-29,
        registered=-27,
    ),
    DemoDeal(
        DealStage.PERFORMING,
        SDIIT,
        AUBO,
        DealKind.DEVELOPMENT,
        380,
        ("high-end-equipment",),
        started=-150,
        negotiating=-139,
        signed=-112,
        saved=-104,
        submitted=-101,
        accepted=-99,
        registered=-96,
        performing=-92,
        payments=((-88, 40, "首付款"), (-30, 30, "第二期款（中期检查通过）")),
        broker=BROKER,
    ),
    DemoDeal(
        DealStage.PERFORMING,
        QDU,
        VLAND,
        DealKind.SERVICE,
        45,
        ("biomedicine", "food", "marine"),
        started=-121,
        negotiating=-112,
        signed=-96,
        saved=-88,
        submitted=-84,
        accepted=-83,
        registered=-81,
        performing=-79,
        payments=((-72, 50, "预付款"),),
    ),
    # Completed: a transfer (the achievement is marked transferred) and a consulting contract.
    DemoDeal(
        DealStage.COMPLETED,
        QDU,
        JIFA,
        DealKind.TRANSFER,
        260,
        ("textiles", "new-materials"),
        started=-224,
        negotiating=-212,
        signed=-183,
        saved=-176,
        submitted=-172,
        accepted=-170,
        registered=-167,
        performing=-163,
        payments=((-160, 30, "首付款"), (-101, 40, "第二期款"), (-41, 30, "尾款（验收后）")),
        completed=-38,
    ),
    DemoDeal(
        DealStage.COMPLETED,
        QIBEBT,
        LITHIUM,
        DealKind.CONSULTING,
        30,
        ("new-energy", "clean-energy"),
        started=-133,
        negotiating=-125,
        signed=-112,
        saved=-105,
        submitted=-102,
        accepted=-101,
        registered=-99,
        performing=-98,
        payments=((-96, 50, "预付款"), (-58, 50, "尾款（咨询报告交付后）")),
        completed=-56,
    ),
    # Failed: while negotiating, after signing, at the intent.
    DemoDeal(
        DealStage.FAILED,
        SDIIT,
        DONGYUE,
        DealKind.LICENSE,
        500,
        ("new-materials", "new-energy"),
        started=-92,
        negotiating=-81,
        failed=(-60, "双方对许可区域和提成比例未能达成一致，企业决定暂缓引进。"),
    ),
    DemoDeal(
        DealStage.FAILED,
        WYU,
        CLEAN,
        DealKind.DEVELOPMENT,
        220,
        ("electronic-information", "high-end-equipment"),
        started=-165,
        negotiating=-151,
        signed=-122,
        failed=(-101, "签约后企业项目立项调整，经双方协商一致解除合同，未发生付款。"),
    ),
    DemoDeal(
        DealStage.FAILED,
        JMIIT,
        VLAND,
        DealKind.TRANSFER,
        60,
        ("food", "modern-agriculture"),
        started=-41,
        failed=(-34, "企业评估后认为成果仍处实验室阶段，转化风险较大，暂不推进。"),
    ),
]


# The step ----------------------------------------------------------------------------------------


def seed_deals(stdout=None) -> list[str]:
    """Load the demo deals and a year of registered contracts (once); returns the lines
    seed_demo prints."""
    # The stories' notification mails are sent when the step commits; one log line each would
    # bury the log-ins seed_demo prints.
    with _log_level("celery.app.trace", logging.WARNING), transaction.atomic():
        # All or nothing: a demo contract edited on the demo site does not bring the rest back.
        if not demo_registrations().exists():
            _seed()
        return _summary()


def demo_registrations():
    """The registrations this step wrote, by their contract numbers."""
    return ContractRegistration.objects.filter(contract_number__startswith=CONTRACT_PREFIX)


def _seed() -> None:
    cast = _Cast.load()
    rng = random.Random(SEED)  # noqa: S311 -- demo data: reproducible, not security-relevant
    stories = _plan_stories(cast)
    history = _plan_history(cast, rng, used={story.achievement.pk for story in stories if story.achievement})
    _number(cast, stories, history)
    for story in stories:
        _tell(story, cast)
    _write_history(history, cast)
    _close_sequences(cast)


def _summary() -> list[str]:
    stages = Counter(Deal.objects.values_list("stage", flat=True))
    year = ContractRegistration.objects.registered().filter(registered_at__gte=timezone.now() - timedelta(days=365))
    technology = year.aggregate(total=Sum("technology_amount"))["total"] or 0
    buyers = ContractParty.objects.filter(registration__in=year, role=PartyRole.BUYER)
    local = buyers.filter(region__code__startswith=settings.MARKET_REGION_CODE[:4]).count()
    queue = Counter(
        ContractRegistration.objects.filter(
            status__in=[RegistrationStatus.SUBMITTED, RegistrationStatus.ACCEPTED, RegistrationStatus.RETURNED]
        ).values_list("status", flat=True)
    )
    return [
        f"  deals: {sum(stages.values())} deals "
        f"({', '.join(f'{stage} {stages[stage]}' for stage in DealStage.values)}), "
        f"{year.count()} registered contracts over 12 months ({format_wan(technology)} 万元 of technology "
        f"transactions, {round(100 * local / max(buyers.count(), 1))}% bought within {settings.MARKET_REGION_CODE}), "
        f"{queue[RegistrationStatus.SUBMITTED] + queue[RegistrationStatus.ACCEPTED]} in the registrar's queue "
        f"(submitted {queue[RegistrationStatus.SUBMITTED]}, accepted {queue[RegistrationStatus.ACCEPTED]}), "
        f"{queue[RegistrationStatus.RETURNED]} returned for correction"
    ]


# What the step works with ------------------------------------------------------------------------


def _sectors(achievement: Achievement) -> set[str]:
    """The top-level industry fields of an achievement (its fields are prefetched)."""
    return {f.parent.code if f.parent_id else f.code for f in achievement.industry_fields.all()}


def _is_contract_subject(achievement: Achievement) -> bool:
    """A title that reads like a technology, in a field a demo enterprise buys in."""
    return (
        bool(TECH_TITLE.search(achievement.title))
        and not NOT_A_CONTRACT.search(achievement.title)
        and bool(_sectors(achievement) & BOUGHT_SECTORS)
    )


@dataclass
class _Cast:
    now: datetime
    organizations: dict[str, Organization]
    admins: dict[int, User]  # organization pk → its first administrator
    users: dict[str, User]
    fields: dict[str, IndustryField]
    regions: dict[str, Region]
    # organization pk → its published CSL achievements fit to be a contract's subject, oldest first
    published: dict[int, list[Achievement]]
    # organization pk → those the achievement step marked transferred, with the moment it did
    transferred: dict[int, list[tuple[Achievement, datetime]]]
    sequences: dict[int, int] = field(default_factory=dict)  # year → last serial taken

    @classmethod
    def load(cls) -> _Cast:
        names = {*SELLERS, *BUYER_SECTORS, *(story.seller for story in DEALS), *(story.buyer for story in DEALS)}
        organizations = {o.name: o for o in Organization.objects.filter(name__in=names).select_related("region")}
        admins = {}
        for membership in (
            Membership.objects.filter(organization__in=organizations.values(), role=MembershipRole.ADMIN)
            .select_related("user")
            .order_by("pk")
        ):
            admins.setdefault(membership.organization_id, membership.user)
        achievements = (
            Achievement.objects.filter(
                source=Source.CSL,
                organization__in=organizations.values(),
                status__in=[AchievementStatus.PUBLISHED, AchievementStatus.TRANSFERRED],
            )
            .prefetch_related(
                Prefetch("industry_fields", queryset=IndustryField.objects.select_related("parent").order_by("pk")),
                "ip_rights",
                "transfer_modes",
            )
            .order_by("published_at", "pk")
        )
        published, transferred = defaultdict(list), defaultdict(list)
        pending = {}
        for achievement in achievements:
            if not _is_contract_subject(achievement) or achievement.published_at is None:
                continue
            if achievement.status == AchievementStatus.PUBLISHED:
                published[achievement.organization_id].append(achievement)
            else:
                pending[achievement.pk] = achievement
        for log in TransitionLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Achievement),
            object_id__in=list(pending),
            to_status=AchievementStatus.TRANSFERRED,
        ).order_by("created_at", "pk"):
            achievement = pending[log.object_id]
            transferred[achievement.organization_id].append((achievement, log.created_at))
        return cls(
            now=timezone.now(),
            organizations=organizations,
            admins=admins,
            users={user.username: user for user in User.objects.filter(username__in=[REGISTRAR, BROKER])},
            fields={f.code: f for f in IndustryField.objects.all()},
            regions={r.code: r for r in Region.objects.filter(level=3)},
            published=published,
            transferred=transferred,
        )

    def at(self, day: float) -> datetime:
        return self.now + timedelta(days=day)

    def admin(self, name_or_organization) -> User:
        organization = (
            self.organizations[name_or_organization] if isinstance(name_or_organization, str) else name_or_organization
        )
        return self.admins[organization.pk]

    @property
    def registrar(self) -> User:
        return self.users[REGISTRAR]


def _contract_pdf(title: str) -> SimpleUploadedFile:
    """The signed contract the parties upload: a one-page PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile("技术合同（双方签章）.pdf", buffer.getvalue(), "application/pdf")


def _amount(rng: random.Random, category: str, subtype: str) -> Decimal:
    """A contract amount in 元, log-uniform in the category's range, rounded as contracts are."""
    low, high = BROKERAGE_WAN if subtype == ContractSubtype.BROKERAGE else AMOUNT_WAN[category]
    wan = math.exp(rng.uniform(math.log(low), math.log(high)))
    step = Decimal("0.1") if wan < 100 else Decimal(1)
    return (Decimal(str(wan)) / step).quantize(Decimal(1)) * step * WAN


def _technology_amount(rng: random.Random, category: str, total: Decimal) -> Decimal:
    """What the registrar counts as the technology transaction: all of it for about half the
    transfers, licenses and consultations, otherwise a share, to the hundred 元 below."""
    low, high = TECHNOLOGY_SHARE[category]
    if high == 1.0 and rng.random() < 0.5:
        return total
    share = Decimal(str(rng.uniform(low, high)))
    return max((total * share / 100).quantize(Decimal(1), rounding=ROUND_DOWN) * 100, Decimal(100))


def _choose(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Deck:
    """Values drawn in proportion to whole-number weights, each dealt once per (shuffled) round:
    in a sample of 150 the small shares (a sub-type of one in twenty) are there every time,
    which independent draws would not promise."""

    def __init__(self, rng: random.Random, weights: dict[str, int]):
        self.rng = rng
        self.cards = [value for value, weight in weights.items() for _ in range(weight)]
        self.pile: list[str] = []

    def draw(self) -> str:
        if not self.pile:
            self.pile = self.cards[:]
            self.rng.shuffle(self.pile)
        return self.pile.pop()


@dataclass
class _Decks:
    """The decks of the year's contracts: sellers, each seller's categories, each category's sub-types."""

    sellers: _Deck
    categories: dict[str, _Deck]
    subtypes: dict[str, _Deck]

    @classmethod
    def shuffle(cls, rng: random.Random) -> _Decks:
        return cls(
            sellers=_Deck(rng, {name: weight for name, (weight, _categories) in SELLERS.items()}),
            categories={name: _Deck(rng, categories) for name, (_weight, categories) in SELLERS.items()},
            subtypes={category: _Deck(rng, weights) for category, weights in SUBTYPE_WEIGHTS.items()},
        )


def _local(moment_date: date, hour: float) -> datetime:
    """A moment of a local (Asia/Shanghai) day."""
    return timezone.make_aware(datetime.combine(moment_date, time(0))) + timedelta(hours=hour)


def _subtype_for(
    rng: random.Random, category: str, achievement: Achievement | None, decks: _Decks | None = None
) -> str:
    """The sub-type: a transfer or license of an achievement with a patent is a patent's, one
    without is a technical secret's (as the registration form suggests); otherwise drawn."""
    if achievement is not None and category in (ContractCategory.TRANSFER, ContractCategory.LICENSE):
        patented = any(
            right.kind in ("invention_patent", "utility_model", "design_patent")
            for right in achievement.ip_rights.all()
        )
        if category == ContractCategory.LICENSE:
            return ContractSubtype.PATENT_LICENSE if patented else ContractSubtype.TECHNICAL_SECRET_LICENSE
        if not patented:
            return ContractSubtype.TECHNICAL_SECRET
        return _choose(rng, {ContractSubtype.PATENT_RIGHT: 3, ContractSubtype.PATENT_APPLICATION_RIGHT: 1})
    return decks.subtypes[category].draw() if decks else _choose(rng, SUBTYPE_WEIGHTS[category])


def _contract_title(subject: str, subtype: str) -> str:
    """The contract's name: its subject (a paper's title loses its "…的研究") and its kind."""
    subject = STUDY_ENDING.sub("", subject.strip()) or subject
    name = CONTRACT_NAMES[subtype]
    if subject.endswith("技术") and name.startswith("技术"):
        subject = subject[:-2]  # not "…技术技术服务合同"
    return f"{subject}{name}"[:200]


# Planning the stories ----------------------------------------------------------------------------


@dataclass
class _Story:
    plan: DemoDeal
    achievement: Achievement | None = None
    demand: Demand | None = None
    inquiry: Inquiry | None = None
    started: datetime | None = None
    number: tuple[int, int] | None = None  # (year, serial) of its registration number
    contract_number: str = ""


def _plan_stories(cast: _Cast) -> list[_Story]:
    """Each story's listing: the buyer's open demo demand it names, or the seller's published
    achievement in its sectors written before the deal; plus the deal of the demo inquiry left
    at "deal started" without one."""
    stories = []
    taken: set[int] = set()
    for index, plan in enumerate(DEALS):
        story = _Story(plan, started=cast.at(plan.started))
        if plan.demand:
            story.demand = Demand.objects.filter(
                organization=cast.organizations[plan.buyer],
                title=plan.demand,
                status__in=[DemandStatus.PUBLISHED, DemandStatus.NEGOTIATING],
                published_at__lt=story.started,
            ).first()
        if story.demand is None:
            seller = cast.organizations[plan.seller]
            candidates = [a for a in cast.published[seller.pk] if a.published_at < story.started - timedelta(days=1)]
            fitting = [a for a in candidates if _sectors(a) & set(plan.sectors) and a.pk not in taken]
            choices = fitting or [a for a in candidates if a.pk not in taken]
            if not choices:
                raise RuntimeError(f"{plan.seller}: no published achievement before day {plan.started}")
            story.achievement = random.Random(f"{SEED}:{index}").choice(choices)  # noqa: S311 -- demo data
            taken.add(story.achievement.pk)
        stories.append(story)
    inquiry = (
        Inquiry.objects.filter(
            status=InquiryStatus.DEAL_STARTED, deals=None, achievement__status=AchievementStatus.PUBLISHED
        )
        .select_related("achievement__organization", "organization", "user")
        .order_by("pk")
        .first()
    )
    if inquiry is not None:
        moved = (
            TransitionLog.objects.filter(
                content_type=ContentType.objects.get_for_model(Inquiry),
                object_id=inquiry.pk,
                to_status=InquiryStatus.DEAL_STARTED,
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        stories.insert(
            0,
            _Story(
                DemoDeal(
                    DealStage.INTENT,
                    inquiry.achievement.organization.name,
                    inquiry.organization.name,
                    kind_for_transfer_modes(inquiry.achievement.transfer_modes.values_list("mode", flat=True)),
                    0,
                    (),
                    started=0,
                ),
                achievement=inquiry.achievement,
                inquiry=inquiry,
                # The deal is recorded as the inquiry moves to "deal started".
                started=min((moved or cast.now) + timedelta(seconds=1), cast.now),
            ),
        )
    return stories


# Planning the year's registered contracts --------------------------------------------------------


@dataclass
class _DealPlan:
    achievement: Achievement
    buyer: Organization
    kind: str
    created: datetime
    negotiating: datetime
    signed: datetime
    stage: str
    performing: datetime | None = None
    completed: datetime | None = None
    payments: list[tuple[date, Decimal, str]] = field(default_factory=list)
    broker: User | None = None


@dataclass
class _Contract:
    """One registered contract of the year's history, planned before anything is written."""

    seller: Organization
    category: str
    subtype: str
    title: str
    industry_field: IndustryField | None
    total: Decimal
    technology: Decimal
    signed_on: date
    valid_until: date
    created: datetime
    submissions: list[datetime]
    returned: tuple[datetime, str] | None
    accepted: datetime
    registered: datetime
    buyer: Organization | None = None  # on the platform
    outsider: tuple | None = None  # not on the platform: an OUTSIDERS_* entry
    intermediary: Organization | None = None
    deal: _DealPlan | None = None
    number: tuple[int, int] | None = None
    contract_number: str = ""


def _registration_days(rng: random.Random, cast: _Cast) -> list[datetime]:
    """HISTORY_SIZE registration moments over the 12 months up to yesterday, weighted by month,
    on working days in office hours."""
    today = timezone.localdate(cast.now)
    days = list(range(3, 362))
    weights = [MONTH_WEIGHTS[(today - timedelta(days=d)).month] for d in days]
    moments = []
    for d in rng.choices(days, weights=weights, k=HISTORY_SIZE):
        day = today - timedelta(days=d)
        day -= timedelta(days=max(day.weekday() - 4, 0))  # a weekend's paperwork waits for Friday
        moments.append(_local(day, rng.uniform(9, 17.5)))
    return sorted(moments)


def _steps_before(rng: random.Random, registered: datetime) -> dict:
    """The registration's steps before `registered`: written, submitted (returned once in ten
    and submitted again), accepted; the contract signed before it was written, for one to three
    years."""
    accepted = registered - timedelta(hours=rng.uniform(2, 70))
    submitted = accepted - timedelta(hours=rng.uniform(3, 100))
    submissions, returned = [submitted], None
    if rng.random() < 0.1:
        back = submitted - timedelta(days=rng.uniform(2, 8))
        submissions = [back - timedelta(hours=rng.uniform(20, 90)), submitted]
        returned = (back, rng.choice(RETURN_REASONS))
    created = submissions[0] - timedelta(days=rng.uniform(0.2, 4))
    signed_on = timezone.localdate(created - timedelta(days=rng.uniform(1, 40)))
    return {
        "valid_until": signed_on + timedelta(days=365 * rng.choice([1, 1, 2, 3])),
        "accepted": accepted,
        "submissions": submissions,
        "returned": returned,
        "created": created,
        "signed_on": signed_on,
    }


def _plan_history(cast: _Cast, rng: random.Random, *, used: set[int]) -> list[_Contract]:
    """The year's registered contracts: a handful registered just before the demo marked their
    achievement transferred, and HISTORY_SIZE more spread over the months."""
    decks = _Decks.shuffle(rng)
    contracts = [
        *_transfers(cast, rng),
        *(_contract(cast, rng, decks, moment, used) for moment in _registration_days(rng, cast)),
    ]
    return sorted(contracts, key=lambda contract: contract.registered)


def _transfers(cast: _Cast, rng: random.Random) -> list[_Contract]:
    """A transfer contract for each achievement of a Qingdao seller that the demo marked
    transferred within the year, registered minutes before."""
    contracts = []
    window = cast.now - timedelta(days=360)
    for name in (QIBEBT, QDU, SDIIT):
        seller = cast.organizations[name]
        for achievement, moment in cast.transferred[seller.pk]:
            registered = moment - timedelta(minutes=rng.uniform(3, 60))
            if registered < window:
                continue
            steps = _steps_before(rng, registered)
            signed = _local(steps["signed_on"], rng.uniform(9, 17))
            earliest = achievement.published_at + timedelta(days=rng.uniform(1, 5))
            if signed - earliest < timedelta(days=10):
                continue
            buyer = _platform_buyer(cast, rng, seller, _sectors(achievement))
            category = ContractCategory.TRANSFER
            subtype = _subtype_for(rng, category, achievement)
            total = _amount(rng, category, subtype)
            kind = DealKind.EQUITY if rng.random() < 0.3 else DealKind.TRANSFER
            contract = _Contract(
                seller=seller,
                category=category,
                subtype=subtype,
                title=_contract_title(achievement.title, subtype),
                industry_field=next(iter(achievement.industry_fields.all()), None),
                total=total,
                technology=_technology_amount(rng, category, total),
                signed_on=steps["signed_on"],
                valid_until=steps["valid_until"],
                created=steps["created"],
                submissions=steps["submissions"],
                returned=steps["returned"],
                accepted=steps["accepted"],
                registered=registered,
                buyer=buyer,
            )
            contract.deal = _deal_plan(cast, rng, contract, achievement, kind, signed, earliest)
            contracts.append(contract)
    return contracts


def _platform_buyer(cast: _Cast, rng: random.Random, seller: Organization, sectors: set[str]) -> Organization:
    """A demo enterprise buying in the achievement's sectors; local ones are likelier."""
    names = [name for name, theirs in BUYER_SECTORS.items() if theirs & sectors] or list(BUYER_SECTORS)
    names = [name for name in names if cast.organizations[name].pk != seller.pk] or [
        name for name in BUYER_SECTORS if cast.organizations[name].pk != seller.pk
    ]
    weights = [4 if _is_local(cast.organizations[name].region_id) else 1 for name in names]
    return cast.organizations[rng.choices(names, weights=weights)[0]]


def _is_local(region_code: str | None) -> bool:
    return bool(region_code) and region_code.startswith(settings.MARKET_REGION_CODE[:4])


def _contract(cast: _Cast, rng: random.Random, decks: _Decks, registered: datetime, used: set[int]) -> _Contract:
    """One contract registered at `registered`: from a deal on one of the seller's published
    achievements when there was one on the market in time (six in ten), otherwise off the
    platform, with a buyer in or outside the region."""
    name = decks.sellers.draw()
    seller = cast.organizations[name]
    category = decks.categories[name].draw()
    steps = _steps_before(rng, registered)
    signed = _local(steps["signed_on"], rng.uniform(9, 17))
    created = signed - timedelta(days=rng.uniform(15, 100))
    achievement = None
    if category != ContractCategory.TRANSFER and name not in ENTERPRISE_SUBJECTS and rng.random() < 0.6:
        # Not for transfers: they would take a published achievement off the market.
        fresh = [a for a in cast.published[seller.pk] if a.published_at < created and a.pk not in used]
        achievement = rng.choice(fresh) if fresh else None
    subtype = ContractSubtype.BROKERAGE if name == AGENCY else _subtype_for(rng, category, achievement, decks)
    total = _amount(rng, category, subtype)
    contract = _Contract(
        seller=seller,
        category=category,
        subtype=subtype,
        title="",
        industry_field=None,
        total=total,
        technology=_technology_amount(rng, category, total),
        signed_on=steps["signed_on"],
        valid_until=steps["valid_until"],
        created=steps["created"],
        submissions=steps["submissions"],
        returned=steps["returned"],
        accepted=steps["accepted"],
        registered=registered,
    )
    if achievement is not None:
        used.add(achievement.pk)
        contract.title = _contract_title(achievement.title, subtype)
        contract.industry_field = next(iter(achievement.industry_fields.all()), None)
        contract.buyer = _platform_buyer(cast, rng, seller, _sectors(achievement))
        kind = {v: k for k, v in CATEGORY_OF_KIND.items() if k != DealKind.EQUITY}[category]
        contract.deal = _deal_plan(cast, rng, contract, achievement, kind, signed, created)
        return contract
    if name in ENTERPRISE_SUBJECTS:
        subjects, field_code = ENTERPRISE_SUBJECTS[name]
        contract.title = _contract_title(rng.choice(subjects[category]), subtype)
        contract.industry_field = cast.fields.get(field_code)
    else:
        subject = rng.choice(cast.published[seller.pk] or [None])
        contract.title = _contract_title(subject.title if subject else f"{seller.short_name}技术成果", subtype)
        contract.industry_field = next(iter(subject.industry_fields.all()), None) if subject else None
    if rng.random() < 0.2:
        contract.buyer = cast.organizations[
            rng.choice([n for n in BUYER_SECTORS if cast.organizations[n].pk != seller.pk])
        ]
    else:
        contract.outsider = rng.choice(OUTSIDERS_LOCAL if rng.random() < 0.8 else OUTSIDERS_ELSEWHERE)
    return contract


def _deal_plan(
    cast: _Cast,
    rng: random.Random,
    contract: _Contract,
    achievement: Achievement,
    kind: str,
    signed: datetime,
    created: datetime,
) -> _DealPlan:
    """The deal behind a registered contract: recorded `created`, negotiated, signed; after the
    registration performed and, for most older ones, completed, with the instalments paid."""
    created = max(created, signed - timedelta(days=rng.uniform(15, 100)))
    plan = _DealPlan(
        achievement=achievement,
        buyer=contract.buyer,
        kind=kind,
        created=created,
        negotiating=created + (signed - created) * rng.uniform(0.2, 0.6),
        signed=signed,
        stage=DealStage.REGISTERED,
        broker=cast.users.get(BROKER) if rng.random() < 0.15 else None,
    )
    if plan.broker is not None:
        contract.intermediary = cast.organizations.get(AGENCY)
    performing = contract.registered + timedelta(days=rng.uniform(1, 12))
    if performing < cast.now - timedelta(hours=2):
        plan.stage, plan.performing = DealStage.PERFORMING, performing
        completed = performing + timedelta(days=rng.uniform(30, 220))
        if completed < cast.now - timedelta(days=1) and rng.random() < 0.75:
            plan.stage, plan.completed = DealStage.COMPLETED, completed
    plan.payments = _payments(rng, cast, contract.total, contract.signed_on, plan)
    return plan


def _payments(rng: random.Random, cast: _Cast, total: Decimal, signed_on: date, plan: _DealPlan) -> list:
    """The instalments received: all of it for a completed deal (the last on acceptance), part
    of it for one being performed, perhaps the down payment for one just registered."""
    today = timezone.localdate(cast.now)
    first = signed_on + timedelta(days=rng.randint(3, 20))
    if plan.stage == DealStage.COMPLETED:
        shares = rng.choice([(30, 70), (30, 40, 30), (50, 50), (20, 50, 30)])
        last = max(timezone.localdate(plan.completed) - timedelta(days=rng.randint(0, 5)), first)
        middle = [first + (last - first) * (i + 1) / len(shares) for i in range(len(shares) - 2)]
        dates = [first, *middle, last]
        notes = ["首付款", *(f"第{'二三四'[i]}期款" for i in range(len(middle))), "尾款（验收后）"]
    elif plan.stage == DealStage.PERFORMING:
        shares = rng.choice([(30,), (40,), (30, 40), (50,)])
        dates = [first + timedelta(days=rng.randint(30, 90) * i) for i in range(len(shares))]
        notes = ["首付款", "第二期款"][: len(shares)]
    else:
        shares = rng.choice([(), (30,)])
        dates, notes = [first] * len(shares), ["首付款"] * len(shares)
    payments, paid = [], Decimal(0)
    for index, (share, day, note) in enumerate(zip(shares, dates, notes, strict=True)):
        if day > today:
            break
        last_one = plan.stage == DealStage.COMPLETED and index == len(shares) - 1
        amount = total - paid if last_one else (total * share / 100).quantize(Decimal("0.01"))
        payments.append((day, amount, note))
        paid += amount
    return payments


def _number(cast: _Cast, stories: list[_Story], history: list[_Contract]) -> None:
    """Registration numbers in the order of registration, each year's serials after the last one
    taken, and the contract numbers in the order of signing."""
    registered = [(story, cast.at(story.plan.registered)) for story in stories if story.plan.registered is not None]
    registered += [(contract, contract.registered) for contract in history]
    base = dict(RegistrationSequence.objects.values_list("year", "last_number"))
    serials = Counter()
    for item, moment in sorted(registered, key=lambda pair: pair[1]):
        year = timezone.localtime(moment).year
        serials[year] += 1
        item.number = (year, base.get(year, 0) + serials[year])
    cast.sequences = {year: base.get(year, 0) + count for year, count in serials.items()}
    signed = [(story, cast.at(story.plan.signed)) for story in stories if story.plan.saved is not None]
    signed += [(contract, _local(contract.signed_on, 12)) for contract in history]
    counters = Counter()
    for item, moment in sorted(signed, key=lambda pair: pair[1]):
        year = timezone.localtime(moment).year
        counters[year] += 1
        item.contract_number = f"{CONTRACT_PREFIX}{year}-{counters[year]:04d}"


def _registration_number(year: int, serial: int) -> str:
    """The number next_registration_number issues for that serial."""
    return f"{year}{settings.MARKET_REGION_CODE}{serial:06d}"


def _close_sequences(cast: _Cast) -> None:
    """Leave each year's sequence at the last serial the demo took: the next real registration
    continues from there."""
    for year, last in cast.sequences.items():
        RegistrationSequence.objects.update_or_create(year=year, defaults={"last_number": last})


# Telling a story ---------------------------------------------------------------------------------


def _tell(story: _Story, cast: _Cast) -> Deal:
    """Take one deal from its start to its final stage through the services, each step on its day."""
    plan = story.plan
    seller, buyer = cast.organizations.get(plan.seller), cast.organizations.get(plan.buyer)
    if story.inquiry is not None:
        seller, buyer = story.inquiry.achievement.organization, story.inquiry.organization
    seller_admin, buyer_admin = cast.admin(seller), story.inquiry.user if story.inquiry else cast.admin(buyer)
    listing = story.achievement or story.demand
    amount = plan.amount_wan * WAN if plan.amount_wan else (story.achievement.asking_price or None)
    with _clock(story.started):
        deal = deal_start(
            user=buyer_admin,
            origin=DealOrigin.INQUIRY if story.inquiry else DealOrigin.DIRECT,
            seller=seller,
            buyer=buyer,
            kind=plan.kind,
            achievement=story.achievement,
            demand=story.demand,
            amount=amount,
            title=listing.title,
            inquiry=story.inquiry,
        )
        if plan.broker:
            # No service names a deal's brokers yet (the brokers app will engage them).
            deal.brokers.add(cast.users[plan.broker])
    if plan.negotiating is not None:
        with _clock(cast.at(plan.negotiating)):
            deal_negotiate(deal=deal, user=buyer_admin)
    if plan.signed is not None:
        with _clock(cast.at(plan.signed)):
            deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate(), amount=amount)
    if plan.saved is not None:
        _register(story, deal, cast, seller_admin)
    if plan.performing is not None:
        with _clock(cast.at(plan.performing)):
            deal_start_performing(deal=_fresh(deal), user=seller_admin)
    for day, percent, note in plan.payments:
        with _clock(cast.at(day)):
            payment_record(
                deal=deal, user=seller_admin, amount=amount * percent / 100, received_on=timezone.localdate(), note=note
            )
    if plan.completed is not None:
        with _clock(cast.at(plan.completed)):
            deal_complete(deal=_fresh(deal), user=buyer_admin)
    if plan.failed is not None:
        day, reason = plan.failed
        with _clock(cast.at(day)):
            deal_fail(deal=_fresh(deal), user=buyer_admin, reason=reason)
    deal.refresh_from_db()
    if deal.stage != plan.stage:
        raise RuntimeError(f"{deal.title}: told to {deal.stage}, meant {plan.stage}")
    return deal


def _fresh(obj):
    obj.refresh_from_db()
    return obj


def _register(story: _Story, deal: Deal, cast: _Cast, seller_admin: User) -> ContractRegistration:
    """The seller writes the registration from the deal (with the signed contract when it goes
    on to the registrar), submits it; the registrar accepts, returns or registers it."""
    plan = story.plan
    registrar = cast.registrar
    with _clock(cast.at(plan.saved)):
        deal = _fresh(deal)
        initial = registration_initial(deal)
        parties = initial.pop("parties")
        if plan.broker:
            parties.append(party_initial(cast.organizations[AGENCY], PartyRole.INTERMEDIARY))
        field_pk = initial.pop("industry_field")
        industry_field = (
            IndustryField.objects.get(pk=field_pk) if field_pk else deal.seller.industry_fields.order_by("pk").first()
        )
        registration = registration_save(
            deal=deal,
            user=seller_admin,
            parties=parties,
            signed_contract=_contract_pdf(deal.title) if plan.submitted is not None else None,
            **{
                **initial,
                "title": _contract_title(deal.title, initial["subtype"]),
                "contract_number": story.contract_number,
                "industry_field": industry_field,
                "valid_until": deal.signed_on + timedelta(days=365 if plan.amount_wan < 100 else 730),
            },
        )
    if plan.submitted is not None:
        with _clock(cast.at(plan.submitted)):
            registration_submit(registration=_fresh(registration), user=seller_admin)
    if plan.accepted is not None:
        with _clock(cast.at(plan.accepted)):
            registration_accept(registration=_fresh(registration), registrar=registrar)
    if plan.returned is not None:
        day, reason = plan.returned
        with _clock(cast.at(day)):
            registration_return(registration=_fresh(registration), registrar=registrar, reason=reason)
    if plan.registered is not None:
        year, serial = story.number
        # The year's serials are handed out in the order of registration, the bulk history's
        # included: the sequence stands just before this one's.
        RegistrationSequence.objects.update_or_create(year=year, defaults={"last_number": serial - 1})
        with _clock(cast.at(plan.registered)):
            registration = _fresh(registration)
            technology = _technology_amount(random.Random(f"{SEED}:{deal.title}"), registration.category, deal.amount)  # noqa: S311
            registration_register(registration=registration, registrar=registrar, technology_amount=technology)
        if registration.registration_number != _registration_number(year, serial):
            raise RuntimeError(f"{deal.title}: registered as {registration.registration_number}")
    return registration


# Writing the year's history in bulk --------------------------------------------------------------


def _write_history(contracts: list[_Contract], cast: _Cast) -> None:
    """Write the planned contracts, their deals, parties, payments, transition log and history
    in bulk, each row dated when its step happened (bulk_create stamps them now; the dates are
    set after by bulk_update). No notifications: these are the past."""
    registrar = cast.registrar
    log_rows: list[tuple] = []  # (object, field, from, to, actor, reason, moment)
    dates: dict[int, dict] = {}  # id(row) → the dates it is given once created
    deals = []
    for contract in contracts:
        plan = contract.deal
        if plan is None:
            continue
        starter = cast.admin(plan.buyer)
        deal = Deal(
            title=plan.achievement.title,
            seller=contract.seller,
            buyer=plan.buyer,
            achievement=plan.achievement,
            kind=plan.kind,
            amount=contract.total,
            stage=plan.stage,
            signed_on=contract.signed_on,
            origin=DealOrigin.DIRECT,
            created_by=starter,
        )
        moments = [plan.created, plan.negotiating, plan.signed, contract.registered + timedelta(seconds=1)]
        steps = [
            ("", DealStage.INTENT, starter, ""),
            (DealStage.INTENT, DealStage.NEGOTIATING, starter, ""),
            (DealStage.NEGOTIATING, DealStage.SIGNED, cast.admin(contract.seller), ""),
            (DealStage.SIGNED, DealStage.REGISTERED, registrar, _registration_number(*contract.number)),
        ]
        if plan.performing is not None:
            moments.append(plan.performing)
            steps.append((DealStage.REGISTERED, DealStage.PERFORMING, cast.admin(contract.seller), ""))
        if plan.completed is not None:
            moments.append(plan.completed)
            steps.append((DealStage.PERFORMING, DealStage.COMPLETED, starter, ""))
        paid = [_local(day, 10) for day, _amount, _note in plan.payments]
        dates[id(deal)] = {"created_at": plan.created, "updated_at": min(max([*moments, *paid]), cast.now)}
        deal._history_date, deal._history_user = dates[id(deal)]["updated_at"], registrar
        log_rows.extend((deal, "stage", *step, moment) for step, moment in zip(steps, moments, strict=True))
        deals.append((contract, deal))
    _create_dated(Deal, [deal for _contract, deal in deals], dates)
    Deal.brokers.through.objects.bulk_create(
        [
            Deal.brokers.through(deal_id=deal.pk, user_id=contract.deal.broker.pk)
            for contract, deal in deals
            if contract.deal.broker is not None
        ]
    )
    payments = [
        DealPayment(deal=deal, amount=amount, received_on=day, note=note, recorded_by=cast.admin(contract.seller))
        for contract, deal in deals
        for day, amount, note in contract.deal.payments
    ]
    dates.update({id(p): {"created_at": min(_local(p.received_on, 10), cast.now)} for p in payments})
    _create_dated(DealPayment, payments, dates)
    deal_of = {id(contract): deal for contract, deal in deals}

    registrations = []
    for contract in contracts:
        submitter = cast.admin(contract.seller)
        registration = ContractRegistration(
            deal=deal_of.get(id(contract)),
            organization=contract.seller,
            title=contract.title,
            contract_number=contract.contract_number,
            category=contract.category,
            subtype=contract.subtype,
            industry_field=contract.industry_field,
            signed_on=contract.signed_on,
            valid_from=contract.signed_on,
            valid_until=contract.valid_until,
            total_amount=contract.total,
            technology_amount=contract.technology,
            status=RegistrationStatus.REGISTERED,
            registration_number=_registration_number(*contract.number),
            return_reason=contract.returned[1] if contract.returned else "",
            submitted_by=submitter,
            submitted_at=contract.submissions[-1],
            registrar=registrar,
            registered_at=contract.registered,
        )
        dates[id(registration)] = {"created_at": contract.created, "updated_at": contract.registered}
        registration._history_date, registration._history_user = contract.registered, registrar
        steps = [(RegistrationStatus.DRAFT, RegistrationStatus.SUBMITTED, submitter, "", contract.submissions[0])]
        if contract.returned:
            back, reason = contract.returned
            steps += [
                (RegistrationStatus.SUBMITTED, RegistrationStatus.RETURNED, registrar, reason, back),
                (RegistrationStatus.RETURNED, RegistrationStatus.SUBMITTED, submitter, "", contract.submissions[1]),
            ]
        steps += [
            (RegistrationStatus.SUBMITTED, RegistrationStatus.ACCEPTED, registrar, "", contract.accepted),
            (RegistrationStatus.ACCEPTED, RegistrationStatus.REGISTERED, registrar, "", contract.registered),
        ]
        log_rows.extend((registration, "status", *step) for step in steps)
        registrations.append((contract, registration))
    _create_dated(ContractRegistration, [registration for _contract, registration in registrations], dates)
    ContractParty.objects.bulk_create(
        [party for contract, registration in registrations for party in _parties(contract, registration, cast)]
    )
    _write_log(log_rows)
    Deal.history.bulk_history_create([deal for _contract, deal in deals])
    ContractRegistration.history.bulk_history_create([registration for _contract, registration in registrations])
    # A registered license is counted on its achievement, as the registration service does.
    licensed = Counter(
        contract.deal.achievement.pk
        for contract in contracts
        if contract.deal is not None and contract.category == ContractCategory.LICENSE
    )
    for pk, count in licensed.items():
        Achievement.objects.filter(pk=pk).update(license_count=F("license_count") + count)


def _parties(contract: _Contract, registration: ContractRegistration, cast: _Cast) -> list[ContractParty]:
    """The seller, the buyer (on the platform or not) and the broker's agency, as the form names them."""
    rows = [(PartyRole.SELLER, contract.seller)]
    if contract.buyer is not None:
        rows.append((PartyRole.BUYER, contract.buyer))
    if contract.intermediary is not None:
        rows.append((PartyRole.INTERMEDIARY, contract.intermediary))
    parties = []
    for role, organization in rows:
        initial = party_initial(organization, role)
        parties.append(
            ContractParty(
                registration=registration,
                role=role,
                organization=organization,
                name=initial["name"],
                uscc=initial["uscc"],
                region_id=initial["region"],
                legal_entity_kind=initial["legal_entity_kind"],
            )
        )
    if contract.outsider is not None:
        name, region_code, prefix, legal_form = contract.outsider
        parties.append(
            ContractParty(
                registration=registration,
                role=PartyRole.BUYER,
                name=name,
                uscc=demo_uscc(prefix, region_code, name),
                region=cast.regions[region_code],
                legal_entity_kind=legal_form,
            )
        )
    return parties


def _write_log(rows: list[tuple]) -> None:
    """The TransitionLog rows of the bulk history, with the moments of their steps."""
    types = {model: ContentType.objects.get_for_model(model) for model in (Deal, ContractRegistration)}
    logs = [
        TransitionLog(
            content_type=types[type(obj)],
            object_id=obj.pk,
            field=field_name,
            from_status=source,
            to_status=target,
            actor=actor,
            reason=reason,
        )
        for obj, field_name, source, target, actor, reason, _moment in rows
    ]
    _create_dated(TransitionLog, logs, {id(log): {"created_at": row[-1]} for log, row in zip(logs, rows, strict=True)})


def _create_dated(model, objects: list, dates: dict[int, dict]) -> None:
    """bulk_create the objects, then give them their own dates ({id(object): {field: moment}}):
    bulk_create stamps the auto_now and auto_now_add fields with the present moment, on the
    instances too."""
    model.objects.bulk_create(objects, batch_size=500)
    for obj in objects:
        for name, moment in dates[id(obj)].items():
            setattr(obj, name, moment)
    if objects:
        model.objects.bulk_update(objects, list(dates[id(objects[0])]), batch_size=500)

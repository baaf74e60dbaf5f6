"""Demo data of open challenges (揭榜挂帅) and pooled R&D procurement (集采研发), on hard
problems of the demo enterprises' sectors, bid for by the demo universities and institutes.

Every challenge status is present, each reached through the services: the issuer drafts and
submits, the bureau returns or publishes, the window opens and closes by the beat job
(challenges_advance), solvers bid (and revise or withdraw), drawn experts score the bids
blind, the bureau shortlists and awards by the results, objections are lodged and
dismissed or left open, the contract is signed, milestones are reported and reviewed, and a
challenge fails for want of bids or of results. Two pools: one open a little short of its
threshold, one funded, whose challenge the bureau completed and published.

The services read the clock for their gates (the bidding window, the public notice, the
scoring deadline, the pledge deadline), so each step runs with the clock at its day
(`_clock`): the gates are checked as on that day, and every row a service writes carries it —
transition log, history, bids, scores, objections, pledges, notifications.

No service leaves a challenge awarded or contracted: challenge_award opens the public notice,
and challenge_contract starts the work, in the same transaction. The demo's awarded and
contracted challenges stop half-way: what the service writes before that step, then the
lifecycle's own (logged) transition (see `_award_without_notice`, `_contract_without_start`).

Runs after marketplace.demo.seed_parties and demands.demo.seed_demands (the organizations and
users; a challenge is linked to the demo demand it grew out of when that demand was written
before it) and makes sure the expert pool exists. Reproducible (fixed seeds) and idempotent:
challenges and pools are recognised by title; once one exists the stories are not told again.
"""

from __future__ import annotations

import io
import itertools
import logging
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from achievements.demo import ensure_expert_pool
from demands.demo import AUBO, CLEAN, DONGYUE, JIFA, LASER, LITHIUM, OWNERS, TEAMS, VLAND, WAN, _log_level
from demands.enums import ChallengeStatus, ObjectionStatus, PoolStatus
from demands.models import Bid, Challenge, Demand, Objection, PooledProcurement
from demands.services.challenges import (
    LIFECYCLE,
    bid_submit,
    bid_update,
    bid_withdraw,
    challenge_award,
    challenge_contract,
    challenge_create,
    challenge_fail,
    challenge_publish,
    challenge_return,
    challenge_shortlist,
    challenge_submit,
    challenge_update,
    challenges_advance,
    decide_bids,
    milestone_add,
    milestone_report,
    milestone_review,
    objection_lodge,
    objection_resolve,
    release_runners_up,
)
from demands.services.pools import pledge_create, pool_create
from marketplace.enums import AssignmentStatus, RoundStatus
from marketplace.models import Assignment, IndustryField, Organization, User
from marketplace.money import format_wan
from marketplace.services.evaluation import assignment_submit, round_close, round_draw, scores_record

SEED = 20260401
REVIEWER = "reviewer"


@dataclass(frozen=True)
class DemoBid:
    user: str  # the bidder's username; the bid is its organization's
    proposal: str
    plan: str
    budget_wan: int
    day: float  # days from today (negative: past)
    merit: int = 7  # what the experts make of it (0–10): they score it so, or a point higher
    revised: tuple[float, int] | None = None  # (day, new budget in 万元) while the window is open
    withdrawn: float | None = None


@dataclass(frozen=True)
class DemoReport:
    reported: float
    text: str
    reviewed: float | None = None  # None: waiting for the bureau
    approved: bool = True
    note: str = ""


@dataclass(frozen=True)
class DemoMilestone:
    title: str
    tranche_wan: int
    due: int  # days from today
    reports: tuple[DemoReport, ...] = ()


@dataclass(frozen=True)
class DemoObjection:
    user: str
    text: str
    lodged: float
    resolved: float | None = None  # None: still open
    upheld: bool = False  # upheld: the award goes back to the shortlist
    resolution: str = ""


@dataclass(frozen=True)
class Timeline:
    """The days (from today; negative: past) of a challenge's steps. A step left None does not
    happen, nor does any after it."""

    created: float
    opens: float
    closes: float
    submitted: float | None = None
    returned: tuple[float, str] | None = None  # (day, reason): the bureau sends it back, it stays a draft
    published: float | None = None
    drawn: float | None = None
    scored: tuple[float, ...] = ()  # when each drawn expert hands in; default: spread until round_closed
    round_closed: float | None = None
    shortlisted: float | None = None
    awarded: float | None = None
    contracted: float | None = None
    failed: tuple[float, str] | None = None  # (day, reason)


@dataclass(frozen=True)
class DemoChallenge:
    enterprise: str
    status: str  # the final ChallengeStatus
    title: str
    description: str
    fields: tuple[str, ...]
    bounty_wan: int
    eligibility: str
    deliverables: str
    review_criteria: str
    milestones: tuple[DemoMilestone, ...]
    timeline: Timeline
    demand: str = ""  # the title of the issuer's demo demand behind it
    bids: tuple[DemoBid, ...] = ()
    objections: tuple[DemoObjection, ...] = ()
    notice_days: int = 7
    shortlist: int = 2


@dataclass(frozen=True)
class DemoPledge:
    user: str
    amount_wan: int
    day: float


@dataclass(frozen=True)
class DemoPool:
    enterprise: str
    title: str
    description: str
    fields: tuple[str, ...]
    threshold_wan: int
    created: float
    deadline: float
    pledges: tuple[DemoPledge, ...]
    demands: tuple[str, ...] = ()  # titles of the demo demands it gathers
    # A funded pool's challenge, as the bureau completes and publishes it.
    completed: float | None = None
    published: float | None = None
    eligibility: str = ""
    deliverables: str = ""
    review_criteria: str = ""
    milestones: tuple[DemoMilestone, ...] = ()
    bids: tuple[DemoBid, ...] = ()


CHALLENGES = [
    DemoChallenge(
        enterprise=CLEAN,
        status=ChallengeStatus.DRAFT,
        title="储能电站磷酸铁锂电池热失控早期预警技术",
        demand="磷酸铁锂储能电站热失控早期预警",
        description="我司在大连金普新区运营的 100 MW/200 MWh 磷酸铁锂储能电站，现有电池管理系统依靠电压、温度越限告警，"
        "热失控发生前的预警时间不足 2 分钟，无法满足消防联动要求。现发榜征集基于特征气体、声学或交流内阻等多源信号的"
        "热失控早期预警技术，在电芯热失控前 10 分钟以上给出可靠预警。",
        fields=("energy-storage",),
        bounty_wan=150,
        eligibility="国内注册的高校、科研院所或企业；具备储能电池安全测试条件或与有资质的检测机构合作；"
        "近三年承担过储能或动力电池安全相关项目。",
        deliverables="1. 多源信号融合预警算法及软件 1 套；2. 可在储能舱批量部署的传感器模组及安装规范；"
        "3. 不少于 3 个月的储能舱示范运行报告；4. 具有 CMA 资质的第三方检测报告。",
        review_criteria="预警提前量与误报率指标的可实现性（40%）、技术路线成熟度与示范条件（30%）、团队业绩（20%）、"
        "经费合理性（10%）。",
        milestones=(
            DemoMilestone("传感器选型与预警算法实验室验证", 50, 120),
            DemoMilestone("储能舱示范部署与 3 个月运行考核", 100, 300),
        ),
        timeline=Timeline(
            created=-12,
            opens=20,
            closes=80,
            submitted=-9,
            returned=(
                -6,
                "请补充量化验收指标：预警提前量、误报率和漏报率的目标值及考核方法，并说明示范储能舱的规模与运行条件。",
            ),
        ),
    ),
    DemoChallenge(
        enterprise=DONGYUE,
        status=ChallengeStatus.SUBMITTED,
        title="燃料电池膜电极批量一致性在线检测装备",
        demand="燃料电池膜电极批量一致性在线检测",
        description="我司膜电极产线年产能 50 万片，催化层载量、厚度与针孔缺陷目前依靠离线抽检，批次间性能偏差达 ±8%。"
        "发榜征集可集成到卷对卷产线的在线检测装备，实现催化层载量、厚度和缺陷的全数在线检测与工艺闭环反馈。",
        fields=("hydrogen", "testing-certification"),
        bounty_wan=300,
        eligibility="国内注册的高校、科研院所或企业；具备光学、X 射线荧光或红外热成像等在线检测技术基础；"
        "有卷对卷产线检测装备集成经验者优先。",
        deliverables="1. 在线检测装备 1 套（含软件），在我司产线安装调试；2. 检测方法与判定标准文件；"
        "3. 连续 30 天在线运行数据报告。",
        review_criteria="检测精度与节拍指标（40%）、产线集成方案可行性（30%）、团队能力（20%）、经费合理性（10%）。",
        milestones=(
            DemoMilestone("检测原理样机与实验室标定", 100, 150),
            DemoMilestone("产线集成与 30 天连续运行考核", 200, 330),
        ),
        timeline=Timeline(created=-8, opens=14, closes=74, submitted=-3),
    ),
    DemoChallenge(
        enterprise=VLAND,
        status=ChallengeStatus.PUBLISHED,
        title="海洋低温碱性蛋白酶高效表达与发酵放大",
        demand="海洋微生物来源低温碱性蛋白酶高效表达",
        description="我司筛选到一株海洋假交替单胞菌来源的低温碱性蛋白酶，20℃ 下比活力高，适合低温洗涤，"
        "但在毕赤酵母中表达量仅 0.8 g/L，发酵液酶活约 3,000 U/mL。发榜征集高表达工程菌株构建与 50 m³ 规模发酵工艺，"
        "使洗涤剂用酶成本降至进口产品的 70% 以下。",
        fields=("marine-biology", "biotechnology"),
        bounty_wan=200,
        eligibility="国内高校、科研院所或企业；具备工业酶分子改造与高密度发酵平台；拥有 500 L 以上发酵中试条件或可协调使用。",
        deliverables="1. 表达量 ≥ 5 g/L 的工程菌株及构建资料；2. 50 m³ 发酵工艺包；"
        "3. 在我司车间连续 3 批次放大的批生产记录与检测报告。",
        review_criteria="表达量与酶活指标的可实现性（40%）、放大经验（30%）、知识产权归属安排（15%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone("工程菌株构建，摇瓶表达量 ≥ 2 g/L", 60, 150),
            DemoMilestone("500 L 中试发酵达标", 60, 270),
            DemoMilestone("50 m³ 生产规模连续 3 批验证", 80, 400),
        ),
        timeline=Timeline(created=-20, opens=6, closes=51, submitted=-18, published=-5),
    ),
    DemoChallenge(
        enterprise=LITHIUM,
        status=ChallengeStatus.BIDDING,
        title="高镍单晶三元正极高温循环寿命提升",
        demand="高镍单晶三元正极材料高温循环寿命提升",
        description="我司 Ni90 单晶三元正极材料在 45℃ 下循环 1,000 周后容量保持率仅 78%，高温产气明显，制约其在高端动力电池中的应用。"
        "发榜征集表面包覆、体相掺杂或电解液协同改性方案，在不降低首效和倍率性能的前提下显著提升高温循环寿命。",
        fields=("new-energy-batteries",),
        bounty_wan=500,
        eligibility="国内注册的高校、科研院所或企业；具备正极材料合成、表征及扣式/软包电池评测能力；"
        "团队近五年在高镍正极领域有代表性成果。",
        deliverables="1. 改性工艺包（配方、烧结制度、包覆工艺）；2. 百公斤级中试样品及第三方检测报告；3. 2 Ah 以上软包电池验证数据。",
        review_criteria="高温循环与产气指标的可实现性（35%）、中试放大可行性（30%）、团队与平台（20%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone("改性方案小试：扣式电池 45℃ 循环 500 周保持率 ≥ 92%", 150, 180),
            DemoMilestone("百公斤级中试与软包电池验证", 200, 360),
            DemoMilestone("量产导入与客户认证支持", 150, 540),
        ),
        timeline=Timeline(created=-40, opens=-33, closes=16, submitted=-38, published=-35),
        bids=(
            DemoBid(
                "qibebt_admin",
                "采用原子层沉积 Li₃PO₄ 超薄包覆结合 Al/Zr 共掺杂，抑制高温下的表面相变和过渡金属溶出；"
                "同步开发含 LiDFOB 的功能电解液，协同降低高温产气。",
                "第 1–6 个月完成包覆与掺杂组合筛选；第 7–12 个月百公斤级中试；第 13–18 个月软包电池验证并配合客户认证。",
                460,
                day=-25,
            ),
            DemoBid(
                "cczu_admin",
                "湿法包覆硼酸锂快离子导体层并引入 W 梯度掺杂，提升晶界与表面稳定性；依托学校材料中试平台完成 50 kg 级放大。",
                "第 1–8 个月材料改性与扣式电池评测；第 9–14 个月中试放大；第 15–18 个月软包电池验证。",
                480,
                day=-18,
                revised=(-9, 450),
            ),
            DemoBid(
                "sdiit_admin",
                "以喷雾干燥—固相烧结一体化工艺实现 Nb 掺杂与 LiNbO₃ 包覆同步完成，缩短工序并降低成本。",
                "第 1–6 个月工艺开发；第 7–12 个月与合作企业完成中试；第 13–18 个月电池验证。",
                420,
                day=-14,
                withdrawn=-7,
            ),
        ),
    ),
    DemoChallenge(
        enterprise=VLAND,
        status=ChallengeStatus.REVIEWING,
        title="畜禽饲用植物提取物替抗产品药效与安全性评价",
        demand="畜禽用植物提取物替抗产品药效与安全性评价",
        description="饲料全面禁抗后，我司开发的牛至油—黄芩苷复方植物提取物需要系统的药效与安全性评价数据，用于新饲料添加剂申报。"
        "发榜征集按农业农村部相关技术指导原则开展靶动物有效性、耐受性和残留研究的团队。",
        fields=("biotechnology", "animal-husbandry"),
        bounty_wan=100,
        eligibility="国内高校、科研院所或具备资质的第三方机构；拥有符合要求的动物试验设施和实验动物使用许可证；"
        "熟悉新饲料添加剂申报资料要求。",
        deliverables="1. 肉鸡、生猪靶动物有效性试验报告各 1 份；2. 靶动物耐受性试验报告；3. 组织残留检测方法与残留试验报告；"
        "4. 可直接用于申报的资料汇编。",
        review_criteria="试验设计的规范性（35%）、试验条件与资质（30%）、团队申报经验（20%）、进度与经费合理性（15%）。",
        milestones=(
            DemoMilestone("试验方案评审与动物试验启动", 30, 40),
            DemoMilestone("有效性与耐受性试验完成", 40, 180),
            DemoMilestone("残留研究与申报资料汇编", 30, 300),
        ),
        timeline=Timeline(created=-75, opens=-70, closes=-9, submitted=-73, published=-70, drawn=-8, scored=(-5, -3)),
        bids=(
            DemoBid(
                "qdu_admin",
                "依托学校动物医学实验中心开展肉鸡、生猪各 2 个剂量组的饲养试验，以生长性能、肠道菌群和免疫指标评价替抗效果；"
                "建立 HPLC-MS/MS 法测定组织中香芹酚和黄芩苷残留。",
                "第 1–2 个月方案评审与伦理审查；第 3–8 个月有效性与耐受性试验；第 9–12 个月残留研究与资料汇编。",
                95,
                day=-60,
                merit=8,
            ),
            DemoBid(
                "jmiit_admin",
                "联合广东省内规模化养殖场开展田间有效性试验，结合体外抑菌与肠道屏障模型筛选最佳配比，缩短试验周期。",
                "第 1–3 个月体外评价；第 4–9 个月田间试验；第 10–12 个月报告撰写。",
                80,
                day=-45,
                merit=6,
            ),
            DemoBid(
                "qibebt_admin",
                "以代谢组学与宏基因组学解析复方作用机制，为申报提供机理支撑；动物试验委托具备 GLP 资质的合作单位完成。",
                "第 1–4 个月机制研究与试验设计；第 5–10 个月委托试验；第 11–12 个月资料汇编。",
                100,
                day=-30,
                merit=7,
            ),
        ),
    ),
    DemoChallenge(
        enterprise=LASER,
        status=ChallengeStatus.SHORTLISTED,
        title="新能源汽车电池托盘铝合金激光焊接气孔控制",
        demand="电池托盘铝合金激光焊接气孔控制",
        description="我司为新能源汽车电池托盘提供 6 系铝合金激光焊接装备，焊缝气孔率约 3%，客户要求 ≤ 0.5% 且气密性一次合格率 ≥ 99.5%。"
        "发榜征集从光束调制、保护气氛与过程监测入手的气孔控制整体方案，并在我司装备上完成验证。",
        fields=("laser-additive-manufacturing", "new-energy-vehicles"),
        bounty_wan=120,
        eligibility="国内注册的高校、科研院所或企业；具备激光焊接工艺研究条件与 X 射线探伤等检测手段。",
        deliverables="1. 气孔控制工艺包（光束摆动参数、保护气方案、焊前处理规范）；2. 焊接过程在线监测模块原型；"
        "3. 在客户产线连续焊接 500 件托盘的质量统计报告。",
        review_criteria="气孔率指标的可实现性（40%）、产线验证条件（25%）、团队业绩（20%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone("工艺窗口研究，实验室焊缝气孔率 ≤ 1%", 50, 60),
            DemoMilestone("产线验证：500 件托盘气孔率 ≤ 0.5%", 70, 200),
        ),
        timeline=Timeline(
            created=-100,
            opens=-90,
            closes=-38,
            submitted=-98,
            published=-95,
            drawn=-37,
            round_closed=-25,
            shortlisted=-18,
        ),
        bids=(
            DemoBid(
                "jmiit_admin",
                "采用环形光斑与高频摆动复合的光束调制，配合氦氩混合背保护与焊前激光清洗，抑制匙孔塌陷型气孔；"
                "以同轴光谱监测实现气孔在线预警。",
                "第 1–3 个月工艺窗口试验；第 4–6 个月监测模块开发；第 7–9 个月客户产线验证。",
                110,
                day=-80,
                merit=8,
            ),
            DemoBid(
                "wyu_admin",
                "基于高速 X 射线成像研究 6 系铝合金匙孔动态，优化摆动频率与离焦量，并以机器学习模型实时调整功率。",
                "第 1–4 个月机理研究；第 5–7 个月工艺优化；第 8–10 个月产线验证。",
                100,
                day=-70,
                merit=7,
            ),
            DemoBid(
                "sdiit_admin",
                "引入激光—电弧复合焊替代纯激光焊，放宽装配间隙要求并降低气孔敏感性。",
                "第 1–5 个月复合焊工艺开发；第 6–10 个月装备改造与验证。",
                120,
                day=-55,
                merit=4,
            ),
        ),
    ),
    DemoChallenge(
        enterprise=DONGYUE,
        status=ChallengeStatus.AWARDED,
        title="全氟磺酸树脂生产含氟尾气回收与高值化利用",
        description="我司全氟磺酸树脂装置每年产生含三氟甲烷（HFC-23）、全氟烯烃等组分的含氟尾气约 120 吨，目前焚烧处理，"
        "既损失氟资源又产生大量二氧化碳当量排放。发榜征集含氟尾气高效分离与转化为高附加值含氟单体的工艺路线，氟资源回收率 ≥ 90%。",
        fields=("fluorosilicon-materials", "carbon-neutrality"),
        bounty_wan=450,
        eligibility="国内注册的高校、科研院所或企业；具备含氟气体分离或催化转化研究基础；有化工中试放大经验。",
        deliverables="1. 含氟尾气分离与转化工艺包；2. 配套催化剂制备技术；3. 中试装置连续运行 500 小时报告及物料衡算。",
        review_criteria="回收率与产品纯度指标的可实现性（40%）、工艺安全与环保（25%）、团队业绩（20%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone("分离与转化工艺小试", 150, 150),
            DemoMilestone("配套中试装置建设与 500 小时连续运行", 300, 420),
        ),
        timeline=Timeline(
            created=-105,
            opens=-100,
            closes=-35,
            submitted=-103,
            published=-100,
            drawn=-34,
            round_closed=-22,
            shortlisted=-12,
            awarded=-1,
        ),
        bids=(
            DemoBid(
                "cczu_admin",
                "以金属有机框架吸附剂变压吸附分离 HFC-23，再经气相催化与四氟乙烯共热解制六氟丙烯，全流程氟回收率可达 92%。",
                "第 1–8 个月吸附剂与催化剂开发；第 9–14 个月中试装置设计建设；第 15–20 个月连续运行考核。",
                430,
                day=-90,
                merit=8,
            ),
            DemoBid(
                "sdiit_admin",
                "采用低温精馏与膜分离耦合回收全氟烯烃，HFC-23 经等离子体裂解转化为含氟中间体。",
                "第 1–6 个月工艺包设计；第 7–15 个月中试建设；第 16–20 个月运行考核。",
                450,
                day=-70,
                merit=6,
            ),
            DemoBid(
                "qdu_admin",
                "以离子液体选择性吸收分离含氟组分，配合电化学氟化转化，降低能耗。",
                "第 1–10 个月实验室研究；第 11–20 个月放大验证。",
                380,
                day=-60,
                merit=5,
            ),
        ),
    ),
    DemoChallenge(
        enterprise=LITHIUM,
        status=ChallengeStatus.NOTICE,
        title="硅碳负极安全预锂化工艺开发",
        demand="硅碳负极安全预锂化工艺",
        description="我司硅碳负极（硅含量 10%）首次库仑效率仅 82%，需要预锂化补偿首次不可逆容量。现有锂箔压延预锂化存在粉尘爆炸和湿度控制风险，"
        "难以规模化。发榜征集本质安全的预锂化工艺（如稳定化锂粉、化学预锂化溶液等），使首效提升至 ≥ 90%，并可在常规干燥间生产。",
        fields=("new-energy-batteries",),
        bounty_wan=300,
        eligibility="国内注册的高校、科研院所或企业；具备负极材料与锂金属安全操作条件；有中试放大经验者优先。",
        deliverables="1. 预锂化工艺包与安全操作规程；2. 吨级中试线设计及安全评估报告；3. 软包电池验证数据与第三方检测报告。",
        review_criteria="首效与安全性指标的可实现性（40%）、放大可行性（30%）、团队能力（15%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone("预锂化工艺小试，首效 ≥ 90%", 120, 120),
            DemoMilestone("吨级中试线建设与安全评估", 180, 300),
        ),
        timeline=Timeline(
            created=-85,
            opens=-78,
            closes=-26,
            submitted=-83,
            published=-80,
            drawn=-25,
            round_closed=-13,
            shortlisted=-7,
            awarded=-3,
        ),
        bids=(
            DemoBid(
                "qibebt_admin",
                "开发联苯锂—醚类化学预锂化溶液浸渍工艺，反应温和、无锂粉暴露，可在露点 -40℃ 的常规干燥间连续生产；"
                "配合人工 SEI 调控提升循环稳定性。",
                "第 1–6 个月溶液体系与工艺窗口；第 7–12 个月吨级中试线设计与安全评估；第 13–15 个月电池验证。",
                290,
                day=-60,
                merit=8,
            ),
            DemoBid(
                "cczu_admin",
                "以聚合物包覆稳定化锂粉替代锂箔，干法混入负极浆料，降低粉尘风险。",
                "第 1–8 个月锂粉包覆与混料工艺；第 9–15 个月中试与电池验证。",
                280,
                day=-50,
                merit=6,
            ),
            DemoBid(
                "sdiit_admin",
                "采用电化学预锂化卷对卷装置，在线控制预锂化程度。",
                "第 1–9 个月装置开发；第 10–15 个月工艺验证。",
                300,
                day=-40,
                merit=5,
            ),
        ),
        objections=(
            DemoObjection(
                "cczu_admin",
                "我单位对评审结果有异议：拟中标方案的化学预锂化溶液在干燥间条件下的稳定性数据仅为实验室 24 小时结果，"
                "请求核查其中试安全性评估材料。",
                lodged=-1.5,
            ),
        ),
    ),
    DemoChallenge(
        enterprise=CLEAN,
        status=ChallengeStatus.CONTRACTED,
        title="燃煤工业锅炉烟气低能耗二氧化碳捕集吸收剂",
        demand="燃煤工业锅炉烟气低能耗二氧化碳捕集吸收剂",
        description="我司为化工园区燃煤工业锅炉提供烟气治理装备。现有 MEA 吸收剂再生能耗约 3.8 GJ/t CO₂、降解损耗高，捕集成本超过 400 元/吨。"
        "发榜征集低能耗、抗降解的新型复合胺或相变吸收剂及配套工艺优化方案，并在 1 万吨/年示范装置上验证。",
        fields=("clean-coal", "carbon-neutrality", "fine-chemicals"),
        bounty_wan=600,
        eligibility="国内注册的高校、科研院所或企业；具备吸收剂开发与中试评价平台；有碳捕集工程项目业绩者优先。",
        deliverables="1. 吸收剂配方及制备工艺；2. 千吨级中试报告；3. 万吨级示范装置 72 小时连续运行考核报告（再生能耗 ≤ 2.6 GJ/t CO₂）。",
        review_criteria="再生能耗与降解指标的可实现性（40%）、示范条件（25%）、团队业绩（20%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone("吸收剂配方筛选与实验室评价", 150, 90),
            DemoMilestone("千吨级中试", 200, 270),
            DemoMilestone("万吨级示范装置连续运行 72 小时考核", 250, 450),
        ),
        timeline=Timeline(
            created=-95,
            opens=-88,
            closes=-40,
            submitted=-93,
            published=-90,
            drawn=-39,
            round_closed=-27,
            shortlisted=-24,
            awarded=-20,
            contracted=-6,
        ),
        bids=(
            DemoBid(
                "qibebt_admin",
                "开发以 AMP/PZ 为主体的低水复合胺相变吸收剂，富液分相后仅再生富相，结合级间冷却与 MVR 热泵，"
                "再生能耗可降至 2.4 GJ/t CO₂。",
                "第 1–6 个月配方筛选；第 7–15 个月千吨级中试；第 16–24 个月示范装置改造与考核。",
                580,
                day=-80,
                merit=8,
            ),
            DemoBid(
                "sdiit_admin",
                "以离子液体—有机胺复合吸收剂降低挥发与降解损耗，配套填料塔结构优化。",
                "第 1–8 个月吸收剂开发；第 9–18 个月中试；第 19–24 个月示范。",
                560,
                day=-70,
                merit=6,
            ),
            DemoBid(
                "cczu_admin",
                "采用无水胺—醇体系降低再生显热，研究氧化降解抑制剂。",
                "第 1–10 个月实验室研究；第 11–24 个月中试与示范。",
                520,
                day=-55,
                merit=5,
            ),
        ),
        objections=(
            DemoObjection(
                "sdiit_admin",
                "评审中对示范装置运行经验的权重偏低，我院具有两套千吨级碳捕集装置运行业绩，请求复核评分。",
                lodged=-18,
                resolved=-15,
                resolution="经组织原评审专家复核，评分按公布的评审标准进行，各专家独立评分并已按规定回避，异议不成立。",
            ),
        ),
    ),
    DemoChallenge(
        enterprise=LASER,
        status=ChallengeStatus.IN_PROGRESS,
        title="钛合金选区激光熔化无人机结构件疲劳性能提升",
        demand="钛合金选区激光熔化零件疲劳性能提升",
        description="我司为无人机企业打印 TC4 钛合金承力结构件，选区激光熔化成形件因内部气孔与表面粗糙度，高周疲劳强度仅为锻件的 60%，"
        "无法通过客户的适航验证。发榜征集从粉末、工艺参数、热等静压与表面处理全流程提升疲劳性能的方案。",
        fields=("laser-additive-manufacturing", "metal-materials"),
        bounty_wan=200,
        eligibility="国内注册的高校、科研院所或企业；具备金属增材制造装备与疲劳试验条件。",
        deliverables="1. 全流程工艺规范（粉末控制、成形参数、热等静压、表面处理）；2. 第三方疲劳试验报告（不少于 15 件试样）；"
        "3. 客户结构件验证报告。",
        review_criteria="疲劳指标的可实现性（40%）、工艺与检测条件（30%）、团队业绩（20%）、经费合理性（10%）。",
        milestones=(
            DemoMilestone(
                "工艺参数优化，致密度 ≥ 99.9%",
                60,
                -70,
                reports=(
                    DemoReport(
                        -75,
                        "完成 3 种粉末粒径分布、48 组工艺参数的正交试验，优选参数下致密度 99.93%，"
                        "CT 检测最大缺陷尺寸 42 μm；热等静压制度已确定。",
                        reviewed=-68,
                        note="数据完整，同意拨付首期资金。",
                    ),
                ),
            ),
            DemoMilestone(
                "疲劳性能达标：10⁷ 周次疲劳强度 ≥ 锻件的 90%",
                80,
                -5,
                reports=(
                    DemoReport(
                        -12,
                        "经热等静压与喷丸、化学铣削复合表面处理，内部试验 10⁷ 周次疲劳强度达到锻件的 92%。",
                        reviewed=-8,
                        approved=False,
                        note="缺少第三方机构出具的疲劳试验报告，且试样数量少于合同约定的 15 件，请补充后重新提交。",
                    ),
                    DemoReport(-2, "补充第三方检测机构出具的疲劳试验报告（15 件试样），10⁷ 周次疲劳强度为锻件的 91%。"),
                ),
            ),
            DemoMilestone("客户结构件验证与工艺固化", 60, 120),
        ),
        timeline=Timeline(
            created=-250,
            opens=-240,
            closes=-190,
            submitted=-248,
            published=-245,
            drawn=-189,
            round_closed=-177,
            shortlisted=-172,
            awarded=-168,
            contracted=-150,
        ),
        notice_days=10,
        bids=(
            DemoBid(
                "jmiit_admin",
                "以低氧含量等离子旋转电极粉末替代气雾化粉末，优化扫描策略降低未熔合缺陷；热等静压后采用喷丸与化学铣削复合表面处理。",
                "第 1–4 个月粉末与参数优化；第 5–8 个月疲劳试验；第 9–12 个月客户结构件验证。",
                190,
                day=-230,
                merit=8,
            ),
            DemoBid(
                "sdiit_admin",
                "采用激光冲击强化在表层引入残余压应力，提升疲劳裂纹萌生寿命。",
                "第 1–6 个月强化工艺研究；第 7–12 个月疲劳试验与验证。",
                180,
                day=-215,
                merit=6,
            ),
            DemoBid(
                "wyu_admin",
                "通过原位监测熔池温度场闭环调节激光功率，减少内部缺陷。",
                "第 1–8 个月监测系统开发；第 9–12 个月工艺验证。",
                200,
                day=-200,
                merit=5,
            ),
        ),
    ),
    DemoChallenge(
        enterprise=AUBO,
        status=ChallengeStatus.ACCEPTED,
        title="协作机器人激光焊缝跟踪视觉传感器",
        demand="协作机器人激光焊缝跟踪视觉传感器",
        description="我司协作机器人用于中小批量焊接时，工件装夹误差常导致焊偏，目前依赖人工示教修正。发榜征集可集成在协作机器人末端的"
        "激光视觉焊缝跟踪传感器，跟踪精度 ±0.2 mm，抗弧光与飞溅干扰，整体成本低于进口产品的一半。",
        fields=("robotics", "laser-additive-manufacturing", "artificial-intelligence"),
        bounty_wan=150,
        eligibility="国内注册的高校、科研院所或企业；具备机器视觉与机器人焊接研究基础。",
        deliverables="1. 焊缝跟踪传感器样机 5 套及图纸；2. 跟踪算法软件与协作机器人接口；3. 500 小时可靠性考核报告。",
        review_criteria="跟踪精度与抗干扰指标的可实现性（40%）、成本控制（25%）、团队业绩（20%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone(
                "传感器样机与跟踪算法",
                50,
                -230,
                reports=(
                    DemoReport(
                        -235,
                        "完成线激光传感器样机 2 套，窄带滤光与自适应曝光抑制弧光，实验室跟踪精度 ±0.15 mm。",
                        reviewed=-228,
                        note="样机性能达标。",
                    ),
                ),
            ),
            DemoMilestone(
                "机器人集成与典型焊缝验证",
                50,
                -120,
                reports=(
                    DemoReport(
                        -125,
                        "完成与协作机器人控制器的实时接口，角焊缝、搭接焊缝和 V 型坡口焊缝跟踪验证合格，单套物料成本 1.8 万元。",
                        reviewed=-117,
                        note="同意拨付第二期资金。",
                    ),
                ),
            ),
            DemoMilestone(
                "小批量试产与可靠性考核",
                50,
                -40,
                reports=(
                    DemoReport(
                        -45,
                        "试产 5 套，完成 300 小时可靠性考核，无故障。",
                        reviewed=-40,
                        approved=False,
                        note="合同约定可靠性考核 500 小时，请完成后再提交。",
                    ),
                    DemoReport(
                        -32,
                        "5 套传感器完成 500 小时可靠性考核，平均跟踪精度 ±0.18 mm，已在两家客户现场试用。",
                        reviewed=-28,
                        note="全部指标达到合同要求，同意验收。",
                    ),
                ),
            ),
        ),
        timeline=Timeline(
            created=-400,
            opens=-395,
            closes=-345,
            submitted=-398,
            published=-395,
            drawn=-344,
            round_closed=-332,
            shortlisted=-326,
            awarded=-322,
            contracted=-310,
        ),
        bids=(
            DemoBid(
                "wyu_admin",
                "采用蓝紫激光线结构光与窄带滤光抑制弧光，结合深度学习焊缝特征提取与卡尔曼滤波轨迹预测。",
                "第 1–4 个月样机与算法；第 5–8 个月机器人集成；第 9–12 个月试产与可靠性考核。",
                145,
                day=-380,
                merit=8,
            ),
            DemoBid(
                "jmiit_admin",
                "基于双目视觉的焊缝三维重建与跟踪，兼顾焊后质量检测。",
                "第 1–6 个月系统开发；第 7–12 个月验证。",
                150,
                day=-370,
                merit=6,
            ),
            DemoBid(
                "sdiit_admin",
                "集成国产线激光位移传感器，开发跟踪控制软件。",
                "第 1–6 个月集成开发；第 7–12 个月验证。",
                120,
                day=-360,
                merit=5,
            ),
        ),
    ),
    DemoChallenge(
        enterprise=JIFA,
        status=ChallengeStatus.FAILED,
        title="医用抗菌敷料用复合非织造材料",
        demand="医用抗菌敷料用复合非织造材料",
        description="我司拟开发海藻酸盐/银离子复合水刺非织造布，用于慢性创面抗菌敷料，需解决银离子缓释均匀性与材料湿态强度不足的问题，"
        "并取得二类医疗器械注册检验合格报告。",
        fields=("medical-devices", "functional-textiles"),
        bounty_wan=160,
        eligibility="国内注册的高校、科研院所或企业；具备医用纺织材料研发条件，熟悉医疗器械注册检验要求。",
        deliverables="1. 复合非织造材料配方与生产工艺；2. 抗菌性能与细胞毒性检测报告；3. 医疗器械注册检验样品及合格报告。",
        review_criteria="抗菌与安全指标的可实现性（40%）、注册经验（30%）、团队能力（15%）、经费合理性（15%）。",
        milestones=(
            DemoMilestone("材料小试与抗菌性能检测", 60, -30),
            DemoMilestone("注册检验样品试制与送检", 100, 60),
        ),
        timeline=Timeline(created=-160, opens=-150, closes=-95, submitted=-158, published=-155),
    ),
    DemoChallenge(
        enterprise=CLEAN,
        status=ChallengeStatus.FAILED,
        title="全钒液流电池电堆功率密度提升",
        demand="全钒液流电池电堆功率密度提升",
        description="我司 32 kW 全钒液流电池电堆的额定工作电流密度为 80 mA/cm²，体积功率密度低，系统成本高。发榜征集高活性碳毡电极、"
        "低阻隔膜与流场结构协同优化方案，将工作电流密度提升至 200 mA/cm²，且能量效率 ≥ 80%。",
        fields=("energy-storage", "carbon-materials"),
        bounty_wan=600,
        eligibility="国内注册的高校、科研院所或企业；具备液流电池电堆设计、组装与测试平台。",
        deliverables="1. 电极与隔膜改性技术；2. 32 kW 电堆设计图纸与样机；3. 第三方电堆性能检测报告。",
        review_criteria="功率密度与效率指标的可实现性（40%）、电堆工程化能力（30%）、团队业绩（20%）、经费合理性（10%）。",
        milestones=(
            DemoMilestone(
                "电极与隔膜材料优化，单电池验证",
                200,
                -150,
                reports=(
                    DemoReport(
                        -160,
                        "热活化与氮掺杂碳毡电极配合超薄复合膜，单电池在 200 mA/cm² 下能量效率 81.5%。",
                        reviewed=-152,
                        note="单电池指标达标，同意拨付首期资金。",
                    ),
                ),
            ),
            DemoMilestone(
                "10 kW 级电堆中期考核：200 mA/cm² 下能量效率 ≥ 80%",
                250,
                -40,
                reports=(
                    DemoReport(
                        -45,
                        "完成 10 kW 电堆组装测试，200 mA/cm² 下能量效率 72%，电堆内阻与漏电流高于预期。",
                        reviewed=-38,
                        approved=False,
                        note="能量效率未达到中期考核指标（≥ 80%）。",
                    ),
                ),
            ),
            DemoMilestone("32 kW 电堆定型与示范", 150, 150),
        ),
        timeline=Timeline(
            created=-330,
            opens=-320,
            closes=-270,
            submitted=-328,
            published=-325,
            drawn=-269,
            round_closed=-257,
            shortlisted=-250,
            awarded=-246,
            contracted=-235,
            failed=(
                -20,
                "中期考核未达标，承担单位评估在剩余周期内无法突破电堆内阻瓶颈。经发榜企业与承担单位协商一致，终止项目；"
                "已拨付的首期资金用于已完成的工作，不予追回。",
            ),
        ),
        bids=(
            DemoBid(
                "qibebt_admin",
                "热活化与氮掺杂提升碳毡电极活性，采用自研超薄磺化聚醚醚酮复合膜降低面电阻，配合交指型流场降低传质极化。",
                "第 1–6 个月材料优化；第 7–12 个月 10 kW 电堆；第 13–20 个月 32 kW 电堆定型与示范。",
                590,
                day=-310,
                merit=8,
            ),
            DemoBid(
                "sdiit_admin",
                "以石墨烯改性双极板与薄型电极降低欧姆极化，优化电堆密封与分液结构。",
                "第 1–8 个月部件开发；第 9–20 个月电堆集成验证。",
                560,
                day=-300,
                merit=6,
            ),
            DemoBid(
                "cczu_admin",
                "开发铋修饰碳毡电极提升负极反应动力学。",
                "第 1–10 个月电极研究；第 11–20 个月电堆验证。",
                500,
                day=-290,
                merit=5,
            ),
        ),
    ),
]

POOLS = [
    DemoPool(
        enterprise=DONGYUE,
        title="高盐有机废水分盐结晶与资源化共性技术",
        description="印染、氟化工、生物发酵和正极材料前驱体生产都产生高盐有机废水，现多采用蒸发结晶产出杂盐，按危废处置成本高达每吨 3,000 元。"
        "参与企业拟联合采购研发服务，开发“预处理—膜浓缩—分盐结晶”集成工艺，使氯化钠、硫酸钠达到工业盐标准并资源化利用。",
        fields=("water-treatment", "solid-waste"),
        threshold_wan=600,
        created=-25,
        deadline=20,
        demands=("印染废水深度处理与中水回用",),
        pledges=(
            DemoPledge("dongyue_admin", 220, -22),
            DemoPledge("jifa_admin", 150, -15),
            DemoPledge("vland_admin", 110, -9),
            DemoPledge("xinli_admin", 90, -3),
        ),
    ),
    DemoPool(
        enterprise=LITHIUM,
        title="动力电池模组激光焊接质量在线检测",
        description="动力电池模组汇流排激光焊接的虚焊、炸点难以在线发现，电池、焊接装备和机器人企业共同需要一套基于多传感融合的焊接质量在线检测系统。",
        fields=("laser-additive-manufacturing", "new-energy-batteries", "testing-certification"),
        threshold_wan=300,
        created=-50,
        deadline=-10,
        pledges=(
            DemoPledge("xinli_admin", 140, -47),
            DemoPledge("jmlaser_admin", 90, -38),
            DemoPledge("aubo_admin", 70, -24),
        ),
        completed=-20,
        published=-16,
        eligibility="国内注册的高校、科研院所或企业；具备激光焊接过程监测与机器视觉研究基础；能在参与企业产线开展验证。",
        deliverables="1. 多传感融合焊接质量在线检测系统 1 套；2. 虚焊、炸点判定模型及标注数据集；3. 在 3 家参与企业产线的验证报告。",
        review_criteria="检出率与误报率指标的可实现性（40%）、多产线适配能力（30%）、团队业绩（20%）、经费合理性（10%）。",
        milestones=(
            DemoMilestone("检测原理样机与判定模型", 120, 120),
            DemoMilestone("3 家参与企业产线验证", 180, 300),
        ),
        bids=(
            DemoBid(
                "sdiit_admin",
                "融合同轴光电信号、声发射与焊后三维形貌，构建虚焊与炸点的深度学习判定模型，检出率 ≥ 99%。",
                "第 1–4 个月样机；第 5–8 个月模型训练；第 9–12 个月三家产线验证。",
                290,
                day=-9,
            ),
            DemoBid(
                "jmiit_admin",
                "以高速相机与红外热像同步采集熔池特征，结合焊接参数实时判定焊接质量。",
                "第 1–5 个月系统开发；第 6–12 个月产线验证。",
                280,
                day=-4,
            ),
        ),
    ),
]

# Comments of the experts, by what they make of a bid.
COMMENTS = {
    "strong": [
        "技术路线清晰，关键指标有前期数据支撑，团队中试经验丰富。",
        "方案针对性强，风险分析充分，建议在合同中细化阶段考核指标。",
        "创新性突出，工程化路径可行，经费安排合理。",
    ],
    "fair": [
        "方案基本可行，但关键指标缺少前期验证数据。",
        "团队基础较好，放大环节的风险估计不足。",
        "技术路线合理，进度安排偏紧。",
    ],
    "weak": [
        "方案与榜单需求的对应性不足，指标可实现性存疑。",
        "缺少中试条件，工程化风险较大。",
        "技术路线较常规，难以达到榜单要求的指标。",
    ],
}


# The clock -----------------------------------------------------------------------------------


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """Run the services as at `moment`: django.utils.timezone.now (which the services, the
    timestamp fields and the history read) returns it, a millisecond later at each reading so
    that the rows of one step keep their order. Demo seeding only: one thread, and every moment
    lies in the past."""
    ticks = itertools.count()
    with mock.patch.object(timezone, "now", new=lambda: moment + timedelta(milliseconds=next(ticks))):
        yield


@dataclass
class _Cast:
    now: datetime
    users: dict[str, User]
    organizations: dict[str, Organization]
    fields: dict[str, IndustryField]
    rng: random.Random

    @classmethod
    def load(cls) -> _Cast:
        return cls(
            now=timezone.now(),
            users={user.username: user for user in User.objects.all()},
            organizations={o.name: o for o in Organization.objects.filter(name__in=OWNERS)},
            fields={f.code: f for f in IndustryField.objects.all()},
            rng=random.Random(SEED),  # noqa: S311 -- demo data: reproducible, not security-relevant
        )

    def at(self, day: float) -> datetime:
        return self.now + timedelta(days=day)

    def clock(self, day: float) -> AbstractContextManager[None]:
        return _clock(self.at(day))

    def owner(self, enterprise: str) -> User:
        return self.users[OWNERS[enterprise][0]]

    @property
    def reviewer(self) -> User:
        return self.users[REVIEWER]


# Telling a challenge's story ---------------------------------------------------------------------


def _tell(entry: DemoChallenge, cast: _Cast) -> Challenge:
    """Take one challenge from its draft to its final status through the services, each step
    on its day."""
    t = entry.timeline
    owner = cast.owner(entry.enterprise)
    issuer = cast.organizations[entry.enterprise]
    with cast.clock(t.created):
        challenge = challenge_create(
            user=owner,
            organization=issuer,
            demand=_demand_behind(entry, issuer, cast.at(t.created)),
            industry_fields=[cast.fields[code] for code in entry.fields],
            milestones=_milestones(entry.milestones, cast),
            title=entry.title,
            description=entry.description,
            bounty=entry.bounty_wan * WAN,
            opens_at=cast.at(t.opens),
            closes_at=cast.at(t.closes),
            eligibility=entry.eligibility,
            deliverables=entry.deliverables,
            review_criteria=entry.review_criteria,
            notice_days=entry.notice_days,
        )
    if t.submitted is not None:
        with cast.clock(t.submitted):
            challenge_submit(challenge=challenge, user=owner)
    if t.returned is not None:
        day, reason = t.returned
        with cast.clock(day):
            challenge_return(challenge=_fresh(challenge), reviewer=cast.reviewer, reason=reason)
    elif t.published is not None:
        _publish_and_bid(challenge, t.published, entry.bids, cast)
        _review_and_decide(entry, challenge, cast)
    challenge.refresh_from_db()
    if challenge.status != entry.status:
        raise RuntimeError(f"{entry.title}: told to {challenge.status}, meant {entry.status}")
    return challenge


def _demand_behind(entry: DemoChallenge, issuer: Organization, moment: datetime) -> Demand | None:
    """The issuer's demo demand the challenge grew out of, if it was written before the challenge."""
    if not entry.demand:
        return None
    return Demand.objects.filter(organization=issuer, title=entry.demand, created_at__lte=moment).first()


def _milestones(milestones: tuple[DemoMilestone, ...], cast: _Cast) -> list[dict]:
    return [
        {"title": m.title, "tranche": m.tranche_wan * WAN, "due_date": timezone.localtime(cast.at(m.due)).date()}
        for m in milestones
    ]


def _fresh(challenge: Challenge) -> Challenge:
    challenge.refresh_from_db()
    return challenge


def _publish_and_bid(challenge: Challenge, published: float, bids: tuple[DemoBid, ...], cast: _Cast) -> None:
    """The bureau publishes; the beat job opens the window if it opens later; the bids come,
    are revised or withdrawn in the order of their days."""
    with cast.clock(published):
        challenge_publish(challenge=_fresh(challenge), reviewer=cast.reviewer)
    opens = (challenge.opens_at - cast.now).total_seconds() / 86400
    if published < opens <= 0:
        with cast.clock(opens + 1 / 1440):
            challenges_advance()
    made: dict[str, Bid] = {}
    events = []
    for plan in bids:
        events.append((plan.day, 0, plan))
        if plan.revised:
            events.append((plan.revised[0], 1, plan))
        if plan.withdrawn is not None:
            events.append((plan.withdrawn, 2, plan))
    for day, kind, plan in sorted(events, key=lambda event: event[:2]):
        bidder = cast.users[plan.user]
        with cast.clock(day):
            if kind == 0:
                made[plan.user] = bid_submit(
                    challenge=_fresh(challenge),
                    user=bidder,
                    proposal=plan.proposal,
                    team=TEAMS[plan.user],
                    plan=plan.plan,
                    budget=plan.budget_wan * WAN,
                )
            elif kind == 1:
                bid_update(bid=made[plan.user], user=bidder, budget=plan.revised[1] * WAN)
            else:
                bid_withdraw(bid=made[plan.user], user=bidder)


def _review_and_decide(entry: DemoChallenge, challenge: Challenge, cast: _Cast) -> None:
    """The window closes (beat job), the drawn experts score the bids blind, the bureau
    shortlists and awards by the results; objections, the contract, the milestones, a failure."""
    t = entry.timeline
    if t.closes > 0:
        return
    # The beat job closes the window a few minutes after it ends (without bids the challenge fails).
    with cast.clock(t.closes + 5 / 1440):
        challenges_advance()
    if t.drawn is None:
        return
    ranking = _blind_review(entry, _fresh(challenge), cast)
    if t.shortlisted is None:
        return
    with cast.clock(t.shortlisted):
        challenge_shortlist(challenge=_fresh(challenge), user=cast.reviewer, bids=ranking[: entry.shortlist])
    if t.awarded is None:
        return
    winner = ranking[0]
    with cast.clock(t.awarded):
        if entry.status == ChallengeStatus.AWARDED:
            _award_without_notice(_fresh(challenge), cast.reviewer, winner)
        else:
            challenge_award(challenge=_fresh(challenge), user=cast.reviewer, bids=[winner])
    for plan in entry.objections:
        with cast.clock(plan.lodged):
            objection = objection_lodge(challenge=_fresh(challenge), user=cast.users[plan.user], text=plan.text)
        if plan.resolved is not None:
            with cast.clock(plan.resolved):
                objection_resolve(
                    objection=objection, user=cast.reviewer, upheld=plan.upheld, resolution=plan.resolution
                )
    if t.contracted is None:
        return
    with cast.clock(t.contracted):
        if entry.status == ChallengeStatus.CONTRACTED:
            _contract_without_start(_fresh(challenge), cast.reviewer)
        else:
            challenge_contract(challenge=_fresh(challenge), user=cast.reviewer)
    _milestone_reports(entry, challenge, winner.created_by, cast)
    if t.failed is not None:
        day, reason = t.failed
        with cast.clock(day):
            challenge_fail(challenge=_fresh(challenge), user=cast.reviewer, reason=reason)


def _blind_review(entry: DemoChallenge, challenge: Challenge, cast: _Cast) -> list[Bid]:
    """Draw the experts, let them score on their days, close the round when it is due; returns
    the reviewed bids, best first (by the published results once the round is closed)."""
    t = entry.timeline
    evaluation = challenge.evaluation
    with cast.clock(t.drawn):
        assignments = round_draw(evaluation=evaluation, user=cast.reviewer, seed=SEED)
    criteria = list(evaluation.criteria.all())
    subjects = list(evaluation.subjects.all())
    bids = {
        bid.pk: bid for bid in Bid.objects.filter(pk__in=[s.object_id for s in subjects]).select_related("created_by")
    }
    merits = {bid.pk: next(p.merit for p in entry.bids if p.user == bid.created_by.username) for bid in bids.values()}
    days = t.scored or tuple(
        t.drawn + (t.round_closed - t.drawn) * (i + 1) / (len(assignments) + 1) for i in range(len(assignments))
    )
    for assignment, day in zip(assignments, days, strict=False):
        expert = assignment.expert.user
        with cast.clock(day):
            for subject in subjects:
                merit = merits[subject.object_id]
                scores_record(
                    assignment=assignment,
                    user=expert,
                    subject=subject,
                    values={c.pk: min(10, merit + cast.rng.randint(0, 1)) for c in criteria},
                    comment=cast.rng.choice(COMMENTS[_tier(merit)]),
                )
            assignment_submit(assignment=assignment, user=expert)
    if t.round_closed is None:
        return sorted(bids.values(), key=lambda bid: -merits[bid.pk])
    with cast.clock(t.round_closed):
        round_close(evaluation=evaluation, user=cast.reviewer)
    results = {s.object_id: s.result_score for s in evaluation.subjects.all()}
    return sorted(bids.values(), key=lambda bid: (-results[bid.pk], bid.pk))


def _tier(merit: int) -> str:
    return "strong" if merit >= 8 else "fair" if merit >= 6 else "weak"


def _award_without_notice(challenge: Challenge, reviewer: User, winner: Bid) -> None:
    """What challenge_award writes before it opens the public notice: the bids decided, the
    challenge awarded (a logged transition). No service leaves a challenge awarded — the award
    opens the notice in the same transaction — so the demo writes the bids' statuses as the
    service does and stops the challenge there, for the awarded status to be shown."""
    decide_bids(challenge, [winner])
    LIFECYCLE.apply(challenge, ChallengeStatus.AWARDED, actor=reviewer)


def _contract_without_start(challenge: Challenge, reviewer: User) -> None:
    """The contract signed, the work not started yet. No service leaves a challenge
    contracted — challenge_contract starts the work in the same transaction — so the demo takes
    the lifecycle's logged transition after the notice, with no objection open (as the
    service checks)."""
    if challenge.notice_ends_at > timezone.now() or challenge.objections.filter(status=ObjectionStatus.OPEN).exists():
        raise RuntimeError(f"{challenge.title}: the notice is running or an objection is open")
    LIFECYCLE.apply(challenge, ChallengeStatus.CONTRACTED, actor=reviewer)
    release_runners_up(challenge)


def _milestone_reports(entry: DemoChallenge, challenge: Challenge, reporter: User, cast: _Cast) -> None:
    """The winner's reports and the bureau's reviews, in the order of their days; approving the
    last milestone accepts the challenge."""
    milestones = list(challenge.milestones.order_by("position"))
    events = []
    for milestone, plan in zip(milestones, entry.milestones, strict=True):
        for report in plan.reports:
            events.append((report.reported, milestone, report, False))
            if report.reviewed is not None:
                events.append((report.reviewed, milestone, report, True))
    for day, milestone, report, review in sorted(events, key=lambda event: event[0]):
        milestone.refresh_from_db()
        with cast.clock(day):
            if review:
                milestone_review(milestone=milestone, user=cast.reviewer, approved=report.approved, note=report.note)
            else:
                milestone_report(milestone=milestone, user=reporter, report=report.text)


# Pools ---------------------------------------------------------------------------------------


def _tell_pool(entry: DemoPool, cast: _Cast) -> PooledProcurement:
    """Open the pool and pledge, each pledge with its signed agreement; a pool that reaches its
    threshold is funded and its challenge drafted (the pledge service). The bureau then
    completes and publishes that challenge, and the bids come."""
    initiator = cast.organizations[entry.enterprise]
    with cast.clock(entry.created):
        pool = pool_create(
            user=cast.owner(entry.enterprise),
            organization=initiator,
            title=entry.title,
            description=entry.description,
            threshold=entry.threshold_wan * WAN,
            deadline=cast.at(entry.deadline),
            industry_fields=[cast.fields[code] for code in entry.fields],
            source_demands=Demand.objects.filter(title__in=entry.demands, created_at__lte=cast.at(entry.created)),
        )
    for plan in entry.pledges:
        user = cast.users[plan.user]
        with cast.clock(plan.day):
            pledge_create(pool=pool, user=user, amount=plan.amount_wan * WAN, agreement=_agreement(user))
    pool.refresh_from_db()
    if entry.completed is None:
        return pool
    challenge = pool.challenge
    with cast.clock(entry.completed):
        challenge_update(
            challenge=challenge,
            user=cast.reviewer,
            eligibility=entry.eligibility,
            deliverables=entry.deliverables,
            review_criteria=entry.review_criteria,
        )
        for milestone in _milestones(entry.milestones, cast):
            milestone_add(challenge=challenge, user=cast.reviewer, **milestone)
    _publish_and_bid(challenge, entry.published, entry.bids, cast)
    return pool


def _agreement(user: User) -> SimpleUploadedFile:
    """The signed pre-purchase agreement (预采购协议) a pledge carries: a one-page PDF."""
    from pypdf import PdfWriter

    organization = Organization.objects.verified().filter(memberships__user=user, kind="enterprise").get()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"预采购协议（{organization.name}）"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(
        f"预采购协议-{organization.short_name or organization.name}.pdf", buffer.getvalue(), "application/pdf"
    )


# The step ----------------------------------------------------------------------------------------


def seed_challenges() -> list[str]:
    """Load the demo challenges and pools (once), and the expert pool; returns the lines seed_demo prints."""
    # The stories' notification mails are sent when the step commits; one log line each would
    # bury the log-ins seed_demo prints.
    with _log_level("celery.app.trace", logging.WARNING), transaction.atomic():
        ensure_expert_pool()
        # All or nothing: a demo challenge or pool edited or deleted on the demo site is not told again.
        if not (demo_challenges().exists() or demo_pools().exists()):
            cast = _Cast.load()
            for entry in CHALLENGES:
                _tell(entry, cast)
            for entry in POOLS:
                _tell_pool(entry, cast)
        return _summary()


def demo_challenges():
    """The demo challenges, by title (a funded demo pool's challenge has the pool's title)."""
    return Challenge.objects.filter(title__in=[entry.title for entry in [*CHALLENGES, *POOLS]])


def demo_pools():
    return PooledProcurement.objects.filter(title__in=[entry.title for entry in POOLS])


def _summary() -> list[str]:
    challenges = demo_challenges()
    statuses = Counter(challenges.values_list("status", flat=True))
    bids = Bid.objects.filter(challenge__in=challenges)
    lines = [
        f"  challenges: {sum(statuses.values())} "
        f"({', '.join(f'{status} {statuses[status]}' for status in ChallengeStatus.values)}), "
        f"{bids.count()} bids, {challenges.exclude(evaluation=None).count()} blind reviews, "
        f"{Objection.objects.filter(challenge__in=challenges).count()} objections"
    ]
    pools = demo_pools()
    pool_statuses = Counter(pools.values_list("status", flat=True))
    lines.append(
        f"  pools: {sum(pool_statuses.values())} ("
        + ", ".join(f"{status} {pool_statuses[status]}" for status in PoolStatus.values if pool_statuses[status])
        + ")"
        + "".join(
            f"; {pool.title}: {format_wan(pool.pledged_total)} of {format_wan(pool.threshold)} 万元 pledged"
            for pool in pools.filter(status=PoolStatus.OPEN).order_by("pk")
        )
    )
    scoring = (
        Assignment.objects.filter(
            round__challenge__in=challenges, round__status=RoundStatus.SCORING, status=AssignmentStatus.ACTIVE
        )
        .select_related("expert__user")
        .order_by("pk")
        .first()
    )
    if scoring is not None:
        lines.append(f"  {scoring.expert.user.username:<16} expert with challenge bids to score")
    return lines

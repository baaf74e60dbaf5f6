"""Demo data of the demand board: enterprise demands from the sectors the seed documents name —
marine (海洋), biomedicine (生物医药), new-energy batteries (新能源电池), laser and additive
manufacturing (激光与增材制造), textiles (纺织) and clean energy (洁净能源) — with the demo
universities' and institutes' responses.

Every visibility (public, anonymous, confidential with invited organizations) and every status
is present, a few demands were recorded by bureau staff (one still awaits the enterprise's
confirmation), and the responses are in every state, declined ones with each reason. Everything
goes through the demand services, so the TransitionLog, the history and the notifications are
those the site itself writes; afterwards each demand's story is moved back in time, step by
step, so that its dates, log, messages and notifications agree and spread over the past months.

Reproducible (a fixed random seed) and idempotent: a demand is recognised by its enterprise and
title; once the demo demands exist, running the step again only makes sure its organizations and
users exist, so `make run` stays fast on every start after the first.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements.demo import USERS as SUPPLY_USERS
from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement
from demands.enums import (
    CooperationMode,
    DemandType,
    ResponseDeclineReason,
    ResponseStatus,
    Source,
    Status,
    Visibility,
)
from demands.models import Demand, DemandResponse
from demands.services import (
    LIFECYCLE,
    demand_close,
    demand_confirm_recorded,
    demand_create,
    demand_mark_solved,
    demand_publish,
    demand_reject,
    demand_submit,
    response_create,
    response_decline,
    response_message,
    response_shortlist,
    response_start_deal,
    response_withdraw,
)
from marketplace.demo import DEMO_PASSWORD, demo_uscc
from marketplace.enums import MembershipRole, OrganizationKind, VerificationStatus
from marketplace.models import (
    IndustryField,
    Membership,
    Message,
    Notification,
    Organization,
    Region,
    TransitionLog,
    User,
)

SEED = 20260315
WAN = Decimal(10000)

# The demo enterprises (marketplace.demo) and three more in the seed cities Changzhou, Jiangmen
# and Dalian.
VLAND = "青岛蔚蓝生物股份有限公司"
JIFA = "即发集团有限公司"
DONGYUE = "山东东岳未来氢能材料股份有限公司"
AUBO = "遨博(山东)智能机器人有限公司"
OCEAN = "青岛海洋装备创新有限公司"  # awaits verification: it can only keep drafts
LITHIUM = "常州鑫锂能源材料有限公司"
LASER = "江门市精工激光智能装备有限公司"
CLEAN = "大连金普洁能装备有限公司"
# The supply side that responds.
QDU = "青岛大学"
QIBEBT = "中国科学院青岛生物能源与过程研究所"
SDIIT = "山东产业技术研究院(青岛)"
CCZU = "常州大学"
WYU = "五邑大学"
JMIIT = "广东省科学院江门产业技术研究院"

# (name, short name, region code, industry-field codes)
ENTERPRISES = [
    (LITHIUM, "鑫锂能源", "320412", ["new-energy-batteries", "energy-storage"]),
    (LASER, "精工激光", "440703", ["laser-additive-manufacturing", "intelligent-manufacturing"]),
    (CLEAN, "金普洁能", "210213", ["energy-storage", "clean-coal", "marine-equipment"]),
]

# (username, name, organization, note), as in achievements.demo.USERS.
USERS = [
    ("jifa_admin", "姜经理", JIFA, "enterprise administrator"),
    ("xinli_admin", "沈经理", LITHIUM, "enterprise administrator"),
    ("jmlaser_admin", "何总工", LASER, "enterprise administrator"),
    ("jpclean_admin", "于总", CLEAN, "enterprise administrator"),
]

# Who decides for each enterprise, and its contact for demands: (administrator, contact, phone, domain).
OWNERS = {
    VLAND: ("vland_admin", "冯经理", "0532-88960001", "vland"),
    JIFA: ("jifa_admin", "姜经理", "0532-87560002", "jifa"),
    DONGYUE: ("dongyue_admin", "褚总监", "0533-85160003", "dongyue"),
    AUBO: ("aubo_admin", "金经理", "0533-31860004", "aubo"),
    OCEAN: ("ocean_admin", "海洋装备创新负责人", "0532-86680005", "ocean"),
    LITHIUM: ("xinli_admin", "沈经理", "0519-86390006", "xinli"),
    LASER: ("jmlaser_admin", "何总工", "0750-37260007", "jmlaser"),
    CLEAN: ("jpclean_admin", "于总", "0411-87610008", "jpclean"),
}
RECORDER = "organizer"  # bureau staff who record demands when visiting enterprises (需求挖掘)

# The teams the responders propose.
TEAMS = {
    "qdu_admin": "青岛大学技术转移中心牵头，相关学院课题组：教授 3 名、副教授 4 名、博士生 6 名。",
    "qdu_member": "郑教授课题组：教授 1 名、讲师 2 名、硕博研究生 8 名，依托省级重点实验室。",
    "qibebt_admin": "青岛能源所相关研究组：研究员 2 名、副研究员 3 名、工程师 4 名，具备中试放大平台。",
    "sdiit_admin": "山东产研院专业研究所与项目经理团队：高级工程师 4 名、工程师 6 名，可提供中试验证。",
    "cczu_admin": "常州大学材料科学与工程学院课题组：教授 2 名、副教授 3 名、博士生 5 名。",
    "wyu_admin": "五邑大学智能制造学部课题组：教授 2 名、副教授 2 名、工程师 3 名。",
    "jmiit_admin": "江门产研院激光与增材制造团队：研究员 2 名、工程师 5 名，拥有金属 3D 打印与激光加工中试线。",
}


@dataclass(frozen=True)
class DemoResponse:
    user: str  # the responder's username; the response is its organization's
    status: str  # the final ResponseStatus
    approach: str
    price_wan: int | None = None
    reason: str = ""  # a declined response's ResponseDeclineReason
    note: str = ""  # a declined response's note
    messages: tuple[str, ...] = ()  # enterprise's question, responder's answer, …


@dataclass(frozen=True)
class DemoDemand:
    enterprise: str
    status: str  # the final Status
    visibility: str
    title: str
    summary: str
    problem: str
    desired_outcome: str
    technical_indicators: str
    demand_type: str
    fields: tuple[str, ...]
    keywords: tuple[str, ...]
    min_trl: int | None
    budget_wan: tuple[int, int] | None  # None: negotiable
    modes: tuple[str, ...]
    author: str = ""  # default: the enterprise's administrator
    invited: tuple[str, ...] = ()  # organizations that see a confidential demand's details
    recorded: bool = False  # written down by bureau staff; confirmed unless still a draft
    note: str = ""  # the review note of a rejected demand, the closing note of a solved or closed one
    responses: tuple[DemoResponse, ...] = ()
    sector: str = field(default="", compare=False)


DEMANDS = [
    # Marine (海洋) ---------------------------------------------------------------------------
    DemoDemand(
        sector="marine",
        enterprise=VLAND,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        title="海洋微生物来源低温碱性蛋白酶高效表达",
        summary="寻求海洋微生物来源低温碱性蛋白酶的高效异源表达与发酵工艺。",
        problem="我司筛选到一株海洋假交替单胞菌来源的低温碱性蛋白酶，20℃ 下比活力较高，但在毕赤酵母中表达量仅"
        " 0.8 g/L，发酵液酶活约 3,000 U/mL，难以满足洗涤剂用酶的成本要求。已尝试密码子优化和启动子替换，提升有限。",
        desired_outcome="获得高表达工程菌株及配套的 50 m³ 规模发酵工艺，可在我司现有发酵车间导入。",
        technical_indicators="表达量 ≥ 5 g/L；发酵液酶活 ≥ 20,000 U/mL；20℃ 相对酶活 ≥ 60%；"
        "pH 10 条件下保温 30 min 残余酶活 ≥ 85%。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("marine-biology", "biotechnology"),
        keywords=("低温蛋白酶", "海洋微生物", "毕赤酵母", "洗涤剂用酶"),
        min_trl=3,
        budget_wan=(80, 200),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.TRANSFER),
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.SHORTLISTED,
                "以高通量筛选平台构建启动子与信号肽组合文库，结合多拷贝整合和分子伴侣共表达提升分泌量；"
                "同步在 5 L—500 L 发酵罐上完成补料策略优化。",
                150,
                messages=(
                    "请问贵所在毕赤酵母体系中是否有同类酶制剂的放大案例？",
                    "有。我们此前为一家饲料企业完成过植酸酶的 30 m³ 放大，表达量达到 8 g/L，可提供案例资料。",
                ),
            ),
            DemoResponse(
                "qdu_admin",
                ResponseStatus.DECLINED,
                "采用大肠杆菌包涵体表达后体外复性的技术路线，可在两个月内获得克级样品。",
                60,
                ResponseDeclineReason.APPROACH_UNSUITABLE,
                "包涵体复性路线难以放大，且不适合我司的洗涤剂用酶产品。",
            ),
        ),
    ),
    DemoDemand(
        sector="marine",
        enterprise=JIFA,
        status=Status.NEGOTIATING,
        visibility=Visibility.PUBLIC,
        title="海藻纤维强度提升与千吨级连续纺丝",
        summary="寻求提升海藻酸盐纤维干湿强度、实现千吨级连续纺丝的工艺方案。",
        problem="我司海藻纤维中试线所产纤维干断裂强度约 1.8 cN/dtex，湿强仅 0.9 cN/dtex，针织织造过程中断头率高；"
        "纺丝速度限制在 40 m/min，单线年产能不足 300 吨。",
        desired_outcome="形成千吨级海藻纤维湿法纺丝成套工艺，产品用于高端内衣与医用敷料。",
        technical_indicators="干断裂强度 ≥ 2.6 cN/dtex；湿断裂强度 ≥ 1.5 cN/dtex；纺丝速度 ≥ 80 m/min；"
        "单线年产能 ≥ 1,000 吨。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("functional-textiles", "marine-chemicals"),
        keywords=("海藻纤维", "湿法纺丝", "海洋生物基材料"),
        min_trl=4,
        budget_wan=(150, 400),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.COMMISSIONED_DEVELOPMENT),
        responses=(
            DemoResponse(
                "qdu_member",
                ResponseStatus.DEAL_STARTED,
                "依托海洋生物基纤维研究基础，采用钙/锌复合凝固浴与多级拉伸热定型工艺提高大分子取向度，"
                "并优化喷丝板孔型设计提高纺丝速度。",
                320,
                messages=(
                    "贵课题组的工艺是否在百吨级以上产线验证过？",
                    "已在合作企业的 500 吨线上验证过钙锌复合凝固浴，干强提高约 35%，可安排现场考察。",
                    "好的，请先发试验数据，我们安排下周到现场考察。",
                ),
            ),
            DemoResponse(
                "sdiit_admin",
                ResponseStatus.DECLINED,
                "提供整线数字化改造与纺丝工艺智能控制系统，实现在线张力与凝固浴浓度闭环控制。",
                600,
                ResponseDeclineReason.TOO_EXPENSIVE,
                "整线改造投入超出本期预算，先解决工艺问题，后续再考虑装备升级。",
            ),
        ),
    ),
    DemoDemand(
        sector="marine",
        enterprise=OCEAN,
        status=Status.DRAFT,
        visibility=Visibility.PUBLIC,
        title="深远海养殖网箱水质在线监测浮标",
        summary="寻求适用于深远海养殖网箱的低功耗水质在线监测浮标。",
        problem="我司为深远海养殖平台配套装备，现用监测浮标在高海况下易失联，溶解氧传感器生物附着严重，"
        "平均两周需人工清洗一次，运维成本高。",
        desired_outcome="获得可批量生产的监测浮标方案，包括防生物附着传感器与北斗/4G 双模通信。",
        technical_indicators="连续无人值守 ≥ 90 天；溶解氧测量误差 ≤ ±0.2 mg/L；抗风浪等级 ≥ 12 级；整机功耗 ≤ 5 W。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("marine-equipment", "marine-fishery"),
        keywords=("深远海养殖", "水质监测", "防生物附着"),
        min_trl=6,
        budget_wan=(50, 120),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE),
    ),
    DemoDemand(
        sector="marine",
        enterprise=CLEAN,
        status=Status.SOLVED,
        visibility=Visibility.CONFIDENTIAL,
        invited=(SDIIT, CCZU),
        title="海上风电导管架飞溅区长效防腐涂层",
        summary="寻求海上风电导管架飞溅区的长效防腐涂层体系。",
        problem="我司承接渤海海域海上风电导管架制造，飞溅区现用环氧玻璃鳞片涂层 3—5 年后出现起泡和剥落，"
        "维修需停机且海上作业窗口短，单次维修成本超过 80 万元。",
        desired_outcome="形成设计寿命 25 年的飞溅区防腐涂层体系及施工工艺规范。",
        technical_indicators="耐盐雾 ≥ 6,000 h 无起泡；附着力 ≥ 10 MPa；阴极剥离半径 ≤ 8 mm（28 d）；耐冲击 ≥ 15 J。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("marine-equipment", "wind-power"),
        keywords=("海上风电", "导管架", "重防腐涂层", "飞溅区"),
        min_trl=5,
        budget_wan=(100, 300),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.TRANSFER),
        note="与山东产研院合作的涂层体系已通过 6,000 h 盐雾试验，进入示范应用。",
        responses=(
            DemoResponse(
                "sdiit_admin",
                ResponseStatus.DEAL_STARTED,
                "采用石墨烯改性环氧底漆与聚脲弹性体面漆的复合体系，结合合作海洋腐蚀试验站开展实海挂片验证。",
                260,
                messages=(
                    "实海挂片周期多长？能否与我们的交付节点匹配？",
                    "实海挂片每 6 个月出阶段数据，同时用加速试验给出寿命预测，可与交付节点同步。",
                ),
            ),
            DemoResponse(
                "cczu_admin",
                ResponseStatus.DECLINED,
                "采用氟碳改性有机硅涂层，突出耐候与自清洁性能。",
                120,
                ResponseDeclineReason.APPROACH_UNSUITABLE,
                "有机硅体系的附着力和耐冲击性不满足飞溅区工况。",
            ),
        ),
    ),
    DemoDemand(
        sector="marine",
        enterprise=VLAND,
        status=Status.CLOSED,
        visibility=Visibility.ANONYMOUS,
        title="鱼皮胶原蛋白肽脱腥与色泽改善",
        summary="寻求海洋鱼皮胶原蛋白肽的脱腥、脱色工艺。",
        problem="我司以鳕鱼皮为原料生产胶原蛋白肽，产品腥味明显、色泽偏黄（L* 值约 82），"
        "活性炭吸附脱腥后得率下降约 12%。",
        desired_outcome="获得不显著降低得率的脱腥脱色工艺，可在现有酶解线上导入。",
        technical_indicators="腥味感官评分 ≤ 1（5 分制）；L* ≥ 92；得率损失 ≤ 3%；平均分子量 ≤ 1,000 Da。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("marine-biology", "food-processing"),
        keywords=("胶原蛋白肽", "脱腥", "海洋生物"),
        min_trl=5,
        budget_wan=(30, 80),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.CONSULTING),
        note="公司调整产品线，该项目暂停。",
        responses=(
            DemoResponse(
                "qdu_admin",
                ResponseStatus.DECLINED,
                "采用 β-环糊精包埋结合大孔树脂吸附的复合脱腥工艺。",
                45,
                ResponseDeclineReason.NOT_CONVINCING,
                "未提供中试数据，难以判断得率损失能否达标。",
            ),
        ),
    ),
    # Biomedicine (生物医药) ---------------------------------------------------------------------
    DemoDemand(
        sector="biomedicine",
        enterprise=VLAND,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        title="畜禽用植物提取物替抗产品药效与安全性评价",
        summary="寻求具备条件的机构开展植物提取物替抗饲料添加剂的药效与安全性评价。",
        problem="我司开发了以牛至油和黄芩提取物为主的复合替抗添加剂，需按新饲料添加剂申报要求完成靶动物有效性和"
        "耐受性试验，公司内部缺少符合要求的试验平台。",
        desired_outcome="获得满足申报要求的试验报告，支撑新饲料添加剂证书申请。",
        technical_indicators="肉鸡试验每组 ≥ 6 个重复、每个重复 ≥ 10 只；耐受性试验剂量达到推荐量的 10 倍；"
        "报告符合相关农业行业标准。",
        demand_type=DemandType.PILOT_TESTING,
        fields=("biotechnology", "animal-husbandry"),
        keywords=("替抗", "植物提取物", "饲料添加剂", "药效评价"),
        min_trl=6,
        budget_wan=(40, 90),
        modes=(CooperationMode.SERVICE, CooperationMode.CONSULTING),
        responses=(
            DemoResponse(
                "qdu_admin",
                ResponseStatus.SUBMITTED,
                "依托动物医学院实验动物中心，按新饲料添加剂评价指南设计靶动物有效性和耐受性试验，周期约 5 个月。",
                70,
            ),
        ),
    ),
    DemoDemand(
        sector="biomedicine",
        enterprise=VLAND,
        status=Status.NEGOTIATING,
        visibility=Visibility.CONFIDENTIAL,
        invited=(QIBEBT,),
        title="重组蛋白发酵液下游纯化工艺放大",
        summary="寻求重组蛋白发酵液下游纯化工艺的放大与降本方案。",
        problem="我司一款饲用重组蛋白在 10 m³ 发酵后采用超滤—离子交换两步纯化，总收率仅 52%，"
        "层析介质成本占生产成本的 38%。",
        desired_outcome="形成 30 m³ 规模的纯化工艺包，降低介质用量并提高收率。",
        technical_indicators="总收率 ≥ 75%；纯度 ≥ 95%；介质成本下降 ≥ 30%；单批次周期 ≤ 36 h。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("biotechnology",),
        keywords=("重组蛋白", "下游纯化", "工艺放大"),
        min_trl=5,
        budget_wan=(100, 250),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.COOPERATIVE_DEVELOPMENT),
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.DEAL_STARTED,
                "以双水相萃取替代超滤预处理，配合模拟移动床层析降低介质用量，在所内中试平台完成 1 m³ 验证后放大。",
                220,
                messages=(
                    "双水相体系的盐如何回收？",
                    "盐相经膜浓缩后回用，回收率约 90%，我们可以提供物料衡算表。",
                ),
            ),
        ),
    ),
    DemoDemand(
        sector="biomedicine",
        enterprise=VLAND,
        author="vland_member",
        status=Status.SUBMITTED,
        visibility=Visibility.ANONYMOUS,
        title="猪用 mRNA 疫苗脂质纳米颗粒递送系统",
        summary="寻求适用于猪用 mRNA 疫苗、可冷藏储存的脂质纳米颗粒递送系统。",
        problem="我司布局动物 mRNA 疫苗，现有 LNP 配方在 2—8℃ 下储存 3 个月后包封率由 92% 降至 70%，"
        "规模化制备时粒径分布不稳定。",
        desired_outcome="获得可规模化制备、冷藏稳定的 LNP 配方及工艺，并完成猪体免疫评价。",
        technical_indicators="包封率 ≥ 90%；粒径 80—120 nm，PDI ≤ 0.2；2—8℃ 储存 6 个月包封率下降 ≤ 5%。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("biotechnology", "innovative-drugs"),
        keywords=("mRNA 疫苗", "脂质纳米颗粒", "动物疫苗"),
        min_trl=3,
        budget_wan=None,
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.LICENSE),
    ),
    DemoDemand(
        sector="biomedicine",
        enterprise=VLAND,
        author="vland_member",
        status=Status.REJECTED,
        visibility=Visibility.PUBLIC,
        title="饲用益生菌耐高温制粒包埋技术",
        summary="寻求提高乳酸菌类益生菌饲料制粒耐热性的微胶囊包埋技术。",
        problem="饲料制粒温度约 85℃，我司乳酸菌制剂制粒后存活率不足 10%，只能在制粒后喷涂添加，工艺复杂。",
        desired_outcome="获得可工业化的微胶囊包埋技术及配套设备选型。",
        technical_indicators="85℃ 制粒后存活率 ≥ 60%；常温储存 6 个月活菌数下降 ≤ 1 个数量级。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("biotechnology", "animal-husbandry"),
        keywords=("益生菌", "微胶囊", "耐高温"),
        min_trl=5,
        budget_wan=(20, 30),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE),
        note="技术指标与预算差距较大，请核实预算范围并补充现有工艺参数后重新提交。",
    ),
    DemoDemand(
        sector="biomedicine",
        enterprise=JIFA,
        status=Status.EXPIRED,
        visibility=Visibility.PUBLIC,
        title="医用抗菌敷料用复合非织造材料",
        summary="寻求壳聚糖/海藻酸复合抗菌非织造敷料的产业化技术。",
        problem="我司拟拓展医用敷料业务，现有水刺非织造布吸液率约 8 g/g，抗菌性能依赖银离子后整理，"
        "存在细胞毒性评价不达标的风险。",
        desired_outcome="形成二类医疗器械注册所需的材料配方与生产工艺。",
        technical_indicators="吸液率 ≥ 15 g/g；对金黄色葡萄球菌、大肠杆菌抑菌率 ≥ 99%；细胞毒性 ≤ 1 级。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("medical-devices", "functional-textiles"),
        keywords=("医用敷料", "非织造", "抗菌"),
        min_trl=6,
        budget_wan=(100, 200),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE),
        responses=(
            DemoResponse(
                "qdu_admin",
                ResponseStatus.SUBMITTED,
                "提供壳聚糖/海藻酸钙复合纤维及针刺—水刺复合成网工艺，已完成小试样品的抑菌与细胞毒性检测。",
                150,
            ),
        ),
    ),
    # New-energy batteries (新能源电池) -----------------------------------------------------------
    DemoDemand(
        sector="new-energy-batteries",
        enterprise=LITHIUM,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        title="高镍单晶三元正极材料高温循环寿命提升",
        summary="寻求提升 Ni90 单晶正极高温循环与产气性能的改性技术。",
        problem="我司 Ni90 单晶正极在 45℃、1C/1C 条件下循环 1,000 次容量保持率约 78%，高温存储产气偏高；"
        "已尝试铝、锆掺杂与硼包覆，改善有限。",
        desired_outcome="形成可在现有烧结产线导入的掺杂包覆工艺，并通过客户电芯验证。",
        technical_indicators="45℃ 循环 1,000 次容量保持率 ≥ 90%；0.1C 首次放电比容量 ≥ 220 mAh/g；"
        "60℃ 存储 7 天产气量下降 ≥ 30%。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("new-energy-batteries",),
        keywords=("高镍正极", "单晶", "循环寿命", "包覆"),
        min_trl=4,
        budget_wan=(200, 500),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.COOPERATIVE_DEVELOPMENT),
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.SUBMITTED,
                "采用高熵掺杂稳定晶格结构，结合原子层沉积构建快离子导体包覆层，抑制界面副反应。",
                380,
                messages=(
                    "原子层沉积的产能能否满足万吨级产线？",
                    "我们采用流化床 ALD，单台设备年处理量约 2,000 吨，可分步导入。",
                ),
            ),
            DemoResponse(
                "cczu_admin",
                ResponseStatus.SHORTLISTED,
                "在共沉淀阶段采用浓度梯度设计抑制微裂纹，配合烧结制度优化和磷酸盐包覆。",
                260,
                messages=("梯度前驱体是否需要改造我司的反应釜？",),
            ),
            DemoResponse(
                "sdiit_admin",
                ResponseStatus.DECLINED,
                "提供正极材料产线工艺数字孪生与智能烧结控制系统。",
                650,
                ResponseDeclineReason.TOO_EXPENSIVE,
                "报价超出本项目预算上限，且偏重装备改造。",
            ),
            DemoResponse(
                "qdu_admin", ResponseStatus.WITHDRAWN, "以溶胶凝胶法构建锂镧锆氧包覆层，提高界面稳定性。", 150
            ),
        ),
    ),
    DemoDemand(
        sector="new-energy-batteries",
        enterprise=LITHIUM,
        status=Status.PUBLISHED,
        visibility=Visibility.CONFIDENTIAL,
        invited=(QIBEBT, CCZU),
        title="硅碳负极安全预锂化工艺",
        summary="寻求硅碳负极的预锂化工艺，提高首次库伦效率。",
        problem="我司硅碳负极（硅含量 10%）首次库伦效率约 84%，与石墨负极搭配后电芯能量密度提升受限；"
        "采用锂粉补锂存在安全隐患，无法进入量产。",
        desired_outcome="获得安全、可量产的预锂化方案，适配我司 1.2 m 幅宽涂布线。",
        technical_indicators="首次库伦效率 ≥ 92%；操作环境露点要求不严于 −40℃；全电池 25℃ 循环 1,000 次容量保持率"
        " ≥ 85%。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("new-energy-batteries",),
        keywords=("硅碳负极", "预锂化", "首次效率"),
        min_trl=4,
        budget_wan=(150, 300),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.LICENSE),
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.SUBMITTED,
                "采用正极补锂剂（富锂镍酸锂）替代负极预锂化，规避金属锂操作风险，可直接在正极匀浆环节加入。",
                200,
            ),
            DemoResponse(
                "cczu_admin",
                ResponseStatus.SUBMITTED,
                "开发聚合物包覆的稳定化锂粉预锂化浆料，在露点 −35℃ 条件下即可操作。",
                180,
                messages=("包覆锂粉的储存期多长？", "密封条件下储存 6 个月，活性锂损失小于 5%。"),
            ),
        ),
    ),
    DemoDemand(
        sector="new-energy-batteries",
        enterprise=LITHIUM,
        status=Status.SOLVED,
        visibility=Visibility.ANONYMOUS,
        title="退役动力电池梯次利用快速分选",
        summary="寻求退役磷酸铁锂电池的快速无损检测与分选技术。",
        problem="我司回收的退役磷酸铁锂电池单体一致性差，目前采用满充满放容量测试分选，单只检测约 6 小时，"
        "分选产能成为梯次利用储能产品的瓶颈。",
        desired_outcome="获得基于快速脉冲或交流阻抗的分选方法及配套设备。",
        technical_indicators="单只检测时间 ≤ 3 min；容量估计误差 ≤ 3%；分选后模组容量极差 ≤ 5%。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("new-energy-batteries", "energy-storage"),
        keywords=("梯次利用", "快速分选", "电化学阻抗"),
        min_trl=6,
        budget_wan=(80, 150),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE),
        note="与青岛能源所签订技术许可合同，分选线已投入使用。",
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.DEAL_STARTED,
                "基于电化学阻抗谱和机器学习的健康状态快速评估，单只检测约 2 分钟，已在合作企业完成 1 万只电池验证。",
                120,
                messages=(
                    "模型是否需要针对我们的电池型号重新训练？",
                    "需要约 500 只样本做迁移学习，两周可以完成。",
                ),
            ),
        ),
    ),
    DemoDemand(
        sector="new-energy-batteries",
        enterprise=LITHIUM,
        status=Status.DRAFT,
        visibility=Visibility.PUBLIC,
        title="硫化物固态电解质空气稳定性改性",
        summary="寻求提高硫化物固态电解质空气稳定性的材料改性方案。",
        problem="我司在研的硫化物固态电解质（Li6PS5Cl）在露点 −40℃ 干燥房中暴露 1 小时后离子电导率下降约 40%，"
        "并释放硫化氢，制约规模化制备。",
        desired_outcome="获得空气稳定性显著提升、离子电导率基本不下降的电解质改性方法。",
        technical_indicators="室温离子电导率 ≥ 3 mS/cm；露点 −40℃ 暴露 24 h 电导率保持率 ≥ 80%；硫化氢释放量下降"
        " ≥ 70%。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("new-energy-batteries",),
        keywords=("固态电池", "硫化物电解质", "空气稳定性"),
        min_trl=3,
        budget_wan=None,
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT,),
    ),
    DemoDemand(
        sector="new-energy-batteries",
        enterprise=DONGYUE,
        status=Status.CLOSED,
        visibility=Visibility.PUBLIC,
        title="锂电正极用高分子量 PVDF 粘结剂性能提升",
        summary="寻求高分子量 PVDF 粘结剂的聚合工艺改进，提升粘结力与溶解性。",
        problem="我司锂电级 PVDF 在 NMP 中溶解约需 4 小时，用于高镍正极时浆料易凝胶，极片剥离强度约 25 N/m，"
        "与进口产品存在差距。",
        desired_outcome="获得可在现有悬浮聚合装置上实施的改进工艺。",
        technical_indicators="特性粘度 ≥ 3.0 dL/g；NMP 溶解时间 ≤ 2 h；极片剥离强度 ≥ 40 N/m；浆料 48 h 不凝胶。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("fluorosilicon-materials", "new-energy-batteries"),
        keywords=("PVDF", "粘结剂", "悬浮聚合"),
        min_trl=5,
        budget_wan=(100, 300),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.COOPERATIVE_DEVELOPMENT),
        note="已通过自主研发解决，关闭需求。",
        responses=(
            DemoResponse(
                "cczu_admin",
                ResponseStatus.SUBMITTED,
                "通过引入极性共聚单体和调控分子量分布改善溶解性与粘结力，已在 10 L 聚合釜上完成验证。",
                180,
            ),
        ),
    ),
    # Laser and additive manufacturing (激光与增材制造) --------------------------------------------
    DemoDemand(
        sector="laser-additive-manufacturing",
        enterprise=LASER,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        title="电池托盘铝合金激光焊接气孔控制",
        summary="寻求新能源汽车电池托盘铝合金激光焊接的气孔控制方案。",
        problem="我司为客户加工 6 系铝合金电池托盘，采用光纤激光深熔焊，焊缝气孔率约 3%—5%，"
        "X 射线检测一次合格率仅 85%，返修成本高。",
        desired_outcome="形成稳定的焊接工艺窗口与在线监测方案，可导入现有焊接工作站。",
        technical_indicators="焊缝气孔率 ≤ 0.5%；X 射线一次合格率 ≥ 98%；焊接速度 ≥ 4 m/min；熔深 ≥ 3 mm。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("laser-additive-manufacturing", "new-energy-vehicles"),
        keywords=("激光焊接", "铝合金", "气孔", "电池托盘"),
        min_trl=5,
        budget_wan=(50, 120),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.SERVICE),
        responses=(
            DemoResponse(
                "jmiit_admin",
                ResponseStatus.SHORTLISTED,
                "采用环形光斑摆动焊接结合双层气体保护，配合基于光致等离子体信号的在线气孔监测。",
                95,
                messages=(
                    "摆动焊接头是否需要更换激光器？",
                    "无需更换激光器，加装摆动焊接头即可，现有工作站两周内可以改造完成。",
                ),
            ),
            DemoResponse(
                "wyu_admin",
                ResponseStatus.DECLINED,
                "基于深度学习的熔池视觉检测，实时识别气孔缺陷并反馈调整焊接参数。",
                60,
                ResponseDeclineReason.TOO_EARLY,
                "目前只有实验室数据，尚未在产线验证，待成熟后再联系。",
            ),
        ),
    ),
    DemoDemand(
        sector="laser-additive-manufacturing",
        enterprise=LASER,
        status=Status.SUBMITTED,
        visibility=Visibility.CONFIDENTIAL,
        invited=(JMIIT,),
        title="紫铜零件蓝光激光熔覆耐磨层工艺",
        summary="寻求高反射紫铜零件表面的蓝光激光熔覆工艺。",
        problem="我司需要在紫铜结晶器和导电零件表面熔覆耐磨层，近红外光纤激光在铜表面的吸收率不足 5%，"
        "熔覆层与基体结合不稳定、开裂率高。",
        desired_outcome="建立蓝光激光熔覆工艺及参数数据库，满足小批量生产。",
        technical_indicators="熔覆层硬度 ≥ 300 HV；结合强度 ≥ 200 MPa；稀释率 ≤ 10%；渗透检测无裂纹、无气孔。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("laser-additive-manufacturing", "metal-materials"),
        keywords=("蓝光激光", "激光熔覆", "紫铜"),
        min_trl=4,
        budget_wan=(60, 150),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT,),
    ),
    DemoDemand(
        sector="laser-additive-manufacturing",
        enterprise=LASER,
        status=Status.NEGOTIATING,
        visibility=Visibility.ANONYMOUS,
        title="钛合金选区激光熔化零件疲劳性能提升",
        summary="寻求提高 TC4 钛合金选区激光熔化零件疲劳性能的工艺与后处理方案。",
        problem="我司为无人机和医疗器械客户打印 TC4 零件，零件内部存在未熔合缺陷，10⁷ 周次疲劳强度约 420 MPa，"
        "低于锻件的 550 MPa，客户不予接受。",
        desired_outcome="形成打印参数优化、热等静压和表面处理的完整工艺路线。",
        technical_indicators="10⁷ 周次疲劳强度 ≥ 550 MPa；致密度 ≥ 99.9%；延伸率 ≥ 10%。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("laser-additive-manufacturing", "drones"),
        keywords=("选区激光熔化", "钛合金", "疲劳性能", "热等静压"),
        min_trl=5,
        budget_wan=(80, 200),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT,),
        responses=(
            DemoResponse(
                "jmiit_admin",
                ResponseStatus.DEAL_STARTED,
                "优化扫描策略减少未熔合缺陷，配合热等静压与喷丸—化学铣复合表面处理，已有同类零件的疲劳数据。",
                160,
                messages=(
                    "热等静压能否在贵院完成？",
                    "由我院合作的热等静压服务商完成，我院统一组织并对结果负责。",
                ),
            ),
            DemoResponse("sdiit_admin", ResponseStatus.WITHDRAWN, "采用激光冲击强化提高表面残余压应力。", 120),
        ),
    ),
    DemoDemand(
        sector="laser-additive-manufacturing",
        enterprise=AUBO,
        status=Status.SOLVED,
        visibility=Visibility.PUBLIC,
        title="协作机器人激光焊缝跟踪视觉传感器",
        summary="寻求适配协作机器人的国产激光焊缝跟踪视觉传感器。",
        problem="我司协作机器人焊接工作站依赖示教编程，工件装配偏差超过 0.5 mm 时焊偏严重；"
        "进口焊缝跟踪传感器单价约 8 万元，难以在中小客户中推广。",
        desired_outcome="获得国产焊缝跟踪传感器及与我司控制器的接口软件。",
        technical_indicators="跟踪精度 ≤ ±0.2 mm；采样频率 ≥ 200 Hz；抗弧光干扰；传感器成本 ≤ 2 万元。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("robotics", "laser-additive-manufacturing"),
        keywords=("焊缝跟踪", "线结构光", "协作机器人"),
        min_trl=6,
        budget_wan=(60, 150),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE),
        note="与五邑大学合作开发的传感器已集成到新一代焊接工作站。",
        responses=(
            DemoResponse(
                "wyu_admin",
                ResponseStatus.DEAL_STARTED,
                "基于线结构光与窄带滤光的焊缝跟踪传感器，样机跟踪精度 ±0.15 mm，可开放控制器接口协议。",
                110,
                messages=("样机能否借用一个月做现场测试？", "可以，下周寄出样机并派工程师到现场调试。"),
            ),
            DemoResponse(
                "jmiit_admin",
                ResponseStatus.DECLINED,
                "采用电弧传感跟踪方案，无需额外硬件。",
                40,
                ResponseDeclineReason.APPROACH_UNSUITABLE,
                "电弧跟踪不适用于我司的薄板激光焊接场景。",
            ),
        ),
    ),
    DemoDemand(
        sector="laser-additive-manufacturing",
        enterprise=AUBO,
        status=Status.EXPIRED,
        visibility=Visibility.PUBLIC,
        title="机器人 RV 减速器摆线轮激光增材修复验证",
        summary="寻求 RV 减速器磨损摆线轮的激光增材修复与台架验证服务。",
        problem="售后返修的 RV 减速器中约 20% 因摆线轮齿面磨损报废，单件成本约 3,000 元，"
        "希望通过激光增材修复再制造降低成本。",
        desired_outcome="完成修复工艺开发和台架寿命验证。",
        technical_indicators="修复层硬度 ≥ 58 HRC；齿形精度达到 GB/T 10095 规定的 6 级；台架寿命 ≥ 新件的 80%。",
        demand_type=DemandType.PILOT_TESTING,
        fields=("laser-additive-manufacturing", "robotics"),
        keywords=("增材修复", "再制造", "RV 减速器"),
        min_trl=5,
        budget_wan=(30, 60),
        modes=(CooperationMode.SERVICE,),
    ),
    DemoDemand(
        sector="laser-additive-manufacturing",
        enterprise=AUBO,
        status=Status.DRAFT,
        visibility=Visibility.PUBLIC,
        recorded=True,
        title="协作机器人轻量化末端夹爪增材制造",
        summary="寻求采用拓扑优化与增材制造的协作机器人轻量化末端夹爪。",
        problem="（科技局走访记录）企业反映现有铝合金机加夹爪重量约 1.2 kg，"
        "占 5 kg 负载协作机器人额定负载的近四分之一，影响有效负载。",
        desired_outcome="完成夹爪拓扑优化设计与金属、高分子增材制造样件。",
        technical_indicators="夹爪重量 ≤ 0.5 kg；刚度不低于现有方案；单件成本 ≤ 1,500 元。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("robotics", "laser-additive-manufacturing"),
        keywords=("拓扑优化", "增材制造", "末端执行器"),
        min_trl=4,
        budget_wan=(20, 50),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT,),
    ),
    # Textiles (纺织) ------------------------------------------------------------------------------
    DemoDemand(
        sector="textiles",
        enterprise=JIFA,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        title="石墨烯远红外保暖针织面料量产工艺",
        summary="寻求石墨烯改性纤维远红外保暖针织面料的量产工艺。",
        problem="我司开发的石墨烯改性粘胶保暖内衣面料远红外发射率约 0.82，洗涤 20 次后降至 0.78，"
        "且石墨烯分散不均导致面料色差。",
        desired_outcome="获得稳定的石墨烯分散与纺丝工艺及面料染整工艺。",
        technical_indicators="远红外发射率 ≥ 0.88（GB/T 30127）；洗涤 50 次后发射率下降 ≤ 0.02；色差 ≥ 4 级。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("functional-textiles", "carbon-materials"),
        keywords=("石墨烯", "远红外", "保暖面料"),
        min_trl=5,
        budget_wan=(80, 160),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT,),
        responses=(
            DemoResponse(
                "qdu_member",
                ResponseStatus.SUBMITTED,
                "利用纺织服装学院功能纤维平台，采用原位聚合包覆提高石墨烯分散性，并优化低温染色工艺降低色差。",
                120,
                messages=(
                    "原位包覆会不会影响纤维手感？",
                    "包覆层厚度控制在 5 nm 以内，手感与常规粘胶接近，可以先寄样。",
                ),
            ),
            DemoResponse(
                "sdiit_admin",
                ResponseStatus.DECLINED,
                "提供石墨烯浆料在线分散与计量装备。",
                200,
                ResponseDeclineReason.NOT_CONVINCING,
                "方案只涉及装备，未说明如何保证洗涤后的发射率。",
            ),
        ),
    ),
    DemoDemand(
        sector="textiles",
        enterprise=JIFA,
        status=Status.REJECTED,
        visibility=Visibility.ANONYMOUS,
        title="涤纶超临界二氧化碳无水染色中试验证",
        summary="寻求涤纶针织物超临界二氧化碳无水染色的中试验证。",
        problem="我司计划建设无水染色示范线，需要验证超临界 CO₂ 染色在涤纶针织物上的匀染性和色牢度，目前缺少中试装置。",
        desired_outcome="完成 50 kg/批的中试验证并形成工艺包。",
        technical_indicators="单批 ≥ 50 kg；染料上染率 ≥ 95%；耐洗色牢度 ≥ 4 级；染色周期 ≤ 2 h。",
        demand_type=DemandType.PILOT_TESTING,
        fields=("functional-textiles", "coatings-dyes"),
        keywords=("无水染色", "超临界二氧化碳", "中试"),
        min_trl=6,
        budget_wan=(100, 250),
        modes=(CooperationMode.SERVICE, CooperationMode.COOPERATIVE_DEVELOPMENT),
        note="请补充现有中试条件和拟采用的合作方式，并说明需要匿名发布的原因后重新提交。",
    ),
    DemoDemand(
        sector="textiles",
        enterprise=JIFA,
        status=Status.CLOSED,
        visibility=Visibility.PUBLIC,
        title="针织横机车间设备联网与智能排产",
        summary="寻求针织横机车间的设备联网与智能排产咨询服务。",
        problem="我司毛衫车间有 600 余台电脑横机，品牌和控制系统不一，订单小批量多品种，目前人工排产，"
        "设备平均利用率约 65%。",
        desired_outcome="提出设备联网与排产方案，并在一个车间试点。",
        technical_indicators="设备联网率 ≥ 95%；设备利用率提升至 ≥ 80%；排产时间由 4 小时缩短至 ≤ 30 分钟。",
        demand_type=DemandType.CONSULTING,
        fields=("textile-machinery", "industrial-internet"),
        keywords=("电脑横机", "智能排产", "设备联网"),
        min_trl=7,
        budget_wan=(30, 80),
        modes=(CooperationMode.CONSULTING, CooperationMode.SERVICE),
        note="集团已统一采购 MES 系统，本需求不再需要。",
        responses=(
            DemoResponse(
                "wyu_admin",
                ResponseStatus.DECLINED,
                "提供基于强化学习的排产算法，并开发专用 MES 系统。",
                70,
                ResponseDeclineReason.OTHER,
                "集团已统一采购 MES，只需要排产算法接口，方案范围不符。",
            ),
        ),
    ),
    DemoDemand(
        sector="textiles",
        enterprise=JIFA,
        status=Status.SUBMITTED,
        visibility=Visibility.CONFIDENTIAL,
        invited=(QDU,),
        title="聚乳酸纤维耐热与染色性能改进",
        summary="寻求提升聚乳酸（PLA）纤维耐热性和染色性能的改性技术。",
        problem="PLA 纤维玻璃化温度约 58℃，熨烫和高温染色时收缩率超过 10%，分散染料上染率低，"
        "限制了在针织服装中的应用。",
        desired_outcome="获得可熔融纺丝的改性 PLA 切片及配套低温染色工艺。",
        technical_indicators="沸水收缩率 ≤ 5%；分散染料上染率 ≥ 90%；断裂强度 ≥ 3.5 cN/dtex。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("functional-textiles", "advanced-polymers"),
        keywords=("聚乳酸纤维", "生物基", "耐热改性"),
        min_trl=4,
        budget_wan=(100, 200),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.LICENSE),
    ),
    DemoDemand(
        sector="textiles",
        enterprise=JIFA,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        recorded=True,
        title="印染废水深度处理与中水回用",
        summary="寻求印染废水深度处理与中水回用技术。",
        problem="（市科技局需求挖掘）企业印染车间日排废水约 3,000 吨，经生化处理后 COD 约 80 mg/L、色度 40 倍，"
        "回用率仅 30%，面临排放指标收紧的压力。",
        desired_outcome="形成深度处理与回用工艺，回用水满足染色用水要求。",
        technical_indicators="回用率 ≥ 60%；回用水 COD ≤ 30 mg/L、色度 ≤ 10 倍；吨水处理成本 ≤ 3 元。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("water-treatment", "functional-textiles"),
        keywords=("印染废水", "中水回用", "深度处理"),
        min_trl=7,
        budget_wan=(200, 500),
        modes=(CooperationMode.TRANSFER, CooperationMode.SERVICE),
        responses=(
            DemoResponse(
                "cczu_admin",
                ResponseStatus.SUBMITTED,
                "采用臭氧催化氧化与双膜法深度处理工艺，已在常州两家印染企业稳定运行两年以上。",
                420,
            ),
        ),
    ),
    # Clean energy (洁净能源) -------------------------------------------------------------------------
    DemoDemand(
        sector="clean-energy",
        enterprise=CLEAN,
        status=Status.NEGOTIATING,
        visibility=Visibility.CONFIDENTIAL,
        invited=(QIBEBT,),
        title="全钒液流电池电堆功率密度提升",
        summary="寻求提升全钒液流电池电堆功率密度的关键材料与结构方案。",
        problem="我司全钒液流储能电堆工作电流密度约 120 mA/cm²，电堆体积和成本偏高；"
        "提高电流密度后能量效率降至 75% 以下。",
        desired_outcome="开发新一代高功率密度电堆，并完成 30 kW 级样机测试。",
        technical_indicators="工作电流密度 ≥ 200 mA/cm²；能量效率 ≥ 80%；电堆成本下降 ≥ 25%；"
        "循环 1,000 次性能衰减 ≤ 3%。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("energy-storage",),
        keywords=("全钒液流电池", "电堆", "功率密度", "储能"),
        min_trl=5,
        budget_wan=(300, 800),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.COMMISSIONED_DEVELOPMENT),
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.DEAL_STARTED,
                "采用超薄复合膜与梯度孔隙碳毡电极降低欧姆和传质极化，结合流场结构优化。",
                650,
                messages=(
                    "超薄复合膜的机械强度能否满足大面积电堆装配？",
                    "已在 10 kW 电堆上完成装配验证，单片膜面积 0.8 m²，未出现破膜。",
                ),
            ),
        ),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=CLEAN,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        title="燃煤工业锅炉烟气低能耗二氧化碳捕集吸收剂",
        summary="寻求再生能耗低于 2.5 GJ/t CO₂ 的新型胺基吸收剂。",
        problem="我司为燃煤工业锅炉配套碳捕集装置，采用 30% MEA 吸收剂，再生能耗约 3.8 GJ/t CO₂，"
        "胺降解损耗约 1.5 kg/t CO₂，运行成本高。",
        desired_outcome="获得可替换现有吸收剂的配方及工艺参数，并在 1 万吨/年装置上验证。",
        technical_indicators="再生能耗 ≤ 2.5 GJ/t CO₂；捕集率 ≥ 90%；吸收剂损耗 ≤ 0.5 kg/t CO₂；"
        "设备腐蚀速率 ≤ 0.1 mm/a。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("clean-coal", "carbon-neutrality"),
        keywords=("碳捕集", "胺吸收剂", "燃煤锅炉", "再生能耗"),
        min_trl=5,
        budget_wan=(200, 600),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE, CooperationMode.COOPERATIVE_DEVELOPMENT),
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.SHORTLISTED,
                "采用相变吸收剂，吸收 CO₂ 后分相、仅富液相再生，再生能耗约 2.3 GJ/t，已完成千吨级中试。",
                480,
                messages=(
                    "相变吸收剂对现有再生塔是否需要改造？",
                    "需要增加分相器和富液泵，塔体可以沿用，改造投资约 300 万元。",
                ),
            ),
            DemoResponse(
                "cczu_admin",
                ResponseStatus.DECLINED,
                "开发离子液体复合吸收剂，降低再生温度。",
                300,
                ResponseDeclineReason.OTHER,
                "已与其他单位就离子液体方向签订保密协议，暂不考虑同类方案。",
            ),
        ),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=DONGYUE,
        status=Status.PUBLISHED,
        visibility=Visibility.PUBLIC,
        title="燃料电池质子交换膜化学耐久性提升",
        summary="寻求提升燃料电池全氟磺酸质子交换膜化学耐久性的方案。",
        problem="我司 15 μm 增强型质子交换膜在开路电压加速衰减测试中约 400 小时后氢渗透急剧上升，"
        "目标客户要求 ≥ 800 小时。",
        desired_outcome="获得自由基淬灭剂添加及膜结构优化方案，可在现有流延线实施。",
        technical_indicators="OCV 加速测试寿命 ≥ 800 h；氢渗透电流 ≤ 2 mA/cm²；80℃ 质子传导率 ≥ 0.1 S/cm。",
        demand_type=DemandType.PROBLEM_SOLVING,
        fields=("hydrogen", "fluorosilicon-materials"),
        keywords=("质子交换膜", "化学耐久性", "燃料电池"),
        min_trl=5,
        budget_wan=(150, 400),
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.COMMISSIONED_DEVELOPMENT),
        responses=(
            DemoResponse(
                "qibebt_admin",
                ResponseStatus.SUBMITTED,
                "引入铈锰复合氧化物自由基淬灭剂并构建梯度分布，减少淬灭剂迁移流失。",
                300,
            ),
            DemoResponse(
                "sdiit_admin",
                ResponseStatus.SUBMITTED,
                "提供膜电极加速测试平台与失效分析服务，协助定位衰减机理。",
                80,
            ),
        ),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=DONGYUE,
        status=Status.PUBLISHED,
        visibility=Visibility.ANONYMOUS,
        title="碱性电解水制氢高性能复合隔膜",
        summary="寻求碱性电解水制氢用低电阻、低气体渗透的复合隔膜。",
        problem="碱性电解槽现用 PPS 隔膜面电阻较高，在 0.4 A/cm² 时小室电压约 2.0 V；"
        "降低隔膜厚度后气体互窜增加，低负荷运行时氧中氢超标。",
        desired_outcome="开发复合隔膜并完成 1,000 Nm³/h 电解槽验证。",
        technical_indicators="面电阻 ≤ 0.25 Ω·cm²（80℃，30% KOH）；泡点压力 ≥ 2 bar；30% 负荷下氧中氢 ≤ 1%。",
        demand_type=DemandType.JOINT_DEVELOPMENT,
        fields=("hydrogen",),
        keywords=("碱性电解水", "复合隔膜", "制氢"),
        min_trl=4,
        budget_wan=None,
        modes=(CooperationMode.COOPERATIVE_DEVELOPMENT, CooperationMode.LICENSE),
        responses=(
            DemoResponse(
                "cczu_admin",
                ResponseStatus.SUBMITTED,
                "采用聚砜/氧化锆有机—无机复合隔膜，相转化法制备，实测面电阻约 0.2 Ω·cm²。",
                200,
            ),
        ),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=DONGYUE,
        status=Status.SOLVED,
        visibility=Visibility.PUBLIC,
        title="全氟磺酸树脂生产含氟尾气回收利用",
        summary="寻求全氟磺酸树脂生产中含氟尾气的回收提纯技术。",
        problem="我司全氟磺酸树脂生产过程中产生含四氟乙烯、六氟丙烯的尾气，目前焚烧处理，每年损失含氟单体约 120 吨。",
        desired_outcome="建设尾气回收提纯装置，回收单体返回生产。",
        technical_indicators="含氟单体回收率 ≥ 90%；回收单体纯度 ≥ 99.9%；装置投资回收期 ≤ 3 年。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("fluorosilicon-materials", "carbon-neutrality"),
        keywords=("含氟尾气", "回收", "四氟乙烯"),
        min_trl=6,
        budget_wan=(300, 600),
        modes=(CooperationMode.TRANSFER, CooperationMode.COMMISSIONED_DEVELOPMENT),
        note="采用常州大学的深冷—吸附耦合工艺，回收装置已投运。",
        responses=(
            DemoResponse(
                "cczu_admin",
                ResponseStatus.DEAL_STARTED,
                "采用深冷冷凝与变压吸附耦合工艺回收四氟乙烯和六氟丙烯，已在同类装置上应用。",
                450,
                messages=("回收单体中的微量水分如何控制？", "吸附段后设分子筛深度干燥，水分可控制在 5 ppm 以下。"),
            ),
        ),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=CLEAN,
        status=Status.EXPIRED,
        visibility=Visibility.PUBLIC,
        title="压缩空气储能中高温蓄热材料",
        summary="寻求压缩空气储能系统用 300—400℃ 蓄热材料。",
        problem="我司在建的绝热压缩空气储能示范项目需要 300—400℃ 蓄热，现选用的导热油成本高，且存在高温分解风险。",
        desired_outcome="获得低成本的固体或熔盐蓄热方案。",
        technical_indicators="蓄热温度 300—400℃；储热密度 ≥ 500 kJ/kg；循环 5,000 次性能衰减 ≤ 5%；"
        "材料成本 ≤ 2,000 元/吨。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("energy-storage",),
        keywords=("压缩空气储能", "蓄热材料", "熔盐"),
        min_trl=5,
        budget_wan=(100, 300),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE),
        responses=(
            DemoResponse(
                "qibebt_admin", ResponseStatus.WITHDRAWN, "采用低熔点混合硝酸盐熔盐与固体填充床复合蓄热。", 200
            ),
        ),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=DONGYUE,
        status=Status.SUBMITTED,
        visibility=Visibility.PUBLIC,
        recorded=True,
        title="燃料电池膜电极批量一致性在线检测",
        summary="寻求燃料电池膜电极批量生产中的快速在线检测方法。",
        problem="（市科技局需求挖掘）企业膜电极产线年产能 50 万片，目前采用单电池极化曲线抽检，每片约 2 小时，"
        "无法实现全检。",
        desired_outcome="开发在线无损检测方法和设备，实现全检。",
        technical_indicators="单片检测时间 ≤ 30 s；针孔缺陷检出率 ≥ 99%；铂载量测量误差 ≤ 5%。",
        demand_type=DemandType.PILOT_TESTING,
        fields=("hydrogen", "testing-certification"),
        keywords=("膜电极", "在线检测", "燃料电池"),
        min_trl=5,
        budget_wan=(80, 200),
        modes=(CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.SERVICE),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=CLEAN,
        status=Status.DRAFT,
        visibility=Visibility.PUBLIC,
        title="磷酸铁锂储能电站热失控早期预警",
        summary="寻求磷酸铁锂储能电站电池热失控的早期预警技术。",
        problem="我司储能集成产品依靠电压、温度监测判断热失控，预警时间不足 5 分钟，难以满足新版储能安全标准。",
        desired_outcome="开发多参量融合的早期预警系统并接入电池管理系统。",
        technical_indicators="预警提前时间 ≥ 30 min；误报率 ≤ 0.1 次/（舱·年）；支持氢气、一氧化碳与温度多参量融合。",
        demand_type=DemandType.TECHNOLOGY_ACQUISITION,
        fields=("energy-storage",),
        keywords=("储能安全", "热失控", "预警"),
        min_trl=6,
        budget_wan=(50, 150),
        modes=(CooperationMode.TRANSFER, CooperationMode.LICENSE),
    ),
    DemoDemand(
        sector="clean-energy",
        enterprise=DONGYUE,
        status=Status.REJECTED,
        visibility=Visibility.PUBLIC,
        title="掺氢天然气输送管道材料氢脆评价",
        summary="寻求在役天然气管道掺氢输送的材料氢脆评价服务。",
        problem="我司参与园区掺氢天然气示范，需要评估 X52 在役管道在 10% 掺氢比例下的氢脆敏感性，"
        "缺少高压氢环境力学测试条件。",
        desired_outcome="完成材料氢脆评价，并给出安全掺氢比例建议。",
        technical_indicators="测试压力 ≥ 4 MPa；完成慢应变速率拉伸和疲劳裂纹扩展试验；"
        "给出 5%、10%、20% 掺氢比例下的评价结论。",
        demand_type=DemandType.CONSULTING,
        fields=("hydrogen", "testing-certification"),
        keywords=("掺氢天然气", "氢脆", "管道"),
        min_trl=7,
        budget_wan=(30, 60),
        modes=(CooperationMode.SERVICE, CooperationMode.CONSULTING),
        note="该需求属于检验检测服务，请补充拟采用的标准和所需资质，并将需求类型改为“中试或检测”后重新提交。",
    ),
]


# The step ----------------------------------------------------------------------------------------


def seed_demands() -> list[str]:
    """Load the demo demands with their responses and messages (once), and their enterprises and
    users; returns the lines seed_demo prints."""
    # The stories' notification mails (about 200) are sent when the step commits, eagerly in the
    # demo; one log line each would bury the log-ins seed_demo prints.
    with _log_level("celery.app.trace", logging.WARNING), transaction.atomic():
        return _seed()


@contextmanager
def _log_level(name: str, level: int) -> Iterator[None]:
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _seed() -> list[str]:
    _ensure_enterprises()
    lines = _ensure_users()
    # All or nothing: a demo demand edited or deleted on the demo site is not told again.
    if not _demo_demands().exists():
        rng = random.Random(SEED)  # noqa: S311 -- demo data: reproducible, not security-relevant
        cast = _Cast.load()
        for entry in DEMANDS:
            _tell(entry, cast=cast, rng=rng).date(rng)
    return [*lines, _summary()]


def _demo_demands():
    """The demo demands, by enterprise and title."""
    return Demand.objects.filter(
        Q(*[Q(organization__name=entry.enterprise, title=entry.title) for entry in DEMANDS], _connector=Q.OR)
    )


def _ensure_enterprises() -> None:
    now = timezone.now()
    fields = {industry_field.code: industry_field for industry_field in IndustryField.objects.all()}
    for name, short_name, region_code, field_codes in ENTERPRISES:
        organization, created = Organization.objects.get_or_create(
            name=name,
            defaults={
                "short_name": short_name,
                "kind": OrganizationKind.ENTERPRISE,
                "region": Region.objects.get(code=region_code),
                "uscc": demo_uscc("91", region_code, name),
                "verification_status": VerificationStatus.VERIFIED,
                "verified_at": now,
            },
        )
        if created:
            organization.industry_fields.set([fields[code] for code in field_codes if code in fields])


def _ensure_users() -> list[str]:
    """The users of this step and the supply side's administrators (achievements.demo makes them
    too; the demand step may run on its own)."""
    lines = []
    for username, name, organization_name, note in [*SUPPLY_USERS, *USERS]:
        user, created = User.objects.get_or_create(
            username=username, defaults={"name": name, "email": f"{username}@demo.market.local"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            user=user,
            organization=Organization.objects.get(name=organization_name),
            defaults={"role": MembershipRole.ADMIN},
        )
        if (username, name, organization_name, note) in USERS:
            lines.append(f"  {username:<16} {note}")
    return lines


def _summary() -> str:
    demands = _demo_demands()
    statuses = Counter(demands.values_list("status", flat=True))
    responses = DemandResponse.objects.filter(demand__in=demands)
    messages = Message.objects.filter(
        thread_type=ContentType.objects.get_for_model(DemandResponse), thread_id__in=responses.values("pk")
    )
    return (
        f"  demands: {sum(statuses.values())} from {demands.values('organization').distinct().count()} enterprises "
        f"in {len({entry.sector for entry in DEMANDS})} sectors "
        f"({', '.join(f'{status} {statuses[status]}' for status in Status.values)}), "
        f"{responses.count()} responses, {messages.count()} messages"
    )


# Telling a demand's story through the services ---------------------------------------------------


@dataclass
class _Cast:
    users: dict[str, User]
    organizations: dict[str, Organization]
    fields: dict[str, IndustryField]

    @classmethod
    def load(cls) -> _Cast:
        usernames = {
            "reviewer",
            RECORDER,
            *(owner for owner, *_rest in OWNERS.values()),
            *(entry.author for entry in DEMANDS if entry.author),
            *(response.user for entry in DEMANDS for response in entry.responses),
        }
        names = {*OWNERS, *(name for entry in DEMANDS for name in entry.invited)}
        return cls(
            users={user.username: user for user in User.objects.filter(username__in=usernames)},
            organizations={o.name: o for o in Organization.objects.filter(name__in=names)},
            fields={f.code: f for f in IndustryField.objects.select_related("parent")},
        )


@dataclass
class _Step:
    day: float
    # {model: (highest pk before the step, highest pk after it)} of the rows the step may create
    created: dict
    touched: list


# The rows a service writes with the time of writing: they get the time of their step.
_DATED = (
    (TransitionLog, "created_at"),
    (Message, "created_at"),
    (Notification, "created_at"),
    (Demand.history.model, "history_date"),
)


def _high_water_marks() -> dict:
    return {model: model._default_manager.aggregate(top=Max("pk"))["top"] or 0 for model, _name in _DATED}


# (fewest, most) days between a story's last step and today, by the demand's final status
_END_GAP = {
    Status.DRAFT: (1, 20),
    Status.SUBMITTED: (0.5, 5),
    Status.REJECTED: (3, 60),
    Status.PUBLISHED: (0.5, 40),
    Status.NEGOTIATING: (1, 30),
    Status.SOLVED: (10, 90),
    Status.CLOSED: (10, 90),
    Status.EXPIRED: (1, 60),
}


@dataclass
class _Story:
    """The steps of one demand's life, each a number of days after the demand was written."""

    entry: DemoDemand
    demand: Demand | None = None
    steps: list[_Step] = field(default_factory=list)
    day: float = 0.0

    @contextmanager
    def step(self, after_days: float) -> Iterator[list]:
        """A step `after_days` after the previous one; the caller lists the demand or response
        it creates or changes."""
        self.day += after_days
        before = _high_water_marks()
        touched: list = []
        yield touched
        after = _high_water_marks()
        self.steps.append(_Step(self.day, {model: (before[model], after[model]) for model in before}, touched))

    def date(self, rng: random.Random) -> None:
        """Move the story back in time, ending `_END_GAP` days ago, and give each row written in
        a step that step's moment: the demand's and responses' dates, transition log, history,
        messages and notifications."""
        now = timezone.now()
        low, high = _END_GAP[self.entry.status]
        start = now - timedelta(days=rng.uniform(low, high) + self.day)
        first, last = {}, {}
        for step in self.steps:
            moment = start + timedelta(days=step.day)
            for model, name in _DATED:
                before, after = step.created[model]
                if after > before:
                    model._default_manager.filter(pk__gt=before, pk__lte=after).update(**{name: moment})
            before, after = step.created[Notification]
            Notification.objects.filter(pk__gt=before, pk__lte=after, emailed_at__isnull=False).update(
                emailed_at=moment
            )
            for obj in step.touched:
                first.setdefault(obj, moment)
                last[obj] = moment
        for obj in first:
            type(obj).objects.filter(pk=obj.pk).update(created_at=first[obj], updated_at=last[obj])
        self._date_demand(rng, now)

    def _date_demand(self, rng: random.Random, now) -> None:
        demand = self.demand
        logs = list(
            TransitionLog.objects.filter(
                content_type=ContentType.objects.get_for_model(Demand), object_id=demand.pk
            ).order_by("id")
        )
        submitted = [log.created_at for log in logs if log.to_status == Status.SUBMITTED]
        published = [log.created_at for log in logs if log.to_status == Status.PUBLISHED]
        changes = {
            "submitted_at": submitted[-1] if submitted else None,
            "published_at": published[0] if published else None,
            "confirmed_at": published[0] if published else None,
        }
        if self.entry.recorded and submitted:
            changes["enterprise_confirmed_at"] = submitted[0]
        if published:
            # Enterprises re-confirm their open demands (freshness); older ones did so lately.
            age = (now - published[0]).days
            if age > settings.FRESHNESS_DAYS - 30:
                changes["confirmed_at"] = now - timedelta(days=rng.uniform(1, 30))
            changes["view_count"] = rng.randint(30, 900)
        if self.entry.status == Status.EXPIRED:
            # The beat job expires a demand the day after its deadline.
            changes["deadline"] = (logs[-1].created_at - timedelta(days=1)).date()
        Demand.objects.filter(pk=demand.pk).update(**changes)


def _tell(entry: DemoDemand, *, cast: _Cast, rng: random.Random) -> _Story:
    """Take one demand from its writing to its final status through the services."""
    story = _Story(entry)
    users = cast.users
    owner_name, contact, phone, domain = OWNERS[entry.enterprise]
    owner = users[owner_name]
    reviewer = users["reviewer"]
    enterprise = cast.organizations[entry.enterprise]
    author = users[RECORDER] if entry.recorded else users[entry.author or owner_name]
    budget = {"budget_negotiable": True}
    if entry.budget_wan:
        budget = {"budget_min": entry.budget_wan[0] * WAN, "budget_max": entry.budget_wan[1] * WAN}
    with story.step(0) as touched:
        story.demand = demand = demand_create(
            user=author,
            organization=enterprise,
            source=Source.STAFF if entry.recorded else Source.ENTERPRISE,
            cooperation_modes=entry.modes,
            industry_fields=[cast.fields[code] for code in entry.fields],
            invited_organizations=[cast.organizations[name] for name in entry.invited],
            title=entry.title,
            summary=entry.summary,
            problem=entry.problem,
            desired_outcome=entry.desired_outcome,
            technical_indicators=entry.technical_indicators,
            demand_type=entry.demand_type,
            visibility=entry.visibility,
            keywords=list(entry.keywords),
            min_trl=entry.min_trl,
            # Any deadline still ahead: an expired demand gets its past one when it is dated.
            deadline=timezone.localdate() + timedelta(days=rng.randint(60, 240)),
            contact_name=contact,
            contact_phone=phone,
            contact_email=f"rd@{domain}.demo.market.local",
            **budget,
        )
        touched.append(demand)
    if entry.status == Status.DRAFT:
        return story

    with story.step(rng.uniform(1, 6)) as touched:
        if entry.recorded:
            demand_confirm_recorded(demand=demand, user=owner)
        else:
            demand_submit(demand=demand, user=author)
        touched.append(demand)
    if entry.status == Status.SUBMITTED:
        return story
    if entry.status == Status.REJECTED:
        with story.step(rng.uniform(1, 5)) as touched:
            demand_reject(demand=demand, reviewer=reviewer, reason=entry.note)
            touched.append(demand)
        return story
    with story.step(rng.uniform(1, 5)) as touched:
        demand_publish(demand=demand, reviewer=reviewer)
        touched.append(demand)

    _respond(story, cast=cast, owner=owner, rng=rng)
    if entry.status not in (Status.SOLVED, Status.CLOSED, Status.EXPIRED):
        return story
    with story.step(rng.uniform(10, 40)) as touched:
        match entry.status:
            case Status.SOLVED:
                demand_mark_solved(demand=demand, user=owner, note=entry.note)
            case Status.CLOSED:
                demand_close(demand=demand, user=owner, note=entry.note)
            case Status.EXPIRED:
                # What the beat job writes (demands_expire).
                LIFECYCLE.apply(demand, Status.EXPIRED, reason=_("The deadline has passed."))
        touched.append(demand)
    return story


# Withdrawals and refusals come before the shortlist, a deal last.
_DECISION_ORDER = {
    ResponseStatus.SUBMITTED: 0,
    ResponseStatus.WITHDRAWN: 1,
    ResponseStatus.DECLINED: 2,
    ResponseStatus.SHORTLISTED: 3,
    ResponseStatus.DEAL_STARTED: 4,
}


def _respond(story: _Story, *, cast: _Cast, owner: User, rng: random.Random) -> None:
    """The responses: written one after another, then the questions and answers, then the
    enterprise's decisions (a deal last, as it moves the demand to negotiation)."""
    demand, entry = story.demand, story.entry
    responses = []
    for plan in entry.responses:
        responder = cast.users[plan.user]
        with story.step(rng.uniform(2, 12)) as touched:
            response = response_create(
                demand=demand,
                user=responder,
                approach=plan.approach,
                team=TEAMS[plan.user],
                price_idea=plan.price_wan * WAN if plan.price_wan else None,
                achievements=_linked_achievements(responder, entry, cast),
            )
            touched.append(response)
        responses.append((plan, response, responder))
    for plan, response, responder in responses:
        for turn, body in enumerate(plan.messages):
            with story.step(rng.uniform(0.5, 4)) as touched:
                response_message(response=response, user=owner if turn % 2 == 0 else responder, body=body)
                touched.append(response)
    for plan, response, responder in sorted(responses, key=lambda item: _DECISION_ORDER[item[0].status]):
        if plan.status == ResponseStatus.SUBMITTED:
            continue
        with story.step(rng.uniform(2, 10)) as touched:
            match plan.status:
                case ResponseStatus.WITHDRAWN:
                    response_withdraw(response=response, user=responder)
                case ResponseStatus.DECLINED:
                    response_decline(response=response, user=owner, reason=plan.reason, note=plan.note)
                case ResponseStatus.SHORTLISTED | ResponseStatus.DEAL_STARTED:
                    response_shortlist(response=response, user=owner)
            touched.append(response)
        if plan.status == ResponseStatus.DEAL_STARTED:
            with story.step(rng.uniform(5, 20)) as touched:
                response_start_deal(response=response, user=owner)
                touched.extend([response, demand])


def _linked_achievements(responder: User, entry: DemoDemand, cast: _Cast) -> list[Achievement]:
    """One of the responder's published achievements in the demand's sectors, when it has any
    (the achievement step may not have run). Chosen by a generator of its own, so the demo's
    dates do not depend on whether there are achievements."""
    sectors = {cast.fields[code].parent.code if cast.fields[code].parent else code for code in entry.fields}
    candidates = list(
        Achievement.objects.filter(
            organization__memberships__user=responder,
            status=AchievementStatus.PUBLISHED,
            industry_fields__in=[f for f in cast.fields.values() if (f.parent.code if f.parent else f.code) in sectors],
        )
        .distinct()
        .order_by("pk")[:50]
    )
    rng = random.Random(f"{SEED}:{entry.title}:{responder.username}")  # noqa: S311 -- demo data
    return [rng.choice(candidates)] if candidates else []

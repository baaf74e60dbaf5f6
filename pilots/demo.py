"""Demo data of pilot bases and proof-of-concept centres (中试基地 / 概念验证中心) in the seed
cities: each run by a pilot-operator organization with its administrator, described with its
processes, equipment (parameters, fees) and priced services, and filed through the services
(created → filing document uploaded → applied → approved by the demo reviewer at the level the
bureau confirms). One filing waits in the reviewer's queue, one was rejected and one revoked,
each with its reason; last year's re-evaluations and facility subsidies are recorded; the demo
enterprises' service requests stand in every status, bookings and outcome report included.

Every story runs through pilots.services at its own moment in the past (demands.demo_challenges
._clock), so the transition log, the notifications and the dates agree. Runs after
seed_parties and before the search index. Idempotent: once the demo bases exist, a second run
only makes sure the operators' users exist and prints the log-ins.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from demands.demo import _log_level
from demands.demo_challenges import _clock
from marketplace.demo import DEMO_PASSWORD, demo_uscc
from marketplace.enums import FilePurpose, MembershipRole, OrganizationKind, VerificationStatus
from marketplace.models import IndustryField, Membership, Organization, Region, User
from pilots import services
from pilots.enums import BaseKind, BaseLevel, FeeUnit, FilingStatus, RequestStatus, ReviewOutcome
from pilots.models import Equipment, FacilitySubsidy, PilotBase, PilotService, ServiceRequest

REVIEWER = "reviewer"


@dataclass(frozen=True)
class DemoBase:
    key: str
    name: str
    operator: str
    operator_short: str
    username: str  # the operator's administrator
    person: str
    region: str
    kind: str
    level: str  # the level applied for
    fields: tuple[str, ...]
    address: str
    introduction: str
    processes: str
    scale: str
    qualifications: str
    phone: str
    trl: tuple[int, int]
    equipment: tuple[tuple[str, str, str, int | None, str], ...]  # name, model, parameters, fee, unit
    service_list: tuple[tuple[str, str, int | None, str], ...]  # name, description, price, unit
    status: str = FilingStatus.APPROVED
    confirmed_level: str = ""  # the level the bureau confirmed, if not the one applied for
    applied_days_ago: int = 420
    reason: str = ""  # of a rejection or revocation
    review: tuple[str, str] | None = None  # last year's re-evaluation: outcome, note
    subsidies: tuple[tuple[str, int, int, str], ...] = ()  # facility, investment, subsidy, document number


BASES = [
    DemoBase(
        "changxing",
        "大连长兴岛洁净能源与精细化工中试基地",
        "大连长兴岛中试科技服务有限公司",
        "长兴岛中试",
        "pilot_changxing",
        "刘中试",
        "210281",
        BaseKind.PILOT_BASE,
        BaseLevel.PROVINCIAL,
        ("clean-energy", "fine-chemicals", "petrochemicals"),
        "大连长兴岛经济区新港村石化产业园区中试路 8 号",
        "依托长兴岛石化产业基地建设的公共中试平台，面向洁净能源、精细化工与化工新材料成果，"
        "提供工艺放大、连续化改造、安全评估与小批量试产服务，园区内危化品中试手续齐全。",
        "精细化工连续流合成、催化剂评价与放大、煤基与生物基燃料中试、精馏分离纯化、"
        "反应安全风险评估（HAZOP、RC1 量热）、百公斤至吨级小批量试产",
        "百公斤级至吨级中试线 4 条，甲类中试车间 3,600 ㎡",
        "安全生产许可证、危险化学品经营许可证、ISO 9001、ISO 45001、CNAS 实验室认可",
        "0411-85766000",
        (4, 7),
        (
            ("连续流微通道反应器", "Corning G4", "通量 10–200 L/h，耐压 1.8 MPa，温度 −60～200 ℃", 1200, FeeUnit.HOUR),
            ("500 L 搪玻璃反应釜", "K-500", "设计压力 0.4 MPa，夹套加热冷却 −20～180 ℃，防爆电机", 4800, FeeUnit.BATCH),
            ("固定床催化剂评价装置", "FB-8", "8 通道并行，2–10 MPa，最高 650 ℃，在线气相色谱", 3000, FeeUnit.DAY),
            ("反应量热仪", "Mettler RC1mx", "绝热温升与放热速率测定，用于反应安全风险评估", 6000, FeeUnit.SAMPLE),
        ),
        (
            (
                "精细化工工艺中试放大",
                "实验室克级工艺放大到百公斤级，含工艺优化、物料衡算与中试报告",
                80000,
                FeeUnit.BATCH,
            ),
            ("反应安全风险评估", "按《精细化工反应安全风险评估导则》出具评估报告", 35000, FeeUnit.PROJECT),
            ("催化剂评价与寿命试验", "固定床/浆态床催化剂活性、选择性与 1,000 小时寿命试验", None, FeeUnit.PROJECT),
        ),
        confirmed_level=BaseLevel.NATIONAL,
        applied_days_ago=430,
        review=(ReviewOutcome.PASSED, "年度服务企业 46 家，完成中试项目 31 项，运行良好。"),
        subsidies=(("连续流微反应中试线", 12_600_000, 5_000_000, "大科发〔2025〕37号"),),
    ),
    DemoBase(
        "laoshan",
        "青岛崂山生物与海洋概念验证中心",
        "青岛崂山概念验证中心运营有限公司",
        "崂山概念验证",
        "pilot_laoshan",
        "孙验证",
        "370212",
        BaseKind.POC_CENTRE,
        BaseLevel.PROVINCIAL,
        ("biotechnology", "marine-biology", "innovative-drugs"),
        "青岛市崂山区株洲路 187 号蓝色硅谷创业中心 B 座",
        "面向高校院所早期成果的概念验证中心，提供技术可行性验证、原型制备、市场与知识产权分析，"
        "联合天使基金为通过验证的项目对接首轮投资。",
        "酶制剂与微生物菌种发酵验证、海洋活性物质提取纯化、原型样品制备、技术经济性分析、专利自由实施（FTO）分析",
        "50 L–500 L 发酵验证平台，GMP 级洁净间 800 ㎡",
        "CMA、ISO 9001、实验动物使用许可证",
        "0532-88701234",
        (2, 5),
        (
            ("50 L 全自动发酵罐", "BIOTECH-50JS", "装液量 35 L，pH/DO/温度在线控制，补料四路", 600, FeeUnit.DAY),
            ("高效液相色谱-质谱联用仪", "Agilent 6545 Q-TOF", "分辨率 > 40,000，质量精度 < 1 ppm", 900, FeeUnit.SAMPLE),
            ("冷冻干燥机", "LYO-10", "搁板面积 1 ㎡，冷阱 −80 ℃", 300, FeeUnit.HOUR),
        ),
        (
            ("概念验证项目（技术可行性）", "三个月内完成关键指标验证并出具概念验证报告", 60000, FeeUnit.PROJECT),
            ("菌种发酵工艺验证", "摇瓶到 50 L 发酵罐的放大验证与工艺参数包", 25000, FeeUnit.BATCH),
        ),
        applied_days_ago=400,
        review=(ReviewOutcome.RECTIFY, "概念验证项目台账不全，须在三个月内补齐投资对接记录。"),
        subsidies=(("GMP 级概念验证洁净间", 3_200_000, 960_000, "青科发〔2025〕21号"),),
    ),
    DemoBase(
        "zibo",
        "淄博齐鲁化学工业区新材料中试基地",
        "淄博齐鲁新材料中试服务有限公司",
        "齐鲁新材料中试",
        "pilot_zibo",
        "王放大",
        "370305",
        BaseKind.PILOT_BASE,
        BaseLevel.PROVINCIAL,
        ("new-materials", "fluorosilicon-materials", "advanced-polymers"),
        "淄博市临淄区齐鲁化学工业区清田路 99 号",
        "齐鲁化学工业区内的新材料公共中试基地，聚焦氟硅材料、高性能聚合物与膜材料，"
        "提供聚合工艺放大、改性造粒与制品试制服务，配套检测分析中心。",
        "氟硅单体与聚合物中试、溶液/悬浮聚合放大、双螺杆改性造粒、流延与涂布成膜、质子交换膜与分离膜试制、材料性能检测",
        "年产 200 吨中试装置 2 套，膜材料试制线 1 条",
        "安全生产许可证、CNAS、CMA、ISO 14001",
        "0533-7581234",
        (4, 7),
        (
            ("双螺杆挤出造粒机组", "ZSK-40", "螺杆直径 40 mm，长径比 48，产能 20–80 kg/h", 700, FeeUnit.HOUR),
            ("精密涂布试制线", "CT-600", "幅宽 600 mm，线速度 0.5–20 m/min，三段烘箱", 1500, FeeUnit.HOUR),
            ("200 L 高压聚合釜", "HP-200", "设计压力 10 MPa，哈氏合金内衬，适用含氟单体", 9000, FeeUnit.BATCH),
        ),
        (
            ("聚合工艺中试放大", "从实验室配方到 200 L 聚合釜的放大与工艺包", 120000, FeeUnit.BATCH),
            ("膜材料涂布试制", "质子交换膜、分离膜的涂布成膜试制与性能测试", 45000, FeeUnit.BATCH),
            ("材料性能检测", "力学、热学与电化学性能检测，出具 CMA 报告", 3000, FeeUnit.SAMPLE),
        ),
        applied_days_ago=410,
        review=(ReviewOutcome.PASSED, "服务区内外企业 28 家，中试成果转化项目 9 项。"),
        subsidies=(
            ("含氟聚合物中试装置", 18_000_000, 5_000_000, "淄科字〔2025〕8号"),
            ("膜材料精密涂布线", 6_400_000, 1_920_000, "淄科字〔2025〕8号"),
        ),
    ),
    DemoBase(
        "changzhou",
        "常州科教城概念验证中心",
        "常州科教城概念验证中心有限公司",
        "科教城概念验证",
        "pilot_changzhou",
        "钱转化",
        "320412",
        BaseKind.POC_CENTRE,
        BaseLevel.MUNICIPAL,
        ("new-materials", "intelligent-manufacturing", "new-energy-batteries"),
        "常州市武进区常州科教城创研港 5 号楼",
        "服务常州大学等在常高校院所的概念验证中心，提供样机试制、小试验证与商业化评估，"
        "对通过验证的项目给予技术转移与经纪人服务支持。",
        "锂电材料小试与扣电/软包电池验证、样机结构设计与 3D 打印试制、商业化可行性评估",
        "软包电池试制线 1 条，样机工坊 600 ㎡",
        "ISO 9001",
        "0519-86339000",
        (3, 5),
        (
            ("软包电池试制线", "PB-LINE-1", "叠片、注液、化成一体，日产 50 支 5 Ah 软包", 2000, FeeUnit.DAY),
            ("工业级 3D 打印机", "EOS P396", "尼龙粉末烧结，成型尺寸 340×340×600 mm", 400, FeeUnit.HOUR),
        ),
        (
            ("电池材料概念验证", "正负极材料扣电与软包电池验证，出具验证报告", 40000, FeeUnit.PROJECT),
            ("样机试制", "结构设计、3D 打印与装配调试", None, FeeUnit.PROJECT),
        ),
        applied_days_ago=200,
    ),
    DemoBase(
        "huangdao",
        "青岛西海岸海洋装备中试基地",
        "青岛西海岸中试服务有限公司",
        "西海岸中试",
        "pilot_huangdao",
        "周装备",
        "370211",
        BaseKind.PILOT_BASE,
        BaseLevel.MUNICIPAL,
        ("marine-equipment", "high-end-equipment"),
        "青岛市黄岛区海西路 1688 号",
        "面向海洋装备与高端装备成果的中试基地，提供水池试验、压力舱试验与样机总装联调。",
        "水下装备耐压试验、水池拖曳与自航试验、样机总装与联调、可靠性加速试验",
        "深水试验池 50×20×10 m，压力舱 60 MPa",
        "CNAS、中国船级社认可",
        "0532-86881000",
        (5, 7),
        (
            ("深海压力模拟舱", "PC-60", "内径 1.2 m，最高 60 MPa，保压 72 小时", 5000, FeeUnit.DAY),
            ("拖曳水池", "TT-50", "50×20×10 m，拖车速度 0.1–6 m/s", 8000, FeeUnit.DAY),
        ),
        (("水下装备耐压试验", "按 GB/T 或船级社规范完成耐压与密封试验", 30000, FeeUnit.PROJECT),),
        applied_days_ago=400,  # filed over a year ago, not re-evaluated yet: overdue
    ),
    DemoBase(
        "jiangmen",
        "江门激光与增材制造中试基地",
        "江门增材制造中试科技有限公司",
        "江门增材中试",
        "pilot_jiangmen",
        "何增材",
        "440704",
        BaseKind.PILOT_BASE,
        BaseLevel.MUNICIPAL,
        ("laser-additive-manufacturing", "metal-materials"),
        "江门市江海区高新西路 128 号",
        "服务粤港澳大湾区西岸的激光与增材制造中试平台，提供金属粉末制备、打印工艺开发与后处理。",
        "金属粉末气雾化制备、激光选区熔化（SLM）工艺开发、热等静压与热处理、无损检测",
        "金属增材制造中试线 1 条，粉末产能 30 吨/年",
        "ISO 9001、AS9100D（在审）",
        "0750-3861234",
        (4, 6),
        (
            ("激光选区熔化设备", "BLT-S450", "成型尺寸 450×450×500 mm，4×500 W 激光", 1500, FeeUnit.HOUR),
            ("真空气雾化制粉设备", "VIGA-50", "单炉 50 kg，粒径 15–53 μm 收得率 > 40%", 12000, FeeUnit.BATCH),
        ),
        (("金属增材工艺开发", "材料—参数—性能一体的工艺窗口开发", 50000, FeeUnit.PROJECT),),
        status=FilingStatus.APPLIED,
        applied_days_ago=6,
    ),
    DemoBase(
        "jinpu",
        "金普新区海洋生物概念验证中心",
        "大连金普概念验证服务有限公司",
        "金普概念验证",
        "pilot_jinpu",
        "马海洋",
        "210213",
        BaseKind.POC_CENTRE,
        BaseLevel.PROVINCIAL,
        ("marine-biology", "food-processing"),
        "大连市金州区金州湾海洋生物产业园 2 号楼",
        "面向海洋生物与食品成果的概念验证中心（筹建中）。",
        "海洋生物活性物质提取验证、功能食品配方验证",
        "验证实验室 400 ㎡",
        "",
        "0411-87601234",
        (2, 4),
        (("超临界萃取装置", "SFE-5L", "5 L 萃取釜，最高 50 MPa", 800, FeeUnit.BATCH),),
        (("活性物质提取验证", "实验室工艺到 5 L 萃取的验证", 20000, FeeUnit.PROJECT),),
        status=FilingStatus.REJECTED,
        applied_days_ago=40,
        reason="申请材料缺少场地产权或租赁证明，验证服务台账不足一年，请补齐后重新申请。",
    ),
    DemoBase(
        "huantai",
        "桓台精细化工中试基地",
        "桓台县化工中试服务有限公司",
        "桓台化工中试",
        "pilot_huantai",
        "田安全",
        "370321",
        BaseKind.PILOT_BASE,
        BaseLevel.MUNICIPAL,
        ("fine-chemicals", "pharmaceutical-intermediates"),
        "淄博市桓台县马桥化工园区中试区 3 号",
        "精细化工与医药中间体中试基地。",
        "医药中间体合成中试、结晶与干燥",
        "百公斤级中试线 1 条",
        "安全生产许可证",
        "0533-8211234",
        (4, 6),
        (("1000 L 不锈钢反应釜", "SS-1000", "设计压力 0.3 MPa，−10～150 ℃", 5000, FeeUnit.BATCH),),
        (("医药中间体中试", "克级工艺放大至百公斤级", 70000, FeeUnit.BATCH),),
        applied_days_ago=380,
        status=FilingStatus.REVOKED,
        reason="年度检查发现擅自变更中试场地且未重新办理安全评价，撤销备案。",
    ),
]


@dataclass(frozen=True)
class DemoRequest:
    base: str  # DemoBase.key
    requester: str  # username of the requester (a member of the requesting organization)
    title: str
    process: str
    quantity: str
    status: str
    submitted_days_ago: int
    service: int | None = 0  # index in the base's services, None for none
    quote: int | None = None
    reason: str = ""
    report: str = ""


REQUESTS = [
    DemoRequest(
        "changxing",
        "dongyue_admin",
        "全氟磺酸树脂单体连续化合成中试",
        "将间歇釜式合成的全氟磺酰氟乙烯基醚单体改为连续流工艺，验证收率与安全性，目标放大到 50 kg/批。",
        "3 批次，每批 50 kg",
        RequestStatus.SUBMITTED,
        2,
    ),
    DemoRequest(
        "laoshan",
        "vland_admin",
        "耐高温植酸酶概念验证",
        "验证新型耐高温植酸酶在 50 L 发酵罐的表达水平与制粒耐受性（85 ℃ 残余酶活 ≥ 80%）。",
        "2 批发酵",
        RequestStatus.QUOTED,
        9,
        service=1,
        quote=48000,
    ),
    DemoRequest(
        "zibo",
        "dongyue_admin",
        "增强型质子交换膜涂布试制",
        "在精密涂布线上试制 15 μm 增强型全氟磺酸质子交换膜，验证厚度均匀性与机械强度。",
        "200 m²",
        RequestStatus.ACCEPTED,
        12,
        service=1,
    ),
    DemoRequest(
        "changxing",
        "vland_admin",
        "饲料添加剂中间体连续流合成放大",
        "将某饲料添加剂关键中间体的硝化步骤放大到连续流微通道反应器，完成 3 批工艺验证与安全评估。",
        "3 批次",
        RequestStatus.SCHEDULED,
        6,
        service=0,
    ),
    DemoRequest(
        "changxing",
        "dongyue_admin",
        "含氟精细化学品反应安全风险评估",
        "对含氟中间体的重氮化与氟化反应进行 RC1 量热与绝热加速试验，出具反应安全风险评估报告。",
        "2 个反应步骤",
        RequestStatus.IN_PROGRESS,
        14,
        service=1,
    ),
    DemoRequest(
        "zibo",
        "vland_admin",
        "生物基聚酯改性造粒中试",
        "以生物基聚酯为基料，完成增韧改性配方在双螺杆挤出机上的放大造粒与性能检测。",
        "500 kg",
        RequestStatus.COMPLETED,
        90,
        service=0,
        quote=96000,
        report="完成三批共 520 kg 改性造粒，缺口冲击强度由 4.2 kJ/m² 提升至 11.8 kJ/m²，熔指稳定在 "
        "12±1 g/10 min；第二批因喂料波动产出 30 kg 次品，已调整失重称参数。建议下一步在 1 吨级线验证连续生产稳定性，"
        "检测报告（CMA）与工艺参数包已随报告提交。",
    ),
    DemoRequest(
        "zibo",
        "qibebt_admin",
        "钠离子电池硬碳负极材料千克级制备",
        "以生物质为前驱体制备硬碳负极材料，要求千克级碳化与包覆。",
        "5 kg",
        RequestStatus.DECLINED,
        25,
        service=None,
        reason="本基地暂无碳化炉，无法开展千克级碳化，建议联系常州科教城概念验证中心。",
    ),
    DemoRequest(
        "changzhou",
        "vland_admin",
        "酶法合成软包电池电解液添加剂验证",
        "验证酶法合成添加剂在 5 Ah 软包电池中的循环性能。",
        "20 支软包电池",
        RequestStatus.WITHDRAWN,
        15,
        service=0,
        reason="公司内部调整研发计划，该项目暂缓，撤回申请。",
    ),
]


@dataclass
class _Cast:
    now: datetime
    users: dict[str, User]
    bases: dict[str, PilotBase] = field(default_factory=dict)

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def user(self, username: str) -> User:
        # A fresh object: the membership roles are cached on the user object.
        return User.objects.get(username=username)


def seed_pilots(stdout=None) -> list[str]:
    """Load the demo bases and their stories (once); returns the lines seed_demo prints."""
    with _log_level("celery.app.trace", logging.WARNING), transaction.atomic():
        lines = _ensure_operators()
        if not PilotBase.objects.filter(name__in=[b.name for b in BASES]).exists():
            cast = _Cast(now=timezone.now(), users={u.username: u for u in User.objects.all()})
            for demo in BASES:
                _file_base(cast, demo)
            _tell_requests(cast)
        return [*lines, _summary()]


def _ensure_operators() -> list[str]:
    """The pilot-operator organizations and their administrators."""
    now = timezone.now()
    fields = {f.code: f for f in IndustryField.objects.all()}
    lines = []
    for demo in BASES:
        organization, created = Organization.objects.get_or_create(
            name=demo.operator,
            defaults={
                "short_name": demo.operator_short,
                "kind": OrganizationKind.PILOT_OPERATOR,
                "region": Region.objects.get(code=demo.region),
                "uscc": demo_uscc("91", demo.region, demo.operator),
                "verification_status": VerificationStatus.VERIFIED,
                "verified_at": now,
            },
        )
        if created:
            organization.industry_fields.set([fields[code] for code in demo.fields if code in fields])
        user, created = User.objects.get_or_create(
            username=demo.username, defaults={"name": demo.person, "email": f"{demo.username}@demo.market.local"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": MembershipRole.ADMIN})
        lines.append(f"  {demo.username:<16} pilot operator administrator ({demo.operator_short}, {demo.status})")
    return lines


def filing_pdf(title: str) -> SimpleUploadedFile:
    """The filing application (备案申请表) an operator uploads: a one-page PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"{title} 备案申请表"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile("中试基地备案申请表.pdf", buffer.getvalue(), "application/pdf")


def _file_base(cast: _Cast, demo: DemoBase) -> None:
    """Describe, equip, apply; the bureau decides as far as the demo's status goes."""
    operator = Organization.objects.get(name=demo.operator)
    fields = list(IndustryField.objects.filter(code__in=demo.fields))
    day = demo.applied_days_ago
    with _clock(cast.at(day + 5)):
        user = cast.user(demo.username)
        base = services.base_create(
            user=user,
            operator=operator,
            industry_fields=fields,
            name=demo.name,
            kind=demo.kind,
            level=demo.level,
            region=Region.objects.get(code=demo.region),
            address=demo.address,
            introduction=demo.introduction,
            processes=demo.processes,
            scale=demo.scale,
            trl_min=demo.trl[0],
            trl_max=demo.trl[1],
            qualifications=demo.qualifications,
            contact_name=demo.person,
            contact_phone=demo.phone,
            contact_email=f"{demo.username}@demo.market.local",
        )
        for name, model, parameters, fee, unit in demo.equipment:
            services.equipment_save(
                base=base,
                user=user,
                name=name,
                model_number=model,
                parameters=parameters,
                is_shared=True,
                fee=Decimal(fee) if fee is not None else None,
                fee_unit=unit,
            )
        for name, description, price, unit in demo.service_list:
            services.service_save(
                base=base,
                user=user,
                name=name,
                description=description,
                price=Decimal(price) if price is not None else None,
                price_unit=unit,
            )
        services.base_add_file(
            base=base, user=user, uploaded=filing_pdf(demo.name), purpose=FilePurpose.FILING_DOCUMENT
        )
    with _clock(cast.at(day)):
        services.base_apply(base=base, user=user)
    cast.bases[demo.key] = base
    if demo.status == FilingStatus.APPLIED:
        return
    reviewer = cast.user(REVIEWER)
    decided = max(day - 20, 1)
    with _clock(cast.at(decided)):
        if demo.status == FilingStatus.REJECTED:
            services.base_reject(base=base, reviewer=reviewer, reason=demo.reason)
            return
        services.base_approve(
            base=base,
            reviewer=reviewer,
            level=demo.confirmed_level or None,
            filing_number=f"中试备〔{cast.at(decided):%Y}〕{len(cast.bases):02d}号",
        )
    for facility, investment, subsidy, number in demo.subsidies:
        granted = cast.at(decided - 60)
        record = FacilitySubsidy(
            base=base,
            facility=facility,
            year=granted.year,
            investment=Decimal(investment),
            subsidy=Decimal(subsidy),
            document_number=number,
            granted_on=timezone.localdate(granted),
            note="按设备投资额的 30% 给予补助，单个设施最高 500 万元。",
        )
        services.subsidy_check(record)
        with _clock(granted):
            record.save()
    if demo.review is not None and decided > 365:
        # The first re-evaluation fell due a year after the filing: last year's is recorded.
        outcome, note = demo.review
        with _clock(cast.at(decided - 366)):
            services.base_review(base=base, reviewer=reviewer, year=cast.now.year - 1, outcome=outcome, note=note)
    if demo.status == FilingStatus.REVOKED:
        with _clock(cast.at(10)):
            services.base_revoke(base=base, reviewer=reviewer, reason=demo.reason)


def _tell_requests(cast: _Cast) -> None:
    """Each request from submission to its status, at its moments in the past; the bookings of
    scheduled and running work lie ahead of those moments."""
    for demo in REQUESTS:
        base = cast.bases[demo.base]
        requester = cast.user(demo.requester)
        organization = requester.memberships.order_by("pk").first().organization
        operator = cast.user(next(b.username for b in BASES if b.key == demo.base))
        base_services = list(PilotService.objects.filter(base=base).order_by("pk"))
        service = base_services[demo.service] if demo.service is not None else None
        day = demo.submitted_days_ago
        with _clock(cast.at(day)):
            start = timezone.localdate() + timedelta(days=7)
            request = services.request_submit(
                user=requester,
                organization=organization,
                base=base,
                service=service,
                title=demo.title,
                process=demo.process,
                quantity=demo.quantity,
                start_on=start,
                end_on=start + timedelta(days=30),
            )
        if demo.status == RequestStatus.SUBMITTED:
            continue
        with _clock(cast.at(day - 1)):
            if demo.status == RequestStatus.DECLINED:
                services.request_decline(request=request, user=operator, reason=demo.reason)
                continue
            if demo.quote is not None:
                services.request_quote(
                    request=request, user=operator, amount=demo.quote, note="含原料、能耗与检测费用，不含运输。"
                )
        if demo.status == RequestStatus.QUOTED:
            continue
        with _clock(cast.at(day - 2)):
            if demo.status == RequestStatus.WITHDRAWN:
                services.request_withdraw(request=request, user=requester, reason=demo.reason)
                continue
            services.request_accept(request=request, user=requester if demo.quote is not None else operator)
        if demo.status == RequestStatus.ACCEPTED:
            continue
        equipment = list(Equipment.objects.filter(base=base).order_by("pk"))
        with _clock(cast.at(day - 3)):
            # Working hours from the week after, on the first two machines.
            first = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=7)
            slots = [
                (equipment[0], first, first + timedelta(hours=10)),
                (equipment[0], first + timedelta(days=1), first + timedelta(days=1, hours=10)),
                (equipment[-1], first + timedelta(days=2), first + timedelta(days=2, hours=8)),
            ]
            services.request_book(request=request, user=operator, slots=slots)
        if demo.status == RequestStatus.SCHEDULED:
            continue
        with _clock(cast.at(day - 10)):
            services.request_start(request=request, user=operator)
        if demo.status == RequestStatus.IN_PROGRESS:
            continue
        with _clock(cast.at(day - 40)):
            services.request_complete(request=request, user=operator, report=demo.report)


def _summary() -> str:
    filed = PilotBase.objects.filed().count()
    queue = PilotBase.objects.filter(status=FilingStatus.APPLIED).count()
    requests = ServiceRequest.objects.count()
    return (
        f"  pilot bases: {filed} filed, {queue} in the review queue, {requests} service requests "
        "(/pilots/, admin: /admin/pilots/)"
    )

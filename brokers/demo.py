"""Demo data of technology brokers (技术经纪人): brokers of every level in the demo transfer and
service agencies, filed through the services (the agency confirms, the bureau approves), a
filing waiting for its agency, one waiting for the bureau, a suspended broker, level upgrades
(one approved, one rejected, one waiting for review), engagements (撮合) in every stage on the
demo demands and achievements, and a demand a broker recorded for an enterprise (需求挖掘)
that waits for the enterprise's confirmation.

Every story runs through brokers.services at its own moment in the past (demands.demo_challenges
._clock), so the transition log, the notifications and the dates agree. Runs after the deal step
(a demo deal on an open demand is what one engagement ends in) and before the search index and
the matches. Idempotent: once the demo brokers have profiles, a second run only makes sure
their users exist and prints the log-ins.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement
from brokers import services
from brokers.enums import EngagementStage, FilingStatus, Level
from brokers.models import BrokerProfile, Engagement
from demands.demo import _log_level
from demands.demo_challenges import _clock
from demands.enums import CooperationMode, DemandType, Visibility
from demands.models import Demand
from demands.rules import OPEN_STATUSES
from marketplace.demo import DEMO_PASSWORD
from marketplace.enums import DealStage, MembershipRole
from marketplace.models import Deal, IndustryField, Membership, Organization, Region, User

CCZU_TTO = "江苏省技术转移(常州大学)研究院"
JINPU_TTO = "金普新区科技成果转化(技术转移)中心"
LUZHONG = "山东鲁中技术市场服务中心"
DALIAN = "上海技术交易所大连服务中心"
REVIEWER = "reviewer"


@dataclass(frozen=True)
class DemoBroker:
    username: str
    name: str
    agency: str
    level: str
    status: str
    specialities: tuple[str, ...]
    regions: tuple[str, ...]
    introduction: str
    issued: date = date(2024, 5, 20)
    expires: date | None = date(2028, 5, 20)
    note: str = ""  # the reason of a rejection or suspension
    upgrade_to_senior: bool = False  # filed as intermediate, upgraded by application
    login: str = ""


# (username, name, agency name, note) — agency administrators who confirm their brokers' filings
# (江苏省技术转移(常州大学)研究院's is agency_admin, from marketplace.demo).
AGENCY_ADMINS = [
    ("jinpu_admin", "孔主任", JINPU_TTO, "transfer agency administrator (confirms broker filings)"),
    ("luzhong_admin", "曹主任", LUZHONG, "service agency administrator (confirms broker filings)"),
    ("dalian_admin", "严主任", DALIAN, "service agency administrator (confirms broker filings)"),
]

BROKERS = [
    DemoBroker(
        "agency_member",
        "蒋经纪",
        CCZU_TTO,
        Level.SENIOR,
        FilingStatus.ACTIVE,
        ("new-materials", "fine-chemicals", "functional-textiles"),
        ("320000", "370200"),
        "常州大学技术转移研究院高级技术经理人，十二年新材料与精细化工成果转化经验，"
        "累计促成技术合同六十余项，擅长专利组合许可与作价入股方案设计。",
        issued=date(2021, 9, 1),
        expires=date(2027, 9, 1),
        upgrade_to_senior=True,
        login="senior broker with engagements in every stage (deal, proposal…)",
    ),
    DemoBroker(
        "broker_mid",
        "韩中级",
        CCZU_TTO,
        Level.INTERMEDIATE,
        FilingStatus.ACTIVE,
        ("new-energy-batteries", "energy-storage"),
        ("320400", "370000"),
        "中级技术经理人，长期服务长三角锂电与储能企业，熟悉中试放大与技术开发合同谈判。",
        issued=date(2023, 6, 15),
        login="intermediate broker (an upgrade to senior waits for review; mined a demand)",
    ),
    DemoBroker(
        "broker_junior",
        "杨初级",
        CCZU_TTO,
        Level.JUNIOR,
        FilingStatus.ACTIVE,
        ("functional-textiles", "water-treatment"),
        ("320400",),
        "初级技术经纪人，纺织印染与水处理方向，负责企业需求走访与成果推介。",
        issued=date(2025, 3, 10),
        login="junior broker",
    ),
    DemoBroker(
        "broker_jinpu",
        "朱经理人",
        JINPU_TTO,
        Level.INTERMEDIATE,
        FilingStatus.ACTIVE,
        ("clean-coal", "carbon-neutrality", "energy-storage"),
        ("210200",),
        "金普新区技术转移中心中级技术经理人，服务大连洁净能源与装备制造企业。",
        issued=date(2022, 11, 1),
        login="intermediate broker in Dalian",
    ),
    DemoBroker(
        "broker_trainee",
        "秦见习",
        JINPU_TTO,
        Level.JUNIOR,
        FilingStatus.ACTIVE,
        ("energy-storage",),
        ("210200",),
        "初级技术经纪人，储能方向（证书已过期，待换证）。",
        issued=date(2020, 4, 1),
        expires=date(2024, 4, 1),
        login="junior broker whose certificate has expired",
    ),
    DemoBroker(
        "broker_luzhong",
        "许高级",
        LUZHONG,
        Level.SENIOR,
        FilingStatus.ACTIVE,
        ("hydrogen", "fluorosilicon-materials", "robotics"),
        ("370300", "370000"),
        "鲁中技术市场高级技术经理人，深耕淄博氟硅与氢能产业链，擅长组织产学研对接。",
        issued=date(2021, 3, 1),
        login="senior broker of a service agency",
    ),
    DemoBroker(
        "broker_dalian",
        "钱初级",
        DALIAN,
        Level.JUNIOR,
        FilingStatus.ACTIVE,
        ("marine-equipment",),
        ("210200",),
        "上海技术交易所大连服务中心初级技术经纪人，海洋装备方向。",
        issued=date(2025, 1, 8),
        login="junior broker of a service agency",
    ),
    DemoBroker(
        "broker_applied",
        "何申请",
        CCZU_TTO,
        Level.JUNIOR,
        FilingStatus.APPLIED,
        ("fine-chemicals",),
        ("320400",),
        "刚取得初级证书，申请在常州大学技术转移研究院执业。",
        issued=date(2026, 1, 15),
        login="filing waiting for its agency (agency_admin confirms it)",
    ),
    DemoBroker(
        "broker_confirmed",
        "吕待批",
        JINPU_TTO,
        Level.INTERMEDIATE,
        FilingStatus.CONFIRMED,
        ("marine-equipment", "high-end-equipment"),
        ("210200",),
        "中级技术经理人，由金普技转中心确认，等待科技局审核。",
        issued=date(2024, 10, 1),
        login="filing confirmed by its agency, waiting for the bureau (reviewer approves it)",
    ),
    DemoBroker(
        "broker_suspended",
        "施暂停",
        LUZHONG,
        Level.JUNIOR,
        FilingStatus.SUSPENDED,
        ("robotics",),
        ("370300",),
        "初级技术经纪人，智能制造方向。",
        issued=date(2023, 2, 1),
        note="年度考核未提交服务记录，暂停执业资格至补交材料。",
        login="suspended broker",
    ),
]


@dataclass
class _Cast:
    now: object
    users: dict[str, User]
    agencies: dict[str, Organization]
    fields: dict[str, IndustryField]
    regions: dict[str, Region]
    profiles: dict[str, BrokerProfile] = field(default_factory=dict)

    def at(self, days_ago: float):
        return self.now - timedelta(days=days_ago)


def seed_brokers(stdout=None) -> list[str]:
    """Load the demo brokers and their engagements (once); returns the lines seed_demo prints."""
    with _log_level("celery.app.trace", logging.WARNING), transaction.atomic():
        lines = _ensure_users()
        if not BrokerProfile.objects.filter(user__username__in=[b.username for b in BROKERS]).exists():
            cast = _Cast(
                now=timezone.now(),
                users={user.username: user for user in User.objects.all()},
                agencies={
                    o.name: o for o in Organization.objects.filter(name__in=[CCZU_TTO, JINPU_TTO, LUZHONG, DALIAN])
                },
                fields={f.code: f for f in IndustryField.objects.all()},
                regions={r.code: r for r in Region.objects.filter(level__in=(1, 2))},
            )
            _file_brokers(cast)
            _tell_engagements(cast)
            _mine_a_demand(cast)
        return [*lines, _summary()]


def _ensure_users() -> list[str]:
    lines = []
    agencies = {o.name: o for o in Organization.objects.filter(name__in=[CCZU_TTO, JINPU_TTO, LUZHONG, DALIAN])}
    people = [(u, n, a, MembershipRole.ADMIN, note) for u, n, a, note in AGENCY_ADMINS]
    people += [(b.username, b.name, b.agency, MembershipRole.MEMBER, b.login) for b in BROKERS]
    for username, name, agency, role, note in people:
        user, created = User.objects.get_or_create(
            username=username, defaults={"name": name, "email": f"{username}@demo.market.local"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, organization=agencies[agency], defaults={"role": role})
        lines.append(f"  {username:<16} {note}")
    return lines


def _admin_of(cast: _Cast, agency: str) -> User:
    if agency == CCZU_TTO:
        return cast.users["agency_admin"]
    return cast.users[next(username for username, _n, name, _note in AGENCY_ADMINS if name == agency)]


def _file_brokers(cast: _Cast) -> None:
    """Each broker files, its agency confirms, the bureau approves (as far as its status goes)."""
    reviewer = cast.users[REVIEWER]
    for index, broker in enumerate(BROKERS):
        user = cast.users[broker.username]
        applied = 300 - index * 25 if broker.status != FilingStatus.APPLIED else 3
        start_level = Level.INTERMEDIATE if broker.upgrade_to_senior else broker.level
        with _clock(cast.at(applied)):
            profile = services.profile_apply(
                user=user,
                agency=cast.agencies[broker.agency],
                specialities=[cast.fields[code] for code in broker.specialities if code in cast.fields],
                regions=[cast.regions[code] for code in broker.regions if code in cast.regions],
                level=start_level,
                certificate_number=f"JSJL-{broker.issued.year}-{3700 + index:05d}",
                certificate_issuer="中国科学技术交流中心" if index % 2 == 0 else "中国技术市场协会",
                certificate_issued_on=broker.issued,
                certificate_expires_on=broker.expires,
                introduction=broker.introduction,
            )
            # The field's default is read when the class is defined, not at the clock's time.
            BrokerProfile.objects.filter(pk=profile.pk).update(applied_at=timezone.now())
        cast.profiles[broker.username] = profile
        if broker.status == FilingStatus.APPLIED:
            continue
        with _clock(cast.at(applied - 2)):
            services.profile_confirm(profile=profile, user=_admin_of(cast, broker.agency))
        if broker.status == FilingStatus.CONFIRMED:
            continue
        with _clock(cast.at(applied - 5)):
            services.profile_approve(profile=profile, reviewer=reviewer)
        if broker.status == FilingStatus.SUSPENDED:
            with _clock(cast.at(20)):
                services.profile_suspend(profile=profile, reviewer=reviewer, reason=broker.note)
        if broker.upgrade_to_senior:
            with _clock(cast.at(120)):
                upgrade = services.upgrade_apply(
                    profile=profile,
                    user=user,
                    training_hours=160,
                    deal_count=18,
                    evidence="完成高级技术经理人培训 160 学时（结业证书编号 GJ-2025-0312）；"
                    "近三年促成技术合同 18 项，登记技术交易额 4,200 万元。",
                )
            with _clock(cast.at(110)):
                services.upgrade_decide(upgrade=upgrade, reviewer=reviewer, approve=True, note="材料齐全，同意晋级。")
    # An upgrade rejected with a note, and one waiting for the reviewer.
    junior = cast.profiles["broker_trainee"]
    with _clock(cast.at(60)):
        upgrade = services.upgrade_apply(
            profile=junior, user=junior.user, training_hours=24, deal_count=1, evidence="参加中级培训 24 学时。"
        )
    with _clock(cast.at(55)):
        services.upgrade_decide(
            upgrade=upgrade,
            reviewer=reviewer,
            approve=False,
            note="中级需完成培训 72 学时以上并促成至少 3 项技术合同；另请先更新已过期的证书。",
        )
    middle = cast.profiles["broker_mid"]
    with _clock(cast.at(4)):
        services.upgrade_apply(
            profile=middle,
            user=middle.user,
            training_hours=150,
            deal_count=9,
            evidence="完成高级技术经理人培训 150 学时；促成锂电材料技术开发合同 9 项。",
        )


@dataclass(frozen=True)
class _Plan:
    broker: str
    title: str  # the demand (or, with achievement=True, the deal's achievement) preferred
    stage: str
    claimed: int  # days ago
    achievement: bool = False
    reason: str = ""


PLANS = [
    _Plan("broker_jinpu", "燃煤工业锅炉烟气低能耗二氧化碳捕集吸收剂", EngagementStage.CLAIMED, 2),
    _Plan("broker_junior", "印染废水深度处理与中水回用", EngagementStage.CONTACTED, 12),
    _Plan("broker_luzhong", "燃料电池质子交换膜化学耐久性提升", EngagementStage.PROPOSAL, 25),
    _Plan("broker_mid", "高镍单晶三元正极材料高温循环寿命提升", EngagementStage.NEGOTIATING, 40),
    _Plan("agency_member", "海藻纤维强度提升与千吨级连续纺丝", EngagementStage.DEAL, 70),
    _Plan(
        "broker_trainee",
        "全钒液流电池电堆功率密度提升",
        EngagementStage.DROPPED,
        50,
        reason="企业已与高校课题组直接签订合作意向，不再需要居间服务。",
    ),
    _Plan("agency_member", "", EngagementStage.PROPOSAL, 30, achievement=True),
]


def _open_demand(title: str, taken: set[int]) -> Demand | None:
    """The demo demand by title if it is open and free, else the first open free demand."""
    free = (
        Demand.objects.filter(status__in=OPEN_STATUSES)
        .exclude(pk__in=taken)
        .exclude(pk__in=Engagement.objects.live().filter(demand__isnull=False).values("demand_id"))
    )
    return free.filter(title=title).first() or free.order_by("pk").first()


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _proposals(demand: Demand | None, achievement: Achievement | None, deal=None, count: int = 2) -> list[Achievement]:
    """What the broker proposes: the achievement itself (an engagement on an achievement), the
    deal's achievement, then published achievements in the demand's industry fields whose title
    shares the most words with the demand (the matches are computed later in the demo)."""
    if achievement is not None:
        return [achievement]
    published = Achievement.objects.filter(status=AchievementStatus.PUBLISHED)
    chosen = [deal.achievement] if deal is not None and deal.achievement_id else []
    words = _bigrams(demand.title + demand.summary)
    candidates = published.filter(industry_fields__in=demand.industry_fields.all()).exclude(
        pk__in=[a.pk for a in chosen]
    )
    ranked = sorted(candidates.distinct().only("pk", "title"), key=lambda a: (-len(words & _bigrams(a.title)), a.pk))
    return (chosen + ranked)[:count] or list(published.order_by("pk")[:count])


def _tell_engagements(cast: _Cast) -> None:
    taken: set[int] = set()
    for plan in PLANS:
        user = cast.users[plan.broker]
        deal = None
        demand = achievement = None
        if plan.stage == EngagementStage.DEAL:
            # A demo deal on an open demand is what this engagement ends in.
            deals = (
                Deal.objects.filter(demand__status__in=OPEN_STATUSES)
                .exclude(stage=DealStage.FAILED)
                .exclude(demand_id__in=taken)
                .order_by("pk")
            )
            deal = deals.filter(demand__title=plan.title).first() or deals.first()
            if deal is None:
                continue
            demand = deal.demand
        elif plan.achievement:
            # An achievement the broker already brokers a deal on (the deal demo names the broker).
            deal_of_broker = (
                Deal.objects.filter(brokers=user, demand__isnull=True, achievement__status=AchievementStatus.PUBLISHED)
                .order_by("pk")
                .first()
            )
            achievement = (
                deal_of_broker.achievement
                if deal_of_broker
                else Achievement.objects.filter(status=AchievementStatus.PUBLISHED).order_by("pk").first()
            )
            if achievement is None:
                continue
        else:
            demand = _open_demand(plan.title, taken)
            if demand is None:
                continue
        if demand is not None:
            taken.add(demand.pk)
        _tell(cast, plan, user=user, demand=demand, achievement=achievement, deal=deal)


def _tell(cast: _Cast, plan: _Plan, *, user: User, demand, achievement, deal) -> None:
    """One engagement from its claim to its stage, a step every few days."""
    day = plan.claimed
    with _clock(cast.at(day)):
        engagement = services.engagement_claim(user=user, demand=demand, achievement=achievement)
    if plan.stage == EngagementStage.CLAIMED:
        return
    day -= max(1, plan.claimed // 6)
    with _clock(cast.at(day)):
        services.engagement_record_activity(
            engagement=engagement,
            user=user,
            kind="call" if plan.stage == EngagementStage.CONTACTED else "visit",
            occurred_on=timezone.localdate(),
            note="与企业技术负责人沟通需求背景、现有工艺与预算，约定下一步走访。"
            if plan.stage == EngagementStage.CONTACTED
            else "走访企业，实地了解工况与技术指标，整理需求要点。",
        )
    if plan.stage == EngagementStage.DROPPED:
        day -= 3
        with _clock(cast.at(day)):
            services.engagement_drop(engagement=engagement, user=user, reason=plan.reason)
        return
    if plan.stage == EngagementStage.CONTACTED:
        return
    day -= max(1, plan.claimed // 5)
    proposed = _proposals(demand, achievement, deal)
    with _clock(cast.at(day)):
        services.engagement_record_activity(
            engagement=engagement,
            user=user,
            kind="proposal",
            occurred_on=timezone.localdate(),
            note="向企业推荐匹配成果，附成果简介、成熟度与参考价格，建议先开展小试验证。"
            if demand is not None
            else "向三家潜在受让企业推介本成果，整理许可方案与报价区间。",
            proposed_achievements=proposed,
        )
    if plan.stage == EngagementStage.PROPOSAL:
        return
    day -= max(1, plan.claimed // 5)
    with _clock(cast.at(day)):
        services.engagement_record_activity(
            engagement=engagement,
            user=user,
            kind="meeting",
            occurred_on=timezone.localdate(),
            note="组织供需双方技术对接会，就合作方式、里程碑与付款节点交换意见。",
        )
        services.engagement_advance(engagement=engagement, user=user, stage=EngagementStage.NEGOTIATING)
    if plan.stage == EngagementStage.NEGOTIATING or deal is None:
        return
    day -= max(1, plan.claimed // 5)
    with _clock(cast.at(day)):
        services.engagement_advance(engagement=engagement, user=user, stage=EngagementStage.DEAL, deal=deal)


def _mine_a_demand(cast: _Cast) -> None:
    """Demand mining: a broker records a demand for an enterprise; it waits for the enterprise."""
    enterprise = Organization.objects.filter(name="即发集团有限公司").first()
    if enterprise is None:
        return
    with _clock(cast.at(1)):
        services.demand_mine(
            user=cast.users["broker_mid"],
            organization=enterprise,
            title="功能性针织面料抗起球与耐水洗性能提升",
            summary="走访中了解到企业功能性针织面料抗起球等级与耐水洗性能不足，寻求后整理工艺与纤维改性方案。",
            problem="现有抗起球后整理剂耐水洗 20 次后效果明显下降，起球等级降至 2-3 级；"
            "企业希望在不影响手感与透气性的前提下，水洗 50 次后仍保持 3.5 级以上。",
            desired_outcome="可量产的后整理工艺或纤维改性方案，完成中试验证。",
            demand_type=DemandType.PROBLEM_SOLVING,
            visibility=Visibility.PUBLIC,
            deadline=timezone.localdate() + timedelta(days=180),
            budget_min=300000,
            budget_max=800000,
            cooperation_modes=[CooperationMode.COMMISSIONED_DEVELOPMENT, CooperationMode.COOPERATIVE_DEVELOPMENT],
            industry_fields=[cast.fields[code] for code in ("functional-textiles",) if code in cast.fields],
            contact_name="即发集团研发中心",
            contact_phone="13800000000",
            contact_email="rd@jifa.demo.market.local",
        )


def _summary() -> str:
    active = BrokerProfile.objects.filter(status=FilingStatus.ACTIVE)
    levels = dict(active.values_list("level").annotate(n=Count("pk")).values_list("level", "n"))
    statuses = dict(BrokerProfile.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    stages = dict(Engagement.objects.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    agencies = active.values("agency").distinct().count()
    mined = Demand.objects.filter(source="broker").count()
    level_text = ", ".join(f"{level} {levels.get(level, 0)}" for level in Level.values)
    stage_text = ", ".join(f"{stage} {stages.get(stage, 0)}" for stage in EngagementStage.values)
    return (
        f"  brokers: {active.count()} active in {agencies} agencies ({level_text}), "
        f"{statuses.get(FilingStatus.APPLIED, 0)} awaiting their agency, "
        f"{statuses.get(FilingStatus.CONFIRMED, 0)} awaiting the bureau, "
        f"{statuses.get(FilingStatus.SUSPENDED, 0)} suspended; engagements: {stage_text}; "
        f"{mined} demand recorded by a broker"
    )


# Training, a "1+N" team, reward rules and the excellent brokers ------------------------------

DEMO_COURSES = [
    # (title, level, hours, start offset in days from today, length in days, provider, capacity)
    ("技术经纪人初级培训班（2026 年第一期）", Level.JUNIOR, 32, -200, 4, "青岛市科学技术局", 80),
    ("技术经理人中级能力提升培训", Level.INTERMEDIATE, 48, -120, 6, "山东省技术市场协会", 60),
    ("技术经纪人初级培训班（2026 年第二期）", Level.JUNIOR, 32, 20, 4, "青岛市科学技术局", 80),
    ("高级技术经理人研修班：概念验证与中试熟化", Level.SENIOR, 64, 45, 8, "中国科学技术交流中心", 40),
]
DEMO_TEAM = "青岛大学“1+N”成果转化服务团队"


def seed_broker_programme(stdout=None) -> list[str]:
    """Broker training courses (two past, attended and certified; two open for enrolment), one
    "1+N" service team for 青岛大学, the bureau's reward rules and last year's excellent brokers.
    Runs after seed_brokers, through the services; idempotent (recognised by the courses' titles)."""
    from brokers import services_rewards, services_training
    from brokers.enums import RewardKind
    from brokers.models import Course, RewardRule, ServiceTeam

    staff = User.objects.filter(username="bureau_admin").first()
    profiles = list(BrokerProfile.objects.active().select_related("user").order_by("id"))
    if staff is None or not profiles or Course.objects.filter(title=DEMO_COURSES[0][0]).exists():
        return []
    today = timezone.localdate()
    with transaction.atomic():
        for title, level, hours, offset, length, provider, capacity in DEMO_COURSES:
            course = services_training.course_create(
                user=staff,
                title=title,
                level=level,
                hours=hours,
                starts_on=today + timedelta(days=offset),
                ends_on=today + timedelta(days=offset + length),
                provider=provider,
                capacity=capacity,
                description="课程涵盖技术合同认定登记、知识产权评估、成果转化政策与撮合实务。",
            )
            enrolled = [p for p in profiles if Level.rank(p.level) <= Level.rank(level)][:5]
            past = offset + length < 0
            # A past course: enrolled before it started, attended and certified on its last day.
            opening = timezone.now() + timedelta(days=offset - 7) if past else None
            closing = timezone.now() + timedelta(days=offset + length) if past else None
            for profile in enrolled:
                with _clock(opening) if past else nullcontext():
                    enrolment = services_training.enrolment_create(course=course, profile=profile, user=staff)
                if past:
                    with _clock(closing):
                        services_training.attendance_record(enrolment=enrolment, attended=True, user=staff)
                        services_training.enrolment_complete(enrolment=enrolment, user=staff)
        institution = Organization.objects.filter(name="青岛大学").first()
        office = Organization.objects.filter(kind__in=("transfer_agency", "service_agency")).order_by("id").first()
        if institution and office and not ServiceTeam.objects.filter(name=DEMO_TEAM).exists():
            services_rewards.team_create(
                user=staff, name=DEMO_TEAM, institution=institution, office=office, brokers=profiles[:3]
            )
        RewardRule.objects.get_or_create(
            name="技术交易额奖励（登记额的 2%，每人每年不超过 20 万元）",
            defaults={"kind": RewardKind.PERCENTAGE, "rate": "0.0200", "annual_cap": "200000.00"},
        )
        RewardRule.objects.get_or_create(
            name="成交奖励（每笔 2,000 元）", defaults={"kind": RewardKind.FIXED_PER_DEAL, "amount": "2000.00"}
        )
        services_rewards.excellent_select(
            year=today.year - 1, user=staff, profiles=profiles[:2], citation="全年促成技术合同登记额位居前列。"
        )
    return ["Broker training, a 1+N team, reward rules and excellent brokers: /brokers/training/, /brokers/excellent/"]

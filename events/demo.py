"""Demo matchmaking events (产学研对接活动) from the seed cities: Qingdao's 国重面对面 and 校企牵手、
卡位入链 brands, Changzhou's 十校十所进千企 company-visit campaign, an achievement launch, a
roadshow with a line-up of demo achievements, a competition, a broker training in Jiangmen and
a cancelled event.

Past events are told through events.services at their own moments (demands.demo_challenges
._clock): published, registered for, 1:1 meetings requested and accepted, attendees checked in
at the door, letters of intent signed (one of which starts a deal), marked held and reported.
Upcoming events are open for registration (one full, with a waiting list), one has closed its
registration. Runs after seed_parties (and the achievements, for the roadshow line-up) and
before the search index. Idempotent: an event whose title exists is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from achievements.models import Achievement
from demands.demo import _log_level
from demands.demo_challenges import _clock
from events import services
from events.enums import EventKind, EventStatus
from events.models import Event, Registration
from marketplace.models import IndustryField, Organization, Region, User

BUREAU = "青岛市科学技术局"
CCZU_TTO = "江苏省技术转移(常州大学)研究院"
STAFF = "organizer"  # the demo's event-organizer staff


@dataclass(frozen=True)
class DemoEvent:
    title: str
    kind: str
    organizer: str
    actor: str  # who organizes it: event-organizer staff, or the agency's own administrator
    region: str
    fields: tuple[str, ...]
    summary: str
    agenda: str
    venue: str
    days: int  # from today: negative in the past
    story: str  # reported, held, open, full, closed, cancelled
    hours: int = 4
    hour: int = 14  # the starting hour
    capacity: int | None = 80
    online_url: str = ""
    description: str = ""
    co_organizers: tuple[str, ...] = ()
    attendees: tuple[str, ...] = ()  # usernames, in the order they register
    presenters: tuple[str, ...] = field(default=())  # organizations presenting achievements
    cancel_reason: str = ""


EVENTS = (
    DemoEvent(
        title="国重面对面·新能源与储能专场",
        kind=EventKind.MATCHMAKING,
        organizer=BUREAU,
        actor=STAFF,
        region="370212",
        fields=("new-energy-batteries", "hydrogen", "energy-storage"),
        summary="全国重点实验室与链上企业面对面：固态电池、氢能材料成果发布与技术需求现场对接",
        description="依托青岛高校院所技术转移联合办公室，邀请在青全国重点实验室发布可转化成果，"
        "组织储能、氢能链上企业逐一对接，现场签约意向协议。",
        agenda="14:00 开幕致辞\n14:15 全国重点实验室成果发布\n15:00 企业技术需求发布\n15:30 一对一洽谈\n17:30 意向签约",
        venue="青岛国际创新园 A 座报告厅",
        days=-40,
        story="reported",
        co_organizers=("中国科学院青岛生物能源与过程研究所",),
        attendees=("qibebt_admin", "dongyue_admin", "vland_admin", "qdu_admin", "vland_member"),
        presenters=("中国科学院青岛生物能源与过程研究所",),
    ),
    DemoEvent(
        title="校企牵手、卡位入链·智能制造与新材料专场（常州）",
        kind=EventKind.MATCHMAKING,
        organizer=CCZU_TTO,
        actor="agency_admin",
        region="320412",
        fields=("intelligent-manufacturing", "new-materials", "fine-chemicals"),
        summary="在常高校院所与链主企业牵手：围绕智能制造、新材料产业链卡位补链，成果发布与专题对接",
        agenda="09:30 产业链需求解读\n10:00 高校院所成果发布\n10:45 专题对接\n11:30 意向签约",
        venue="常州科教城创研港 3 号楼会议中心",
        days=-12,
        hours=3,
        hour=9,
        story="held",
        co_organizers=("常州大学",),
        attendees=("qdu_admin", "dongyue_admin", "qibebt_admin", "vland_admin", "agency_member"),
    ),
    DemoEvent(
        title="“十校十所进千企”企业大走访·第三批",
        kind=EventKind.VISIT_CAMPAIGN,
        organizer=CCZU_TTO,
        actor="agency_admin",
        region="320400",
        fields=("intelligent-manufacturing", "new-materials"),
        summary="十所在常高校、十家在常科研院所的教师与科研人员走进高新技术企业，了解需求、协同创新",
        agenda="09:00 集合出发\n09:30 企业实地走访（分组）\n14:00 需求梳理与专家会诊\n16:00 对接意向汇总",
        venue="常州市高新技术企业（分组走访，集合地点：常州科教城）",
        days=21,
        hours=8,
        hour=9,
        story="open",
        capacity=None,
        attendees=("agency_member", "qdu_member"),
    ),
    DemoEvent(
        title="2026 青岛科技成果发布会·海洋与生物医药",
        kind=EventKind.LAUNCH,
        organizer=BUREAU,
        actor=STAFF,
        region="370202",
        fields=("marine-biology", "biomedicine", "biotechnology"),
        summary="发布高校院所海洋生物、生物医药领域自主创新重大成果，面向企业集中推介",
        agenda="14:00 成果发布\n15:00 成果持有方推介\n16:00 自由洽谈",
        venue="青岛市科技馆二楼报告厅",
        days=12,
        hours=3,
        story="full",
        capacity=3,
        attendees=("qdu_admin", "qibebt_admin", "vland_admin", "dongyue_admin", "vland_member"),
    ),
    DemoEvent(
        title="科技成果路演·新材料与氢能（第 12 期）",
        kind=EventKind.ROADSHOW,
        organizer=BUREAU,
        actor=STAFF,
        region="370212",
        fields=("new-materials", "hydrogen", "new-energy-batteries"),
        summary="遴选技术领先、市场前景广的科技成果进行项目路演，投资机构与企业现场点评对接",
        agenda="14:00 路演规则说明\n14:10 成果路演（每项 15 分钟）\n16:10 投资机构点评\n16:40 一对一洽谈",
        venue="青岛崂山科技城路演中心",
        days=8,
        hours=4,
        story="open",
        capacity=60,
        online_url="https://live.market.local/roadshow-12",
        attendees=("vland_admin", "dongyue_admin"),
        presenters=("中国科学院青岛生物能源与过程研究所", "青岛大学"),
    ),
    DemoEvent(
        title="中国创新挑战赛（青岛）·现场赛",
        kind=EventKind.COMPETITION,
        organizer=BUREAU,
        actor=STAFF,
        region="370200",
        fields=("high-end-equipment", "marine-equipment"),
        summary="企业出题、高校院所揭榜，入围团队现场答辩，评选优胜解决方案",
        agenda="09:00 开赛\n09:15 入围团队答辩\n15:00 专家评议\n16:30 公布结果",
        venue="青岛国际会议中心 2 号厅",
        days=5,
        hours=8,
        hour=9,
        story="closed",
        capacity=120,
        attendees=("qdu_admin", "qibebt_admin"),
    ),
    DemoEvent(
        title="技术经纪人实务培训（江门）",
        kind=EventKind.TRAINING,
        organizer=BUREAU,
        actor=STAFF,
        region="440703",
        fields=("technology-transfer-services",),
        summary="技术经纪人初级、中级实务：需求挖掘、成果评价、合同登记与撮合技巧，线下与线上同步",
        agenda="09:00 科技成果转化政策解读\n10:30 需求挖掘与成果评价\n14:00 技术合同登记实务\n15:30 撮合案例研讨",
        venue="五邑大学科技园报告厅",
        online_url="https://live.market.local/broker-training",
        days=30,
        hours=7,
        hour=9,
        story="open",
        capacity=100,
        co_organizers=("广东省科学院江门产业技术研究院", "五邑大学"),
        attendees=("agency_member",),
    ),
    DemoEvent(
        title="成果转化对接会·激光与增材制造（江门）",
        kind=EventKind.MATCHMAKING,
        organizer=BUREAU,
        actor=STAFF,
        region="440704",
        fields=("laser-additive-manufacturing",),
        summary="江门产研院激光与增材制造成果与本地企业专题对接",
        agenda="14:00 成果推介\n15:00 专题对接",
        venue="江门高新区创新中心",
        days=16,
        hours=3,
        story="cancelled",
        co_organizers=("广东省科学院江门产业技术研究院",),
        attendees=("dongyue_admin",),
        cancel_reason="因主讲团队行程调整，本场对接会取消，将择期另行举办，已报名者无需操作。",
    ),
)

REPORT = (
    "本场活动邀请全国重点实验室发布固态电池、氢能材料等可转化成果 {presentations} 项，"
    "{organizations} 家单位到场，安排一对一洽谈 {meetings} 场，现场签订意向协议 {intents} 份，"
    "其中 1 份已转入交易流程。下一步将跟踪意向落地并组织专场对接。"
)


@dataclass
class _Cast:
    today: datetime
    users: dict[str, User]
    organizations: dict[str, Organization]

    def user(self, username: str) -> User | None:
        return self.users.get(username)

    def organization_of(self, user: User) -> Organization | None:
        membership = user.memberships.select_related("organization").order_by("id").first()
        return membership.organization if membership else None


def _start(cast: _Cast, spec: DemoEvent) -> datetime:
    return (cast.today + timedelta(days=spec.days)).replace(hour=spec.hour, minute=0, second=0, microsecond=0)


def _presenter_user(organization: Organization) -> User | None:
    return User.objects.filter(is_active=True, memberships__organization=organization).order_by("id").first()


def _achievements(organization: Organization, event: Event, count: int) -> list[Achievement]:
    """The organization's public achievements in the event's industry fields (any, failing that)."""
    public = Achievement.objects.public().filter(organization=organization).order_by("id")
    fields = list(event.industry_fields.values_list("pk", flat=True))
    matching = list(
        public.filter(Q(industry_fields__in=fields) | Q(industry_fields__parent__in=fields)).distinct()[:count]
    )
    return matching or list(public[:count])


def _tell(cast: _Cast, spec: DemoEvent) -> Event | None:
    actor = cast.user(spec.actor)
    organizer = cast.organizations.get(spec.organizer)
    if actor is None or organizer is None:
        return None
    starts_at = _start(cast, spec)
    ends_at = starts_at + timedelta(hours=spec.hours)
    now = timezone.now()
    published = min(starts_at - timedelta(days=30), now - timedelta(days=6))
    fields = list(IndustryField.objects.filter(code__in=spec.fields))
    co_organizers = [cast.organizations[name] for name in spec.co_organizers if name in cast.organizations]

    with _clock(published):
        event = services.event_create(
            user=actor,
            organizer=organizer,
            industry_fields=fields,
            co_organizers=co_organizers,
            title=spec.title,
            kind=spec.kind,
            region=Region.objects.filter(code=spec.region).first(),
            summary=spec.summary,
            description=spec.description,
            agenda=spec.agenda,
            starts_at=starts_at,
            ends_at=ends_at,
            venue=spec.venue,
            online_url=spec.online_url,
            capacity=spec.capacity,
            registration_opens_at=published,
            registration_closes_at=starts_at - timedelta(days=1),
        )
        services.event_publish(event=event, user=actor)

    # Sign-ups, an hour apart, from two days after publication.
    registrations: list[Registration] = []
    for index, username in enumerate(spec.attendees):
        user = cast.user(username)
        organization = cast.organization_of(user) if user else None
        if organization is None or any(r.user_id == user.pk for r in registrations):
            continue
        with _clock(published + timedelta(days=2, hours=index)):
            registrations.append(services.register(event=event, user=user, organization=organization))

    # The roadshow line-up: each presenting organization applies with its achievements.
    presentations = []
    for index, name in enumerate(spec.presenters):
        organization = cast.organizations.get(name)
        user = _presenter_user(organization) if organization else None
        if user is None:
            continue
        for achievement in _achievements(organization, event, 2):
            with _clock(published + timedelta(days=3, hours=index)):
                presentations.append(
                    services.presentation_apply(
                        event=event,
                        user=user,
                        achievement=achievement,
                        presenter_name=user.name or user.username,
                        pitch=achievement.summary[:500],
                    )
                )
    for index, presentation in enumerate(presentations):
        slot = starts_at + timedelta(minutes=10 + 15 * index)
        if slot + timedelta(minutes=15) > ends_at:
            break
        with _clock(published + timedelta(days=4)):
            services.presentation_schedule(
                presentation=presentation, user=actor, starts_at=slot, ends_at=slot + timedelta(minutes=15)
            )

    if spec.story in ("reported", "held"):
        _hold(cast, spec, event, actor, registrations, presentations, starts_at, ends_at)
    elif spec.story == "closed":
        with _clock(now - timedelta(hours=2)):
            services.event_close_registration(event=event, user=actor)
    elif spec.story == "cancelled":
        with _clock(now - timedelta(days=1)):
            services.event_cancel(event=event, user=actor, reason=spec.cancel_reason)
    return event


def _hold(cast, spec, event, actor, registrations, presentations, starts_at, ends_at) -> None:
    """The day itself: meetings, check-in at the door, letters of intent, held, a deal, the report."""
    confirmed = [r for r in registrations if r.status == "confirmed"]
    # 1:1 meetings arranged in the last days before the event.
    pairs = list(zip(confirmed[::2], confirmed[1::2], strict=False))
    meetings = []
    for index, (requester, invitee) in enumerate(pairs):
        with _clock(starts_at - timedelta(days=3, hours=-index)):
            meetings.append(
                services.meeting_request(
                    event=event,
                    user=requester.user,
                    invitee=invitee,
                    starts_at=starts_at + timedelta(hours=1, minutes=30 + 20 * index),
                    topic=f"{requester.organization.short_name or requester.organization.name}与"
                    f"{invitee.organization.short_name or invitee.organization.name}合作洽谈",
                )
            )
    for index, meeting in enumerate(meetings):
        if index == len(meetings) - 1 and len(meetings) > 1:
            break  # the last request was never answered
        with _clock(starts_at - timedelta(days=2)):
            services.meeting_accept(meeting=meeting, user=meeting.invitee.user)
    # Check-in at the door: everyone confirmed but the last came.
    for index, registration in enumerate(confirmed[:-1] if len(confirmed) > 1 else confirmed):
        with _clock(starts_at - timedelta(minutes=20 - index)):
            services.check_in(event=event, token=services.check_in_token(registration), user=actor)
    # Letters of intent between the organizations that met.
    intents = []
    for index, (first, second) in enumerate(pairs):
        seller, buyer = first.organization, second.organization
        if seller.kind == "enterprise" and buyer.kind != "enterprise":
            seller, buyer = buyer, seller
        if seller.pk == buyer.pk:
            continue
        achievement = next(iter(_achievements(seller, event, 1)), None)
        with _clock(ends_at - timedelta(minutes=30 - index)):
            intents.append(
                services.intent_record(
                    event=event,
                    user=actor,
                    seller=seller,
                    buyer=buyer,
                    achievement=achievement,
                    title=(achievement.title if achievement else f"{seller.name}技术合作意向")[:200],
                    amount=Decimal("500000.00") * (index + 1),
                    note="现场签订意向协议，约定一个月内完成尽职调查与技术方案确认。",
                )
            )
    with _clock(ends_at + timedelta(hours=1)):
        services.event_mark_held(event=event, user=actor)
    if intents and spec.story == "reported":
        intent = intents[0]
        party = User.objects.filter(is_active=True, memberships__organization=intent.buyer).order_by("id").first()
        if party is not None:
            with _clock(ends_at + timedelta(days=2)):
                services.intent_start_deal(intent=intent, user=party)
    if spec.story == "reported":
        with _clock(ends_at + timedelta(days=3)):
            services.event_report(
                event=event,
                user=actor,
                report=REPORT.format(
                    presentations=len([p for p in presentations if p.status == "selected"]) or len(presentations),
                    organizations=len({r.organization_id for r in confirmed}),
                    meetings=len(meetings),
                    intents=len(intents),
                ),
            )


def _summary() -> str:
    events = Event.objects.filter(title__in=[spec.title for spec in EVENTS])
    counts = {status: events.filter(status=status).count() for status in EventStatus.values}
    shown = ", ".join(f"{status} {count}" for status, count in counts.items() if count)
    return f"  events: {events.count()} demo events ({shown}); organizer log-in: {STAFF}, agency: agency_admin"


def seed_events(stdout=None) -> list[str]:
    """Load the demo events and their stories (once each); returns the lines seed_demo prints."""
    with _log_level("celery.app.trace", logging.WARNING):
        cast = _Cast(
            today=timezone.localtime(),
            users={user.username: user for user in User.objects.all()},
            organizations={o.name: o for o in Organization.objects.all()},
        )
        for spec in EVENTS:
            if Event.objects.filter(title=spec.title).exists():
                continue
            with transaction.atomic():
                _tell(cast, spec)
    return [_summary()]

"""Demo data of the achievement library: the CSL sample's 1,000 abstracts as achievements.

The abstracts (marketplace/data/csl/, Apache License 2.0, see its NOTICE.md) are spread over the
demo universities and institutes and loaded through achievements.importing, with plausible TRLs,
categories, transfer modes, prices and contacts. Most are published; some are left in every
other state, moved there by the lifecycle Workflow so the TransitionLog tells a consistent
story, and the history is spread over the past months. A few are tracked with ledger entries
and problems, and the demo enterprises have sent inquiries in every state.

Reproducible (a fixed random seed) and idempotent: once the demo achievements exist, the step
only makes sure its users exist, so `make run` stays fast on every start after the first.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements.enums import Category, DeclineReason, InquiryStatus, ProblemStatus, Source, Status, TransferMode
from achievements.importing import SourceRow, achievements_import, discipline_fields
from achievements.models import Achievement, Inquiry
from achievements.services import (
    INQUIRY_LIFECYCLE,
    LIFECYCLE,
    achievement_set_tracked,
    ledger_entry_record,
    problem_create,
    problem_update,
)
from marketplace.demo import DEMO_PASSWORD
from marketplace.enums import MembershipRole, OrganizationKind
from marketplace.models import IndustryField, Membership, Organization, TransitionLog, User
from marketplace.reference_data import DATA_DIR

CSL_FILE = DATA_DIR / "csl" / "csl_dev.jsonl"
SEED = 20260301

# Administrators for the supply organizations and the enterprise that seed_parties leaves
# without one: an import acts as a member, and an inquiry needs an asker.
# (username, name, organization, note)
USERS = [
    ("sdiit_admin", "孔转化", "山东产业技术研究院(青岛)", "new-type R&D institution administrator"),
    ("cczu_admin", "曹成果", "常州大学", "university administrator"),
    ("wyu_admin", "严科研", "五邑大学", "university administrator"),
    ("jmiit_admin", "华院长", "广东省科学院江门产业技术研究院", "new-type R&D institution administrator"),
    ("aubo_admin", "金经理", "遨博(山东)智能机器人有限公司", "enterprise administrator"),
]

# The owners, the top-level industry fields they are strong in, and their transfer offices'
# contacts. Humanities and services ("advanced-manufacturing-services") go to universities.
# (organization, administrator, top-level field codes, e-mail domain, contact names)
SUPPLY = [
    (
        "青岛大学",
        "qdu_admin",
        {"biomedicine", "textiles", "marine", "food", "advanced-manufacturing-services"},
        "qdu",
        ["吴老师", "刘老师", "孙老师"],
    ),
    (
        "中国科学院青岛生物能源与过程研究所",
        "qibebt_admin",
        {"new-energy", "clean-energy", "energy-saving-environment", "biomedicine"},
        "qibebt",
        ["王研究员", "杨老师", "胡老师"],
    ),
    (
        "山东产业技术研究院(青岛)",
        "sdiit_admin",
        {"high-end-equipment", "aerospace", "new-materials", "marine"},
        "sdiit",
        ["孔经理", "邵经理"],
    ),
    (
        "常州大学",
        "cczu_admin",
        {"fine-chemicals", "new-materials", "energy-saving-environment", "advanced-manufacturing-services"},
        "cczu",
        ["曹老师", "钱老师", "陆老师"],
    ),
    (
        "五邑大学",
        "wyu_admin",
        {"electronic-information", "high-end-equipment", "home-appliances", "advanced-manufacturing-services"},
        "wyu",
        ["严老师", "梁老师", "邓老师"],
    ),
    (
        "广东省科学院江门产业技术研究院",
        "jmiit_admin",
        {"high-end-equipment", "new-materials", "modern-agriculture", "food"},
        "jmiit",
        ["华工程师", "谭工程师"],
    ),
]
# 青岛大学's tech-transfer office approves before the bureau: its members' drafts show the
# internal review, while imports by the office itself go straight to the bureau.
INTERNAL_APPROVAL = "青岛大学"
INTERNAL_AUTHOR = "qdu_member"

TRL_WEIGHTS = {2: 3, 3: 14, 4: 22, 5: 22, 6: 18, 7: 12, 8: 6, 9: 3}
PRICES_WAN = [10, 15, 20, 30, 50, 60, 80, 100, 120, 150, 200, 260, 300, 400, 500]
MODE_POOL = [
    *[TransferMode.ASSIGNMENT] * 3,
    *[TransferMode.LICENSE_NON_EXCLUSIVE] * 3,
    *[TransferMode.LICENSE_EXCLUSIVE] * 2,
    TransferMode.LICENSE_SOLE,
    *[TransferMode.EQUITY] * 2,
    *[TransferMode.JOINT_IMPLEMENTATION] * 2,
]
# Final states besides "published", in thousandths of the rows; internal review only where the
# owner asks for it.
STATE_WEIGHTS = {
    Status.PUBLISHED: 840,
    Status.DRAFT: 25,
    Status.INTERNAL_REVIEW: 0,
    Status.SUBMITTED: 35,
    Status.REJECTED: 20,
    Status.WITHDRAWN: 15,
    Status.TRANSFERRED: 40,
    Status.ARCHIVED: 25,
}
INTERNAL_STATE_WEIGHTS = {**STATE_WEIGHTS, Status.INTERNAL_REVIEW: 60}
# The status each final state is imported in before the Workflow moves it on.
IMPORTED_AS = {
    Status.DRAFT: Status.DRAFT,
    Status.INTERNAL_REVIEW: Status.DRAFT,
    Status.SUBMITTED: Status.SUBMITTED,
    Status.REJECTED: Status.SUBMITTED,
    Status.PUBLISHED: Status.PUBLISHED,
    Status.WITHDRAWN: Status.PUBLISHED,
    Status.TRANSFERRED: Status.PUBLISHED,
    Status.ARCHIVED: Status.PUBLISHED,
}
REJECTION_NOTES = [
    "成果简介以论文表述为主，请补充应用场景、技术指标和转化条件后重新提交。",
    "知识产权信息缺失，请补充专利号或说明技术秘密的权属情况。",
    "意向价格与成果成熟度不匹配，请补充价格依据或改为面议。",
    "成果所属产业领域填写不准确，请核对后重新提交。",
]
WITHDRAWAL_REASONS = [
    "已与合作企业进入独家谈判阶段，暂停公开发布。",
    "团队调整，成果待重新梳理后再发布。",
    "技术方案升级，将以新版本重新提交。",
]
LEDGER_PROGRESS = [
    "完成中试装置工艺参数优化，连续运行 72 小时，关键指标达到设计要求。",
    "与合作企业召开技术对接会，形成中试放大方案初稿。",
    "完成第三方检测，样品主要性能指标通过验证。",
    "提交发明专利申请 1 项，完成技术秘密的梳理与登记。",
]
LEDGER_NEXT_STEPS = [
    "推进中试线建设并开展稳定性测试。",
    "与意向企业商谈许可条件和付款方式。",
    "准备成果评价材料，申请第三方评估。",
]
# (obstacle, owning department, final status, resolution)
PROBLEMS = [
    ("中试放大缺少场地和配套资金，需协调中试基地资源。", "市科技局成果转化处", ProblemStatus.IN_PROGRESS, ""),
    ("职务科技成果赋权程序尚未完成，影响作价投资谈判。", "科研院（技术转移办公室）", ProblemStatus.OPEN, ""),
    (
        "国有资产评估备案周期长，企业希望尽快签约。",
        "市财政局",
        ProblemStatus.RESOLVED,
        "按单列管理试点办理，评估备案改为事后报备，已签约。",
    ),
    ("缺少第三方检测认证，企业对产品稳定性存疑。", "市市场监督管理局", ProblemStatus.IN_PROGRESS, ""),
]
# (enterprise, asker, top-level fields of interest, question, owner's reply or "", final state,
#  decline reason, decline note)
INQUIRIES = [
    (
        "青岛蔚蓝生物股份有限公司",
        "vland_admin",
        {"biomedicine", "modern-agriculture", "food"},
        "请问这项成果是否已有中试数据？我们想了解工艺稳定性和授权方式。",
        "",
        InquiryStatus.OPEN,
        "",
        "",
    ),
    (
        "青岛蔚蓝生物股份有限公司",
        "vland_member",
        {"biomedicine", "modern-agriculture", "food"},
        "我司在饲用酶制剂方向有产业化需求，能否提供样品进行评估？",
        "您好，可以提供小批量样品，并附检测报告，欢迎来访面谈。",
        InquiryStatus.ANSWERED,
        "",
        "",
    ),
    (
        "青岛蔚蓝生物股份有限公司",
        "vland_admin",
        {"biomedicine", "modern-agriculture", "food"},
        "这项技术目前的成熟度如何？是否适合直接放大生产？",
        "目前完成了实验室验证，中试尚未开展。",
        InquiryStatus.DECLINED,
        DeclineReason.TOO_EARLY,
        "仍处实验室阶段，距离产业化较远，待中试完成后再联系。",
    ),
    (
        "山东东岳未来氢能材料股份有限公司",
        "dongyue_admin",
        {"new-energy", "new-materials", "fine-chemicals", "clean-energy"},
        "我司关注该技术在质子交换膜方向的应用，希望洽谈独占许可。",
        "感谢关注，我们同意以独占许可方式合作，可先签保密协议。",
        InquiryStatus.DEAL_STARTED,
        "",
        "",
    ),
    (
        "山东东岳未来氢能材料股份有限公司",
        "dongyue_admin",
        {"new-energy", "new-materials", "fine-chemicals", "clean-energy"},
        "请提供报价依据和分期付款的可能性。",
        "报价依据研发投入和市场前景测算，暂不接受分期。",
        InquiryStatus.DECLINED,
        DeclineReason.PRICE,
        "报价高于我司预算，若可降低入门费或分期支付可再议。",
    ),
    (
        "山东东岳未来氢能材料股份有限公司",
        "dongyue_admin",
        {"new-energy", "new-materials", "fine-chemicals", "clean-energy"},
        "该成果的知识产权状态如何？是否已获授权？",
        "",
        InquiryStatus.OPEN,
        "",
        "",
    ),
    (
        "遨博(山东)智能机器人有限公司",
        "aubo_admin",
        {"high-end-equipment", "electronic-information"},
        "我司协作机器人产品线希望引入该技术，能否安排技术交流？",
        "可以，下周可安排团队到贵司交流。",
        InquiryStatus.ANSWERED,
        "",
        "",
    ),
    (
        "遨博(山东)智能机器人有限公司",
        "aubo_admin",
        {"high-end-equipment", "electronic-information"},
        "想了解该成果能否用于机械臂的控制系统。",
        "",
        InquiryStatus.DECLINED,
        DeclineReason.NOT_OUR_FIELD,
        "与我司协作机器人产品线关联度不高。",
    ),
    (
        "遨博(山东)智能机器人有限公司",
        "aubo_admin",
        {"high-end-equipment", "electronic-information"},
        "该成果的专利权属是否清晰？是否有共同权利人？",
        "专利由学校与合作单位共有，转让需双方同意。",
        InquiryStatus.DECLINED,
        DeclineReason.IP_UNCLEAR,
        "专利权属尚需共有人确认，待权属清晰后再推进。",
    ),
]
TRACKED_COUNT = 6


def _ensure_users() -> list[str]:
    lines = []
    for username, name, organization_name, note in USERS:
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
        lines.append(f"  {username:<16} {note}")
    return lines


@transaction.atomic
def seed_achievements() -> list[str]:
    """Load the demo achievements, their history, tracking and inquiries (once)."""
    lines = _ensure_users()
    owners = {name: Organization.objects.get(name=name) for name, *_rest in SUPPLY}
    existing = Achievement.objects.filter(source=Source.CSL, organization__in=owners.values()).count()
    if existing:
        return [*lines, f"  achievements: {existing} demo achievements already loaded"]

    rng = random.Random(SEED)  # noqa: S311 -- demo data: reproducible, not security-relevant
    users = {user.username: user for user in User.objects.filter(username__in=_usernames())}
    reviewer = User.objects.get(username="reviewer")
    owners[INTERNAL_APPROVAL].requires_internal_approval = True
    owners[INTERNAL_APPROVAL].save(update_fields=["requires_internal_approval", "updated_at"])

    plan = _plan(rng)
    achievements = _import(plan, owners=owners, users=users, reviewer=reviewer)
    _move_on(rng, plan, achievements, owners=owners, users=users, reviewer=reviewer)
    _spread_over_time(rng, list(achievements.values()))
    tracked = _track(rng, plan, achievements, users=users)
    inquiries = _inquire(rng, plan, achievements, users=users)
    return [
        *lines,
        f"  achievements: {len(achievements)} from the CSL sample (Apache-2.0) in {len(owners)} institutions, "
        f"{tracked} tracked, {inquiries} inquiries",
    ]


def _usernames() -> set[str]:
    return {
        *(administrator for _name, administrator, *_rest in SUPPLY),
        INTERNAL_AUTHOR,
        *(asker for _enterprise, asker, *_rest in INQUIRIES),
    }


def _plan(rng: random.Random) -> list[dict]:
    """One entry per CSL record: its row for the import, owner, final state and field."""
    top_level = {
        field.code: (field.parent.code if field.parent else field.code)
        for field in IndustryField.objects.select_related("parent")
    }
    kinds = dict(Organization.objects.filter(name__in=[s[0] for s in SUPPLY]).values_list("name", "kind"))
    contacts = {
        name: [(person, domain, n) for n, person in enumerate(people)] for name, _a, _f, domain, people in SUPPLY
    }
    plan = []
    with CSL_FILE.open(encoding="utf-8") as handle:
        for line, text in enumerate(handle, start=1):
            record = json.loads(text)
            field_code = discipline_fields()[record["discipline"]]
            field = top_level[field_code]
            strong = [name for name, _a, fields, *_rest in SUPPLY if field in fields]
            owner = rng.choice(strong if strong and rng.random() < 0.85 else [s[0] for s in SUPPLY])
            research = kinds[owner] in (OrganizationKind.INSTITUTE, OrganizationKind.NEW_TYPE_RD)
            category = rng.choices(
                [Category.INDUSTRIAL, Category.MAJOR_ORIGINAL, Category.DEMAND_DRIVEN],
                weights=[60, 25, 15] if research else [75, 10, 15],
            )[0]
            person, domain, n = rng.choice(contacts[owner])
            values = {
                **record,
                "category": category,
                "trl": rng.choices(list(TRL_WEIGHTS), weights=list(TRL_WEIGHTS.values()))[0],
                "transfer_modes": list(dict.fromkeys(rng.sample(MODE_POOL, rng.choice([1, 1, 2, 2, 2, 3])))),
                "contact_name": person,
                "contact_phone": f"1380000{line % 10000:04d}",
                "contact_email": f"tto{n + 1}@{domain}.demo.market.local",
            }
            if rng.random() < 0.3:
                values["price_negotiable"] = True
            else:
                values["asking_price_wan"] = rng.choice(PRICES_WAN)
            weights = INTERNAL_STATE_WEIGHTS if owner == INTERNAL_APPROVAL else STATE_WEIGHTS
            state = rng.choices(list(weights), weights=list(weights.values()))[0]
            plan.append({"row": SourceRow(line, values), "owner": owner, "state": state, "field": field})
    return plan


def _import(plan, *, owners, users, reviewer) -> dict[str, Achievement]:
    """Import the rows grouped by owner, author and imported status; {ref: achievement}."""
    groups = defaultdict(list)
    administrators = {name: administrator for name, administrator, *_rest in SUPPLY}
    for entry in plan:
        state = entry["state"]
        author = administrators[entry["owner"]]
        if entry["owner"] == INTERNAL_APPROVAL and IMPORTED_AS[state] == Status.DRAFT:
            author = INTERNAL_AUTHOR
        groups[(entry["owner"], author, IMPORTED_AS[state])].append(entry["row"])
    for (owner, author, status), rows in groups.items():
        result = achievements_import(
            rows=rows, organization=owners[owner], user=users[author], status=status, published_by=reviewer
        )
        if result.errors:
            raise RuntimeError(f"the demo achievements did not import: {result.errors[:3]}")
    return {
        achievement.external_ref: achievement
        for achievement in Achievement.objects.filter(source=Source.CSL, organization__in=owners.values())
    }


def _move_on(rng, plan, achievements, *, owners, users, reviewer) -> None:
    """Move the rows that do not stay as imported on, through the lifecycle Workflow."""
    administrators = {name: users[administrator] for name, administrator, *_rest in SUPPLY}
    for entry in plan:
        achievement = achievements[entry["row"].values["ref"]]
        owner_admin = administrators[entry["owner"]]
        match entry["state"]:
            case Status.INTERNAL_REVIEW:
                LIFECYCLE.apply(achievement, Status.INTERNAL_REVIEW, actor=users[INTERNAL_AUTHOR])
            case Status.REJECTED:
                note = rng.choice(REJECTION_NOTES)
                achievement.review_note = note
                LIFECYCLE.apply(
                    achievement, Status.REJECTED, actor=reviewer, reason=note, update_fields=["review_note"]
                )
            case Status.WITHDRAWN:
                LIFECYCLE.apply(achievement, Status.WITHDRAWN, actor=owner_admin, reason=rng.choice(WITHDRAWAL_REASONS))
            case Status.TRANSFERRED:
                LIFECYCLE.apply(achievement, Status.TRANSFERRED, actor=owner_admin)
            case Status.ARCHIVED:
                # What the beat job writes (stale_achievements_archive).
                LIFECYCLE.apply(
                    achievement, Status.ARCHIVED, reason=_("Not re-confirmed in time; archived automatically.")
                )


def _step_days(rng: random.Random, target: str) -> float:
    """Days between one status and the next, by the status reached."""
    freshness, grace = settings.FRESHNESS_DAYS, settings.FRESHNESS_GRACE_DAYS
    return {
        Status.INTERNAL_REVIEW: lambda: rng.uniform(1, 10),
        Status.SUBMITTED: lambda: rng.uniform(1, 20),
        Status.PUBLISHED: lambda: rng.uniform(2, 15),
        Status.REJECTED: lambda: rng.uniform(2, 15),
        Status.WITHDRAWN: lambda: rng.uniform(10, 120),
        Status.TRANSFERRED: lambda: rng.uniform(30, 240),
        Status.ARCHIVED: lambda: freshness + grace + rng.uniform(1, 20),
    }[target]()


def _spread_over_time(rng: random.Random, achievements: list[Achievement]) -> None:
    """Give the demo a past: each achievement's creation and TransitionLog rows are moved back
    in time, keeping their order, and its dates follow its log. Published listings older than
    the freshness period were re-confirmed, except a few left stale on purpose."""
    now = timezone.now()
    freshness, grace = settings.FRESHNESS_DAYS, settings.FRESHNESS_GRACE_DAYS
    logs = defaultdict(list)
    for log in TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Achievement), object_id__in=[a.pk for a in achievements]
    ).order_by("id"):
        logs[log.object_id].append(log)
    moved_logs = []
    for achievement in achievements:
        steps = logs[achievement.pk]
        gaps = [timedelta(days=_step_days(rng, log.to_status)) for log in steps]
        moment = now - timedelta(days=rng.uniform(0, 300)) - sum(gaps, timedelta())
        achievement.created_at = moment
        achievement.submitted_at = achievement.published_at = None
        for log, gap in zip(steps, gaps, strict=True):
            moment += gap
            log.created_at = moment
            if log.to_status == Status.SUBMITTED:
                achievement.submitted_at = moment
            if log.to_status == Status.PUBLISHED and achievement.published_at is None:
                achievement.published_at = moment
        achievement.updated_at = moment
        achievement.confirmed_at = achievement.published_at
        if achievement.status == Status.PUBLISHED:
            age = (now - achievement.published_at).days
            stale = freshness < age < freshness + grace and rng.random() < 0.5
            if age > freshness - 30 and not stale:
                achievement.confirmed_at = now - timedelta(days=rng.uniform(0, freshness - 30))
        moved_logs.extend(steps)
    Achievement.objects.bulk_update(
        achievements, ["created_at", "updated_at", "submitted_at", "published_at", "confirmed_at"], batch_size=500
    )
    TransitionLog.objects.bulk_update(moved_logs, ["created_at"], batch_size=500)


def _published(plan, achievements, *, fields=None) -> list[tuple[dict, Achievement]]:
    return [
        (entry, achievements[entry["row"].values["ref"]])
        for entry in plan
        if entry["state"] == Status.PUBLISHED and (fields is None or entry["field"] in fields)
    ]


def _track(rng, plan, achievements, *, users) -> int:
    """A few published major original achievements are tracked: three months of ledger, problems."""
    administrators = {name: users[administrator] for name, administrator, *_rest in SUPPLY}
    candidates = [
        (entry, achievement)
        for entry, achievement in _published(plan, achievements)
        if achievement.category == Category.MAJOR_ORIGINAL
    ]
    today = timezone.localdate()
    for entry, achievement in rng.sample(candidates, TRACKED_COUNT):
        user = administrators[entry["owner"]]
        achievement_set_tracked(achievement=achievement, user=user, tracked=True)
        month = today.replace(day=1)
        for _month in range(3):
            month = (month - timedelta(days=1)).replace(day=1)
            ledger_entry_record(
                achievement=achievement,
                user=user,
                month=month,
                progress=rng.choice(LEDGER_PROGRESS),
                next_steps=rng.choice(LEDGER_NEXT_STEPS),
            )
        for obstacle, department, status, resolution in rng.sample(PROBLEMS, rng.choice([1, 2])):
            problem = problem_create(achievement=achievement, user=user, obstacle=obstacle, department=department)
            if status != ProblemStatus.OPEN:
                problem_update(problem=problem, user=user, status=status, resolution=resolution)
    return TRACKED_COUNT


def _inquire(rng, plan, achievements, *, users) -> int:
    """Inquiries of the demo enterprises, taken through the inquiry Workflow. Written directly
    rather than by inquiry_create, which would queue a notification mail per message."""
    administrators = {name: users[administrator] for name, administrator, *_rest in SUPPLY}
    asked = set()
    for enterprise_name, asker, fields, question, reply, state, reason, note in INQUIRIES:
        enterprise = Organization.objects.get(name=enterprise_name)
        entry, achievement = rng.choice(
            [pair for pair in _published(plan, achievements, fields=fields) if pair[1].pk not in asked]
        )
        asked.add(achievement.pk)
        inquiry = Inquiry.objects.create(
            achievement=achievement, organization=enterprise, user=users[asker], subject=achievement.title[:200]
        )
        inquiry.messages.create(author=users[asker], organization=enterprise, body=question)
        if reply:
            owner_admin = administrators[entry["owner"]]
            inquiry.messages.create(author=owner_admin, organization=achievement.organization, body=reply)
            INQUIRY_LIFECYCLE.apply(inquiry, InquiryStatus.ANSWERED, actor=owner_admin)
        if state == InquiryStatus.DEAL_STARTED:
            INQUIRY_LIFECYCLE.apply(inquiry, InquiryStatus.DEAL_STARTED, actor=users[asker])
        elif state == InquiryStatus.DECLINED:
            inquiry.decline_reason, inquiry.decline_note = reason, note
            INQUIRY_LIFECYCLE.apply(
                inquiry,
                InquiryStatus.DECLINED,
                actor=users[asker],
                reason=note,
                update_fields=["decline_reason", "decline_note"],
            )
    return len(INQUIRIES)


# Expert pool and evaluation rounds ------------------------------------------------------------

EXPERTS = [
    # (username, name, kind, title, field codes, employer or None)
    ("expert01", "孔德明", "technical", "教授", ["new-energy", "new-energy-batteries", "hydrogen"], "常州大学"),
    ("expert02", "曹雪峰", "technical", "研究员", ["new-energy-batteries", "energy-storage"], None),
    (
        "expert03",
        "严晓燕",
        "industry",
        "高级工程师",
        ["new-energy", "fine-chemicals"],
        "山东东岳未来氢能材料股份有限公司",
    ),
    ("expert04", "华立新", "investment", "投资总监", ["new-energy", "biomedicine", "electronic-information"], None),
    ("expert05", "金铭", "technical", "教授", ["biomedicine", "biotechnology"], "五邑大学"),
    (
        "expert06",
        "魏思远",
        "industry",
        "总工程师",
        ["high-end-equipment", "robotics", "intelligent-manufacturing"],
        None,
    ),
    (
        "expert07",
        "陶静",
        "technical",
        "副教授",
        ["electronic-information", "software", "artificial-intelligence"],
        "青岛大学",
    ),
    ("expert08", "姜涛", "technical", "研究员", ["new-materials", "advanced-polymers", "fine-chemicals"], None),
    (
        "expert09",
        "戚文",
        "investment",
        "合伙人",
        ["high-end-equipment", "new-materials", "energy-saving-environment"],
        None,
    ),
    (
        "expert10",
        "谢婉清",
        "industry",
        "技术经理",
        ["technology-transfer-services", "modern-agriculture", "food"],
        None,
    ),
    (
        "expert11",
        "邹建国",
        "technical",
        "教授",
        ["marine", "energy-saving-environment", "clean-energy"],
        "中国科学院青岛生物能源与过程研究所",
    ),
    (
        "expert12",
        "喻晴",
        "technical",
        "研究员",
        ["electronic-information", "communications", "integrated-circuits"],
        None,
    ),
]


def ensure_expert_pool() -> None:
    """The demo experts (found by username), with their fields and employers. Also called by
    the steps that draw experts (demands.demo_challenges), so that they may run on their own."""
    from marketplace.models import ExpertProfile, IndustryField

    fields = {field.code: field for field in IndustryField.objects.all()}
    for username, name, kind, title, codes, employer in EXPERTS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"name": name, "email": f"{username}@demo.market.local"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        profile, created = ExpertProfile.objects.get_or_create(
            user=user,
            defaults={
                "kind": kind,
                "title": title,
                "organization": Organization.objects.filter(name=employer).first() if employer else None,
            },
        )
        if created:
            profile.industry_fields.set([fields[code] for code in codes])


def seed_evaluations() -> list[str]:
    """The expert pool, one closed round with published results and one round being scored."""
    from marketplace.enums import RoundStatus
    from marketplace.models import EvaluationRound
    from marketplace.services.evaluation import assignment_submit, round_close, round_create, round_draw, scores_record

    ensure_expert_pool()
    lines = ["  expert01…expert12  experts of the evaluation pool"]
    if EvaluationRound.objects.exists():
        return lines

    reviewer = User.objects.get(username="reviewer")
    rng = random.Random(SEED)  # noqa: S311 -- demo data: reproducible, not security-relevant
    closed_subjects = list(
        Achievement.objects.filter(status=Status.PUBLISHED, organization__name="常州大学").order_by("id")[:4]
    )
    closed = round_create(
        user=reviewer,
        title="2026年10月成果评价（常州大学）",
        subjects=closed_subjects,
        deadline=timezone.now() + timedelta(days=10),
        expert_count=3,
    )
    for assignment in _draw_or_none(round_draw, closed, reviewer):
        criteria = list(closed.criteria.all())
        for subject in closed.subjects.all():
            scores_record(
                assignment=assignment,
                user=assignment.expert.user,
                subject=subject,
                values={criterion.pk: rng.randint(5, 10) for criterion in criteria},
                comment="技术路线清晰，建议补充中试数据。",
            )
        assignment_submit(assignment=assignment, user=assignment.expert.user)
    if closed.status == RoundStatus.SCORING:
        round_close(evaluation=closed, user=reviewer)

    # A blind round being scored: the first institution whose achievements the pool can cover.
    for organization in Organization.objects.filter(name__in=[name for name, *_rest in SUPPLY]).order_by("name"):
        subjects = list(
            Achievement.objects.filter(status=Status.PUBLISHED, organization=organization).order_by("-id")[:3]
        )
        scoring = round_create(
            user=reviewer,
            title="2026年11月成果评价（盲评）",
            subjects=subjects,
            deadline=timezone.now() + timedelta(days=14),
            expert_count=3,
        )
        drawn = _draw_or_none(round_draw, scoring, reviewer)
        if drawn:
            lines.append(f"  {drawn[0].expert.user.username:<16} expert with an open blind evaluation")
            break
        scoring.delete()
    return lines


def _draw_or_none(draw, evaluation, reviewer):
    from django.core.exceptions import ValidationError

    try:
        return draw(evaluation=evaluation, user=reviewer, seed=SEED)
    except ValidationError:
        # The demo pool may not fit every random subject's fields; the round stays a draft.
        return []


# Achievements written for demo demands, so the demo shows strong matches (marketplace.demo.seed_matches)
# and the notices they send; the CSL papers rarely fit an enterprise's demand that closely.
SHOWCASE_OWNER = "中国科学院青岛生物能源与过程研究所"
SHOWCASE = [
    {
        "external_ref": "demo-showcase-1",
        "title": "高镍单晶三元正极材料快离子导体包覆改性技术",
        "summary": "针对 Ni90 高镍单晶正极高温循环容量衰减快、产气严重的问题，采用快离子导体包覆与体相掺杂协同改性，"
        "45℃ 循环 1000 次容量保持率 92%，高温存储产气降低 60%，已完成百公斤级中试。",
        "keywords": ["高镍正极", "单晶", "包覆", "循环寿命", "产气"],
        "industry_fields": ["new-energy-batteries"],
        "trl": 6,
        "asking_price_wan": "300",
        "category": Category.INDUSTRIAL,
        "transfer_modes": ["license_non_exclusive", "joint_implementation"],
    },
    {
        "external_ref": "demo-showcase-2",
        "title": "全氟磺酸质子交换膜自由基淬灭增强化学耐久性技术",
        "summary": "在全氟磺酸质子交换膜中引入铈基自由基淬灭剂并锚定于膜内，抑制燃料电池运行中自由基对膜的化学降解，"
        "开路电压加速试验寿命提升 3 倍，氟离子释放率降低 80%，适用于车用燃料电池膜电极。",
        "keywords": ["质子交换膜", "化学耐久性", "燃料电池", "自由基淬灭"],
        "industry_fields": ["hydrogen"],
        "trl": 5,
        "asking_price_wan": "260",
        "category": Category.INDUSTRIAL,
        "transfer_modes": ["license_exclusive"],
    },
]


def seed_showcase() -> list[str]:
    """Publish the showcase achievements (once; the import skips what the owner already has)."""
    owner = Organization.objects.get(name=SHOWCASE_OWNER)
    administrator = next(admin for name, admin, *_rest in SUPPLY if name == SHOWCASE_OWNER)
    contact = {
        "contact_name": "王研究员",
        "contact_phone": "13800001234",
        "contact_email": "tto1@qibebt.demo.market.local",
    }
    result = achievements_import(
        rows=[SourceRow(n, {**row, **contact}) for n, row in enumerate(SHOWCASE, start=1)],
        organization=owner,
        user=User.objects.get(username=administrator),
        status=Status.PUBLISHED,
        published_by=User.objects.get(username="reviewer"),
    )
    if result.errors:
        raise RuntimeError(f"the showcase achievements did not import: {result.errors}")
    return [f"  achievements: {len(SHOWCASE)} written for demo demands ({result.created} new)"]

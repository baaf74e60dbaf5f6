"""Demo data: the organizations named in the seed documents and one user per actor.

Idempotent: organizations are found by name and users by username, so running it again
changes nothing. Later apps add their own step to `seed_demo`'s list.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from marketplace.enums import MembershipRole, OrganizationKind, StaffGroup, VerificationStatus
from marketplace.models import IndustryField, Membership, Organization, Region, User
from marketplace.services.two_factor import demo_authenticator
from marketplace.validators import uscc_check_character

DEMO_PASSWORD = "Market-Demo-2026"  # noqa: S105 -- printed for the demo site on purpose
# Every demo staff user's authenticator key (staff log in with a second factor, marketplace/otp.py):
# the bytes of "market-demo-totp-key", base32 NVQXE23FOQWWIZLNN4WXI33UOAWWWZLZ. Published on purpose,
# so anyone trying the demo can compute the codes (`oathtool --totp -b NVQXE23FOQWWIZLNN4WXI33UOAWWWZLZ`).
DEMO_TOTP_KEY = b"market-demo-totp-key"
DEMO_TOTP_KEY_BASE32 = "NVQXE23FOQWWIZLNN4WXI33UOAWWWZLZ"

# (name, short name, kind, region code, industry-field codes, registration-authority prefix)
# Prefixes follow GB 32100-2015: 11 government body, 12 public institution, 52 private
# non-enterprise unit, 91 enterprise.
ORGANIZATIONS = [
    ("青岛市科学技术局", "市科技局", OrganizationKind.BUREAU, "370202", [], "11"),
    ("青岛大学", "青大", OrganizationKind.UNIVERSITY, "370202", ["biomedicine", "textiles", "marine-biology"], "12"),
    (
        "中国科学院青岛生物能源与过程研究所",
        "青岛能源所",
        OrganizationKind.INSTITUTE,
        "370212",
        ["new-energy-batteries", "hydrogen", "biotechnology"],
        "12",
    ),
    (
        "山东产业技术研究院(青岛)",
        "山东产研院",
        OrganizationKind.NEW_TYPE_RD,
        "370211",
        ["high-end-equipment", "new-materials"],
        "52",
    ),
    (
        "青岛蔚蓝生物股份有限公司",
        "蔚蓝生物",
        OrganizationKind.ENTERPRISE,
        "370212",
        ["biotechnology", "animal-husbandry"],
        "91",
    ),
    (
        "即发集团有限公司",
        "即发集团",
        OrganizationKind.ENTERPRISE,
        "370215",
        ["functional-textiles", "textile-machinery"],
        "91",
    ),
    ("常州大学", "常大", OrganizationKind.UNIVERSITY, "320412", ["fine-chemicals", "new-materials"], "12"),
    (
        "江苏省技术转移(常州大学)研究院",
        "常大技转院",
        OrganizationKind.TRANSFER_AGENCY,
        "320412",
        ["technology-transfer-services"],
        "12",
    ),
    (
        "五邑大学",
        "五邑大学",
        OrganizationKind.UNIVERSITY,
        "440703",
        ["intelligent-manufacturing", "electronic-information"],
        "12",
    ),
    (
        "广东省科学院江门产业技术研究院",
        "江门产研院",
        OrganizationKind.NEW_TYPE_RD,
        "440704",
        ["laser-additive-manufacturing", "new-materials"],
        "12",
    ),
    (
        "山东东岳未来氢能材料股份有限公司",
        "东岳未来氢能",
        OrganizationKind.ENTERPRISE,
        "370321",
        ["hydrogen", "fluorosilicon-materials"],
        "91",
    ),
    (
        "遨博(山东)智能机器人有限公司",
        "遨博智能",
        OrganizationKind.ENTERPRISE,
        "370303",
        ["robotics", "intelligent-manufacturing"],
        "91",
    ),
    (
        "山东鲁中技术市场服务中心",
        "鲁中技术市场",
        OrganizationKind.SERVICE_AGENCY,
        "370303",
        ["technology-transfer-services"],
        "12",
    ),
    (
        "金普新区科技成果转化(技术转移)中心",
        "金普技转中心",
        OrganizationKind.TRANSFER_AGENCY,
        "210213",
        ["technology-transfer-services"],
        "12",
    ),
    (
        "上海技术交易所大连服务中心",
        "上技所大连中心",
        OrganizationKind.SERVICE_AGENCY,
        "210202",
        ["technology-transfer-services"],
        "91",
    ),
]

# (username, name, organization name or None, membership role, staff group or None, note)
USERS = [
    (
        "bureau_admin",
        "赵局长",
        "青岛市科学技术局",
        MembershipRole.ADMIN,
        StaffGroup.ADMINISTRATOR,
        "bureau administrator",
    ),
    ("reviewer", "钱审核", "青岛市科学技术局", MembershipRole.MEMBER, StaffGroup.REVIEWER, "bureau reviewer"),
    ("registrar", "孙登记", "青岛市科学技术局", MembershipRole.MEMBER, StaffGroup.REGISTRAR, "bureau registrar"),
    (
        "statistician",
        "李统计",
        "青岛市科学技术局",
        MembershipRole.MEMBER,
        StaffGroup.STATISTICIAN,
        "bureau statistician",
    ),
    ("organizer", "周活动", "青岛市科学技术局", MembershipRole.MEMBER, StaffGroup.EVENT_ORGANIZER, "event organizer"),
    ("qdu_admin", "吴成果", "青岛大学", MembershipRole.ADMIN, None, "university administrator"),
    ("qdu_member", "郑教授", "青岛大学", MembershipRole.MEMBER, None, "university member"),
    (
        "qibebt_admin",
        "王研究员",
        "中国科学院青岛生物能源与过程研究所",
        MembershipRole.ADMIN,
        None,
        "institute administrator",
    ),
    ("vland_admin", "冯经理", "青岛蔚蓝生物股份有限公司", MembershipRole.ADMIN, None, "enterprise administrator"),
    ("vland_member", "陈工程师", "青岛蔚蓝生物股份有限公司", MembershipRole.MEMBER, None, "enterprise member"),
    (
        "dongyue_admin",
        "褚总监",
        "山东东岳未来氢能材料股份有限公司",
        MembershipRole.ADMIN,
        None,
        "enterprise administrator",
    ),
    (
        "agency_admin",
        "卫主任",
        "江苏省技术转移(常州大学)研究院",
        MembershipRole.ADMIN,
        None,
        "transfer agency administrator",
    ),
    (
        "agency_member",
        "蒋经纪",
        "江苏省技术转移(常州大学)研究院",
        MembershipRole.MEMBER,
        None,
        "transfer agency member",
    ),
]


def demo_uscc(prefix: str, region_code: str, name: str) -> str:
    """A well-formed, check-digit-valid credit code derived from the name (demo data only)."""
    digits = str(int(hashlib.sha256(name.encode()).hexdigest(), 16))[:8]
    # GB 11714 organization code: 8 digits and a check character.
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    org_check = {10: "X", 11: "0"}.get(remainder, str(remainder))
    first17 = f"{prefix}{region_code}{digits}{org_check}"
    return first17 + uscc_check_character(first17)


@transaction.atomic
def seed_parties(stdout=None) -> list[str]:
    """Organizations (verified, except one left unverified on purpose) and staff/member users."""
    now = timezone.now()
    fields = {field.code: field for field in IndustryField.objects.all()}
    organizations = {}
    for name, short_name, kind, region_code, field_codes, prefix in ORGANIZATIONS:
        organization, created = Organization.objects.get_or_create(
            name=name,
            defaults={
                "short_name": short_name,
                "kind": kind,
                "region": Region.objects.get(code=region_code),
                "uscc": demo_uscc(prefix, region_code, name),
                "verification_status": VerificationStatus.VERIFIED,
                "verified_at": now,
            },
        )
        if created:
            organization.industry_fields.set([fields[code] for code in field_codes if code in fields])
        organizations[name] = organization
    # One organization waits for review, so the reviewer's queue is not empty.
    pending, created = Organization.objects.get_or_create(
        name="青岛海洋装备创新有限公司",
        defaults={
            "short_name": "海洋装备创新",
            "kind": OrganizationKind.ENTERPRISE,
            "region": Region.objects.get(code="370211"),
            "uscc": demo_uscc("91", "370211", "青岛海洋装备创新有限公司"),
            "verification_status": VerificationStatus.PENDING,
            "verification_requested_at": now,
        },
    )
    if created:
        pending.industry_fields.set([fields["marine-equipment"]])
    organizations[pending.name] = pending

    lines = []
    for username, name, organization_name, role, group, note in [
        *USERS,
        (
            "ocean_admin",
            "海洋装备创新负责人",
            pending.name,
            MembershipRole.ADMIN,
            None,
            "administrator of an organization awaiting verification",
        ),
    ]:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"name": name, "email": f"{username}@demo.market.local", "is_staff": group is not None},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if group is not None:
            user.groups.add(Group.objects.get(name=group))
            demo_authenticator(user=user, key_hex=DEMO_TOTP_KEY.hex())
        if organization_name:
            Membership.objects.get_or_create(
                user=user, organization=organizations[organization_name], defaults={"role": role}
            )
        lines.append(f"  {username:<16} {note}")
    lines.append(
        "Staff users' second step (6-digit code): add the key "
        f"{DEMO_TOTP_KEY_BASE32} to an authenticator app, or run `oathtool --totp -b {DEMO_TOTP_KEY_BASE32}`"
    )
    return lines


DEMO_SYNONYMS = [
    "锂电 锂电池 锂离子电池",
    "人工智能 ai 机器学习",
    "新能源汽车 电动汽车 电动车",
    "无人机 无人驾驶航空器",
    "5g 第五代移动通信",
    "氢能 氢燃料 氢气",
    "污水 废水",
    "集成电路 芯片",
]


def seed_search(stdout=None) -> list[str]:
    """Synonym groups, the search index over everything seeded before, and a saved search and
    two favourites for the enterprise administrator."""
    from marketplace import search
    from marketplace.models import Favourite, SavedSearch, SearchDocument, Synonym

    for terms in DEMO_SYNONYMS:
        Synonym.objects.get_or_create(terms=terms)
    indexed = search.rebuild()
    user = User.objects.get(username="vland_admin")
    if not SavedSearch.objects.filter(user=user).exists():
        SavedSearch.objects.create(
            user=user, name="酶制剂新成果", query="酶", filters={"kind": "achievement"}, last_checked_at=timezone.now()
        )
        for document in SearchDocument.objects.filter(kind="achievement", title__contains="酶").order_by("pk")[:2]:
            Favourite.objects.get_or_create(
                user=user,
                content_type_id=document.content_type_id,
                object_id=document.object_id,
                defaults={"title": document.title},
            )
    return [
        f"  search: {indexed} documents indexed, {len(DEMO_SYNONYMS)} synonym groups, a saved search for vland_admin"
    ]


def seed_matches(stdout=None) -> list[str]:
    """Matches of every public demand (each merged into its achievements' lists), as the nightly
    job computes them; strong ones notify their owners as they would on the live site."""
    from django.db.models import Count

    from marketplace.models import Match
    from marketplace.services.matching import recompute_all

    done = recompute_all(kinds=["demand"])
    from demands.models import Demand

    lists = Match.objects.filter(demand_rank__isnull=False).aggregate(n=Count("demand_id", distinct=True))["n"]
    waiting = Demand.objects.filter(triage_since__isnull=False).count()
    return [
        f"  matching: {Match.objects.count()} matches for {done['demand']} public demands "
        f"({lists} with matches, {waiting} in the broker triage queue)"
    ]


DEMO_PARTNER_CLIENT_ID = "demo-shandong-market"


def seed_partners(stdout=None) -> list[str]:
    """A partner system (山东科技大市场) with an application holding every scope, so the partner
    API can be tried on the demo site: its client id is fixed and its secret is the demo password."""

    from marketplace.models import PartnerApplication
    from marketplace.scopes import SCOPES
    from marketplace.services.partners import partner_application_create, partner_organization

    organization = partner_organization(name="山东科技大市场", uscc="12370000MB00000012")
    if not PartnerApplication.objects.filter(application__client_id=DEMO_PARTNER_CLIENT_ID).exists():
        credentials = partner_application_create(
            organization=organization, name="山东科技大市场同步（演示）", scopes=list(SCOPES)
        )
        application = credentials.partner_application.application
        application.client_id = DEMO_PARTNER_CLIENT_ID
        application.client_secret = DEMO_PASSWORD
        application.save(update_fields=["client_id", "client_secret", "updated"])
    return [
        "Partner API (docs/api.md): client_id="
        f"{DEMO_PARTNER_CLIENT_ID} client_secret={DEMO_PASSWORD} → POST /o/token/ (grant_type=client_credentials)"
    ]


# The bureau's yearly targets, as the seed cities set them (Qingdao: ≥ 1,000 linked demands, ~100
# events; Dalian: ≥ 100 matchmaking events; the 10 major achievements and 100 industry projects of
# the implementation plans), so the statistics console shows progress on a fresh install.
DEMO_TARGETS = {
    "contract_turnover": 500_000_000,
    "technology_amount": 400_000_000,
    "registered_contracts": 200,
    "linked_demands": 1000,
    "events_held": 100,
    "brokers_trained": 300,
    "major_achievements": 10,
    "industry_projects": 100,
}


def seed_targets(stdout=None) -> list[str]:
    from django.utils import timezone

    from marketplace.models import YearlyTarget

    year = timezone.localdate().year
    for metric, target in DEMO_TARGETS.items():
        YearlyTarget.objects.update_or_create(year=year, metric=metric, defaults={"target": target})
    return [f"  statistics: {len(DEMO_TARGETS)} yearly targets for {year} (/statistics/, admin: yearly targets)"]

"""Mass assignment: no form or serializer lets a caller write a server-owned field (the owning
organization, the author, the status, dates and amounts set by reviewers and registrars, the
partner's reference, staff flags …).

Part 1 walks every ModelForm and DRF serializer defined in the project's apps and fails on a
writable server-owned field that is not listed below with its reason, so a new form that
exposes `status` fails here. Part 2 posts every field with hostile values to the main create
and edit pages and API endpoints and checks what was stored.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.db.models.query import EmptyQuerySet
from rest_framework import serializers

APPS = ["marketplace", "achievements", "demands", "brokers", "pilots", "events"]

# Fields whose value the server decides: who owns or wrote a record, where it stands in its
# lifecycle and when it got there, what reviewers, registrars and the bureau decided, where a
# record came from, and what makes a user staff.
SERVER_OWNED = frozenset(
    {
        # ownership and authorship
        "organization", "operator", "organizer", "owner", "user", "partner",
        "created_by", "submitted_by", "updated_by", "reviewed_by", "verified_by", "registered_by",
        # lifecycle
        "status", "stage", "published_at", "submitted_at", "confirmed_at", "reviewed_at", "review_note",
        "funded_at", "awarded_at", "closed_at", "withdrawn_at",
        # bureau and registrar decisions
        "verification_status", "verified_at", "registered_at", "registration_number", "registered_amount",
        "technology_amount", "pledged_total", "level",
        # provenance
        "source", "external_ref",
        # accounts
        "is_staff", "is_superuser", "is_active", "groups", "user_permissions", "password", "last_login",
        "date_joined", "privacy_consent_at", "privacy_consent_version",
        # computed
        "view_count", "score", "rank", "search_tokens",
    }
)  # fmt: skip

# A field that picks which of the caller's own organizations acts is not an assignment of
# someone else's: it is declared with an empty queryset and narrowed per request to the
# caller's memberships (checked below, and behaviour-tested in part 2).
ACTOR_CHOOSERS = frozenset({"organization", "operator", "organizer"})

# Staff-only forms of the admin console: bureau administrators set these fields by design.
ADMIN_FORMS = {
    "brokers.admin_rewards.ServiceTeamForm": "bureau admin: service teams of an institution",
    "marketplace.admin_partners.PartnerApplicationForm": "bureau admin: grants a partner organization its application",
    "marketplace.admin_webhooks.WebhookEndpointForm": "bureau admin: a partner's webhook endpoint",
    "pilots.admin.FacilitySubsidyForm": "bureau admin: subsidies granted to a base",
}

# Serializers that only ever render output (responses, nested representations, the OpenAPI
# schema); no view passes request data to them.
OUTPUT_ONLY = {
    "marketplace.api.deals.RegistrationSummarySerializer": "nested in DealSerializer via .data only",
    "marketplace.api.matching.AchievementMatchSerializer": "match lists (computed by the server)",
    "marketplace.api.matching.DemandMatchSerializer": "match lists (computed by the server)",
    "marketplace.api.matching.MatchSerializer": "match lists (computed by the server)",
    "marketplace.api.matching.FreeTextMatchSerializer": "free-text match results",
    "marketplace.api.matching.MatchedAchievementSerializer": "an achievement inside a match",
    "marketplace.api.matching.FeedbackResultSerializer": "the answer to a feedback POST",
    "marketplace.api.search.SearchHitSerializer": "search results",
    "marketplace.api.views.OrganizationSerializer": "OrganizationViewSet is a ReadOnlyModelViewSet",
    "marketplace.api.views.IndustryFieldSerializer": "IndustryFieldViewSet is a ReadOnlyModelViewSet",
    "marketplace.api.stats.StatsSummarySerializer": "statistics (GET only)",
    "marketplace.api.stats.StatsRowSerializer": "statistics (GET only)",
    "marketplace.api.stats.StatsTotalsSerializer": "statistics (GET only)",
    "marketplace.api.views.RegionSerializer": "RegionViewSet is a ReadOnlyModelViewSet",
    "brokers.api.EngagementBrokerSerializer": "nested read_only in EngagementSerializer",
}

# Single fields that are server-owned by name but not here, each with its reason.
EXCEPTIONS = {
    # Partner upserts (PUT …/by-ref/{external_ref}/): the partner is the system of record for
    # what it syncs. The status it sends is its own listing state (published / withdrawn),
    # mapped by marketplace.services.partners to a review or publication; the organization is
    # named by credit code and must be a verified one; the source and the reference are taken
    # from the token and the URL, never from the body.
    ("marketplace.api.partners.PartnerAchievementSerializer", "status"): "partner's own listing state",
    ("marketplace.api.partners.PartnerDemandSerializer", "status"): "partner's own listing state",
    # Contracts synced from another market's registry were registered there: the registry's
    # number, date and technology amount are the facts being synced (scope contracts:write,
    # granted by bureau administrators).
    ("marketplace.api.partners.PartnerContractSerializer", "registered_at"): "registered by the partner registry",
    ("marketplace.api.partners.PartnerContractSerializer", "registration_number"): "the partner registry's number",
    ("marketplace.api.partners.PartnerContractSerializer", "technology_amount"): "registered by the partner registry",
    # The owner's own reference for its records (unique per source; a partner's records have
    # the partner as source, so an owner cannot take over a partner's reference).
    ("achievements.api.AchievementCreateSerializer", "external_ref"): "the owner's own reference, set once",
    ("demands.api.DemandCreateSerializer", "external_ref"): "the owner's own reference, set once",
    # A patent's legal status (pending, granted …) is a fact the owner declares, not a lifecycle.
    ("achievements.api.IPRightSerializer", "status"): "legal status of a patent, declared by the owner",
    # The deal stage a broker moves an engagement's deal to; the service checks the transition.
    ("brokers.api.AdvanceSerializer", "stage"): "target of a transition checked by brokers.services",
    # A new broker's filing states the level held (T/CASTEM 1007-2022); the bureau confirms the
    # filing, and a filed broker's form drops the field (changes go through the bureau).
    ("brokers.forms.ProfileForm", "level"): "declared in the filing, reviewed by the bureau",
    # Likewise the level a pilot base applies for; disabled once the filing is applied or approved.
    ("pilots.forms.BaseForm", "level"): "level applied for, fixed while filed",
    # A partner switches its own webhook endpoints on and off.
    ("marketplace.api.webhooks.WebhookEndpointSerializer", "is_active"): "partner's own endpoint",
    ("marketplace.api.webhooks.WebhookEndpointSecretSerializer", "is_active"): "partner's own endpoint",
}


def _project_modules() -> list[str]:
    names = []
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            parts = path.relative_to(settings.BASE_DIR).with_suffix("").parts
            if "migrations" in parts or "management" in parts:
                continue
            if parts[-1].startswith(("forms", "api", "admin")) or "forms" in parts[1:-1] or "api" in parts[1:-1]:
                names.append(".".join(parts))
    return names


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_classes(base) -> dict[str, type]:
    for module in _project_modules():
        importlib.import_module(module)
    return {
        f"{cls.__module__}.{cls.__qualname__}": cls
        for cls in _subclasses(base)
        if cls.__module__.split(".")[0] in APPS and "<locals>" not in cls.__qualname__
    }


def _form_fields(cls) -> dict:
    return dict(cls.base_fields)


def _serializer_fields(cls) -> dict:
    return {name: field for name, field in cls().fields.items() if not field.read_only}


def _is_actor_chooser(name, field) -> bool:
    queryset = getattr(field, "queryset", None)
    return name in ACTOR_CHOOSERS and queryset is not None and isinstance(queryset, EmptyQuerySet)


def _violations(classes: dict[str, type], fields_of, skip: dict[str, str]) -> list[str]:
    found = []
    for name, cls in sorted(classes.items()):
        if name in skip:
            continue
        for field_name, field in fields_of(cls).items():
            if field_name not in SERVER_OWNED or (name, field_name) in EXCEPTIONS:
                continue
            if _is_actor_chooser(field_name, field):
                continue
            found.append(f"{name}.{field_name}")
    return found


def test_the_walk_finds_the_forms_and_serializers():
    forms_found = _project_classes(forms.ModelForm)
    serializers_found = _project_classes(serializers.BaseSerializer)

    assert {"achievements.forms.AchievementForm", "demands.forms.DemandForm", "pilots.forms.BaseForm"} <= set(
        forms_found
    )
    assert {
        "achievements.api.AchievementCreateSerializer",
        "demands.api_challenges.PledgeCreateSerializer",
        "marketplace.api.partners.PartnerContractSerializer",
    } <= set(serializers_found)


def test_no_model_form_writes_a_server_owned_field():
    assert _violations(_project_classes(forms.ModelForm), _form_fields, ADMIN_FORMS) == []


def test_no_serializer_writes_a_server_owned_field():
    assert _violations(_project_classes(serializers.BaseSerializer), _serializer_fields, OUTPUT_ONLY) == []


def test_every_listed_exception_is_still_needed():
    """A stale entry would hide the next form that reuses its name."""
    classes = {**_project_classes(forms.ModelForm), **_project_classes(serializers.BaseSerializer)}
    stale = []
    for class_name, field_name in EXCEPTIONS:
        cls = classes.get(class_name)
        if cls is None:
            stale.append(f"{class_name} (gone)")
            continue
        fields = _form_fields(cls) if issubclass(cls, forms.BaseForm) else _serializer_fields(cls)
        if field_name not in fields:
            stale.append(f"{class_name}.{field_name}")
    assert stale == []
    assert set(ADMIN_FORMS) <= set(classes) and set(OUTPUT_ONLY) <= set(classes)


def test_read_only_serializers_listed_as_output_belong_to_read_only_viewsets():
    from marketplace.api.views import IndustryFieldViewSet, OrganizationViewSet, RegionViewSet

    for viewset in (OrganizationViewSet, IndustryFieldViewSet, RegionViewSet):
        assert not any(hasattr(viewset, action) for action in ("create", "update", "partial_update", "destroy"))


def test_the_check_catches_a_form_that_exposes_status():
    from achievements.models import Achievement

    class LeakyForm(forms.ModelForm):
        class Meta:
            model = Achievement
            fields = ["title", "status"]

    class LeakySerializer(serializers.ModelSerializer):
        class Meta:
            model = Achievement
            fields = ["title", "organization", "published_at"]

    assert _violations({"LeakyForm": LeakyForm}, _form_fields, {}) == ["LeakyForm.status"]
    assert _violations({"LeakySerializer": LeakySerializer}, _serializer_fields, {}) == [
        "LeakySerializer.organization",
        "LeakySerializer.published_at",
    ]


# Part 2: post every field -----------------------------------------------------------------------

HOSTILE_WHEN = "2001-02-03T04:05:06+08:00"
HOSTILE_TEXT = "HOSTILE-VALUE"
HOSTILE_NUMBER = "987654"


@pytest.fixture
def hostile(db, foreign_organization):
    """Every server-owned field with a value that is not the server's: someone else's
    organization and user, a published status, old dates, made-up amounts and staff flags."""
    from django.contrib.auth.models import Group, Permission

    from tests.factories.marketplace import UserFactory

    other = UserFactory(username="someoneelse")
    values = {
        "organization": foreign_organization.pk, "operator": foreign_organization.pk,
        "organizer": foreign_organization.pk, "partner": foreign_organization.pk,
        "owner": other.pk, "user": other.pk, "created_by": other.pk, "submitted_by": other.pk,
        "updated_by": other.pk, "reviewed_by": other.pk, "verified_by": other.pk, "registered_by": other.pk,
        "recorded_by": other.pk, "requested_by": other.pk, "registrar": other.pk,
        "status": "published", "stage": "signed", "verification_status": "verified",
        "review_note": HOSTILE_TEXT, "status_note": HOSTILE_TEXT, "verification_note": HOSTILE_TEXT,
        "registration_number": HOSTILE_TEXT, "filing_number": HOSTILE_TEXT, "external_ref": HOSTILE_TEXT,
        "source": "staff", "privacy_consent_version": HOSTILE_TEXT,
        "registered_amount": HOSTILE_NUMBER, "technology_amount": HOSTILE_NUMBER, "pledged_total": HOSTILE_NUMBER,
        "quoted_amount": HOSTILE_NUMBER, "view_count": HOSTILE_NUMBER, "license_count": HOSTILE_NUMBER,
        "best_match_score": HOSTILE_NUMBER, "score": HOSTILE_NUMBER,
        "is_staff": "on", "is_superuser": "on",
        "groups": [Group.objects.order_by("pk").first().pk], "user_permissions": [Permission.objects.first().pk],
        "password": "Hostile-Pass-2026",
    }  # fmt: skip
    for name in (
        "published_at", "submitted_at", "confirmed_at", "reviewed_at", "funded_at", "verified_at",
        "registered_at", "applied_at", "approved_at", "reported_at", "notice_ends_at", "enterprise_confirmed_at",
        "verification_requested_at", "date_joined", "last_login", "privacy_consent_at", "completed_at",
    ):  # fmt: skip
        values[name] = HOSTILE_WHEN
    return values


def _as_json(values: dict) -> dict:
    return {name: (True if value == "on" else value) for name, value in values.items()}


def _hostile_values_kept(row, hostile: dict) -> list[str]:
    """The server-owned fields of `row` that hold the hostile value that was posted."""
    kept = []
    for field in row._meta.concrete_fields:
        if field.name not in hostile or field.name not in SERVER_OWNED | {"registrar", "recorded_by", "requested_by"}:
            continue
        posted, stored = hostile[field.name], getattr(row, field.attname)
        if field.is_relation:
            same = stored == posted
        elif hasattr(stored, "year"):
            same = stored.year == 2001
        elif isinstance(stored, bool):
            same = stored and posted == "on"
        else:
            same = stored is not None and str(stored) in (str(posted), f"{posted}.00")
        if same:
            kept.append(field.name)
    for name in ("groups", "user_permissions"):
        if name in hostile and hasattr(row, name) and getattr(row, name).filter(pk__in=hostile[name]).exists():
            kept.append(name)
    return kept


def _member_of(kind: str, **organization):
    from marketplace.enums import MembershipRole
    from tests.factories.marketplace import MembershipFactory, OrganizationFactory

    org = OrganizationFactory(kind=kind, **organization)
    return org, MembershipFactory(organization=org, role=MembershipRole.ADMIN).user


@pytest.mark.django_db
def test_achievement_create_and_edit_keep_the_server_fields(login, org_member, organization, hostile):
    from django.urls import reverse

    from achievements.enums import Status
    from achievements.models import Achievement
    from tests.achievements.test_views import _form_data

    client = login(org_member)
    created = client.post(reverse("achievements:create"), {**_form_data(), **hostile})

    achievement = Achievement.objects.get()
    assert created.status_code == 302
    assert (achievement.organization, achievement.created_by, achievement.status) == (
        organization,
        org_member,
        Status.DRAFT,
    )
    assert (achievement.published_at, achievement.external_ref, achievement.view_count) == (None, "", 0)
    assert _hostile_values_kept(achievement, hostile) == []

    edited = client.post(reverse("achievements:edit", args=[achievement.pk]), {**_form_data(title="改名"), **hostile})

    achievement.refresh_from_db()
    assert edited.status_code == 302 and achievement.title == "改名"
    assert (achievement.organization, achievement.status) == (organization, Status.DRAFT)
    assert _hostile_values_kept(achievement, hostile) == []


@pytest.mark.django_db
def test_demand_create_keeps_the_server_fields(login, hostile):
    from django.urls import reverse

    from demands.enums import Source, Status
    from demands.models import Demand
    from tests.demands.test_views import _form_data

    enterprise, boss = _member_of("enterprise")
    response = login(boss).post(reverse("demands:create"), {**_form_data(), **hostile})

    demand = Demand.objects.get()
    assert response.status_code == 302
    assert (demand.organization, demand.created_by, demand.status, demand.source) == (
        enterprise,
        boss,
        Status.DRAFT,
        Source.ENTERPRISE,
    )
    assert _hostile_values_kept(demand, hostile) == []


@pytest.mark.django_db
def test_challenge_and_pool_create_keep_the_server_fields(login, hostile):
    from datetime import timedelta
    from decimal import Decimal

    from django.urls import reverse
    from django.utils import timezone

    from demands.enums import ChallengeStatus, PoolStatus
    from demands.models import Challenge, PooledProcurement
    from tests.demands.test_challenge_views import _challenge_data, _local
    from tests.factories.demands import DemandFactory

    enterprise, boss = _member_of("enterprise")
    demand = DemandFactory(organization=enterprise)
    client = login(boss)

    challenge_response = client.post(reverse("demands:challenge-create"), {**_challenge_data(demand), **hostile})
    pool_response = client.post(
        reverse("demands:pool-create"),
        {
            "title": "印染废水零排放联合攻关",
            "description": "多家企业共同的高盐废水难题。",
            "industry_fields": [demand.industry_fields.first().pk],
            "threshold_wan": "500",
            "deadline": _local(timezone.now() + timedelta(days=30)),
            **hostile,
        },
    )

    challenge = Challenge.objects.get()
    pool = PooledProcurement.objects.get()
    assert challenge_response.status_code == 302 and pool_response.status_code == 302
    assert (challenge.organization, challenge.created_by, challenge.status, challenge.published_at) == (
        enterprise,
        boss,
        ChallengeStatus.DRAFT,
        None,
    )
    assert (pool.organization, pool.status, pool.pledged_total, pool.funded_at) == (
        enterprise,
        PoolStatus.OPEN,
        Decimal("0.00"),
        None,
    )
    assert _hostile_values_kept(challenge, hostile) == [] and _hostile_values_kept(pool, hostile) == []


@pytest.mark.django_db
def test_organization_edit_keeps_verification_and_identity(login, org_admin, organization, hostile):
    from django.urls import reverse

    data = {
        "name": "改名大学", "kind": "enterprise", "uscc": "91370200MA3C000000", "short_name": "测大",
        "region_1": "370000", "region_2": "370200", "region_3": "370203", "address": "青岛市市北区",
        "website": "", "contact_phone": "", "description": "一所大学", "industry_fields": [],
        "verification_status": "unverified", "verified_at": HOSTILE_WHEN, "verification_note": HOSTILE_TEXT,
    }  # fmt: skip
    before = (organization.name, organization.kind, organization.uscc, organization.verification_status)

    response = login(org_admin).post(reverse("workspace:organization"), {**hostile, **data})

    organization.refresh_from_db()
    assert response.status_code == 302 and organization.short_name == "测大"
    # A verified organization's name, kind and credit code change only through the bureau.
    assert (organization.name, organization.kind, organization.uscc, organization.verification_status) == before
    assert organization.verification_note != HOSTILE_TEXT
    assert organization.verified_at is None or organization.verified_at.year != 2001


@pytest.mark.django_db
def test_profile_cannot_make_a_user_staff(login, org_member, hostile):
    from django.urls import reverse

    data = {**hostile, "name": "新名字", "email": "new@example.cn", "phone": "", "email_frequency": "daily"}
    response = login(org_member).post(reverse("profile"), data)

    org_member.refresh_from_db()
    assert response.status_code == 302 and org_member.name == "新名字"
    assert (org_member.is_staff, org_member.is_superuser, org_member.groups.count()) == (False, False, 0)
    assert not org_member.check_password("Hostile-Pass-2026")
    assert _hostile_values_kept(org_member, hostile) == []


@pytest.mark.django_db
def test_registration_cannot_make_a_staff_account(client, hostile):
    from django.urls import reverse

    from marketplace.models import User
    from tests.marketplace.test_views_accounts import _registration

    response = client.post(reverse("register"), {**hostile, **_registration()})

    user = User.objects.get(username="qiye")
    assert response.status_code == 302
    assert (user.is_staff, user.is_superuser, user.groups.count(), user.user_permissions.count()) == (
        False,
        False,
        0,
        0,
    )
    organization = user.memberships.get().organization
    assert organization.verification_status != "verified" and organization.verified_at is None


@pytest.mark.django_db
def test_filed_broker_cannot_change_level_or_agency(login, hostile):
    from django.urls import reverse

    from brokers.models import BrokerProfile
    from tests.factories.brokers import BrokerProfileFactory
    from tests.factories.marketplace import OrganizationFactory

    profile = BrokerProfileFactory(level="junior")
    other_agency = OrganizationFactory(kind="transfer_agency")
    data = {
        **hostile, "agency": other_agency.pk, "level": "senior", "introduction": "新的介绍",
        "certificate_number": profile.certificate_number, "certificate_issuer": profile.certificate_issuer,
        "certificate_issued_on": profile.certificate_issued_on.isoformat(),
        "certificate_expires_on": profile.certificate_expires_on.isoformat(),
        "specialities": list(profile.specialities.values_list("pk", flat=True)),
        "regions": list(profile.regions.values_list("pk", flat=True)),
    }  # fmt: skip
    status_before = profile.status

    response = login(profile.user).post(reverse("brokers:profile"), data)

    profile = BrokerProfile.objects.get(pk=profile.pk)
    assert response.status_code in (200, 302)
    assert (profile.level, profile.agency_id, profile.status) == ("junior", profile.agency_id, status_before)
    assert profile.agency != other_agency
    assert _hostile_values_kept(profile, hostile) == []


@pytest.mark.django_db
def test_pilot_base_create_is_a_draft_of_the_own_operator(login, hostile):
    from django.urls import reverse

    from pilots.enums import FilingStatus
    from pilots.models import PilotBase
    from tests.pilots.test_views_workspace import base_data

    operator, boss = _member_of("pilot_operator")
    response = login(boss).post(reverse("pilots:create"), {**hostile, **base_data()})

    base = PilotBase.objects.get()
    assert response.status_code == 302
    assert (base.operator, base.status, base.filing_number, base.approved_at) == (
        operator,
        FilingStatus.DRAFT,
        "",
        None,
    )
    assert _hostile_values_kept(base, hostile) == []


@pytest.mark.django_db
def test_event_create_is_a_draft_of_an_organizer_the_user_may_act_for(login, hostile):
    from django.urls import reverse

    from events.enums import EventStatus
    from events.models import Event
    from tests.events.test_views_organizer import event_data

    agency, organizer = _member_of("service_agency")
    refused = login(organizer).post(reverse("events:create"), {**event_data(), **hostile})
    response = login(organizer).post(reverse("events:create"), {**hostile, **event_data(), "organizer": agency.pk})

    assert refused.status_code == 200 and "organizer" in refused.context["form"].errors
    event = Event.objects.get()
    assert response.status_code == 302
    assert (event.organizer, event.created_by, event.status, event.published_at) == (
        agency,
        organizer,
        EventStatus.DRAFT,
        None,
    )
    assert _hostile_values_kept(event, hostile) == []


@pytest.mark.django_db
def test_service_request_is_for_an_own_organization_only(login, hostile):
    from django.urls import reverse

    from marketplace.enums import MembershipRole
    from pilots.enums import RequestStatus
    from pilots.models import ServiceRequest
    from tests.factories.marketplace import MembershipFactory, OrganizationFactory
    from tests.factories.pilots import PilotBaseFactory
    from tests.pilots.test_views_public import request_data

    base = PilotBaseFactory()
    enterprise, requester = _member_of("enterprise")
    url = reverse("pilots:request-new", args=[base.pk])

    # One organization: nothing to choose, the posted one is ignored.
    accepted = login(requester).post(url, {**hostile, **request_data()})
    # Several: the choice is limited to the user's own.
    MembershipFactory(organization=OrganizationFactory(kind="enterprise"), user=requester, role=MembershipRole.MEMBER)
    refused = login(requester).post(url, {**request_data(title="第二次"), **hostile})

    request = ServiceRequest.objects.get()
    assert accepted.status_code == 302
    assert (request.organization, request.requested_by, request.status, request.quoted_amount) == (
        enterprise,
        requester,
        RequestStatus.SUBMITTED,
        None,
    )
    assert _hostile_values_kept(request, hostile) == []
    assert refused.status_code == 200 and "organization" in refused.context["form"].errors


@pytest.mark.django_db
def test_contract_registration_by_a_party_keeps_the_registrar_fields(login, deal_signed, hostile):
    from django.urls import reverse

    from marketplace.enums import RegistrationStatus
    from marketplace.models import ContractRegistration
    from tests.marketplace.test_views_deals import _form_data

    deal, seller_admin = deal_signed
    data = {**hostile, **_form_data(deal), "total_amount_wan": "80", "technology_amount_wan": "79"}

    response = login(seller_admin).post(reverse("deals:registration", args=[deal.pk]), data)

    registration = ContractRegistration.objects.get(deal=deal)
    assert response.status_code in (200, 302)
    assert (registration.status, registration.technology_amount, registration.registration_number) == (
        RegistrationStatus.DRAFT,
        None,
        None,
    )
    assert (registration.registrar, registration.registered_at, registration.organization) == (
        None,
        None,
        deal.seller,
    )
    assert _hostile_values_kept(registration, hostile) == []


@pytest.fixture
def deal_signed(db):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from marketplace.enums import MembershipRole
    from marketplace.services import deals as services
    from tests.factories.deals import DealFactory, organization_of
    from tests.factories.marketplace import MembershipFactory

    seller_admin = MembershipFactory(organization__kind="university", role=MembershipRole.ADMIN).user
    buyer_admin = MembershipFactory(organization__kind="enterprise", role=MembershipRole.ADMIN).user
    deal = DealFactory(seller=organization_of(seller_admin), buyer=organization_of(buyer_admin), created_by=buyer_admin)
    services.deal_sign(
        deal=deal, user=seller_admin, signed_on=timezone.localdate() - timedelta(days=5), amount=Decimal(800000)
    )
    return deal, seller_admin


# The API ---------------------------------------------------------------------------------------


def _api_post(client, url, body):
    return client.post(url, body, content_type="application/json")


def _without(values: dict, *names) -> dict:
    return {name: value for name, value in values.items() if name not in names}


@pytest.mark.django_db
def test_api_achievement_create_keeps_the_server_fields(login, org_member, organization, hostile):
    from achievements.enums import Status
    from achievements.models import Achievement
    from tests.achievements.test_api import valid_body

    client = login(org_member)
    # external_ref is the owner's own reference (EXCEPTIONS); the organization is the caller's choice.
    body = {**_as_json(_without(hostile, "external_ref")), **valid_body()}
    foreign = _api_post(client, "/api/v1/achievements/", body)
    created = _api_post(client, "/api/v1/achievements/", _without(body, "organization"))

    assert foreign.status_code == 400 and list(foreign.json()["error"]["fields"]) == ["organization"]
    assert created.status_code == 201, created.json()
    achievement = Achievement.objects.get()
    assert (achievement.organization, achievement.created_by, achievement.status, achievement.published_at) == (
        organization,
        org_member,
        Status.DRAFT,
        None,
    )
    assert _hostile_values_kept(achievement, hostile) == []
    assert created.json()["status"] == "draft"


@pytest.mark.django_db
def test_api_demand_create_keeps_the_server_fields(login, hostile):
    from demands.enums import Source, Status
    from demands.models import Demand
    from tests.demands.test_api import valid_body

    enterprise, boss = _member_of("enterprise")
    body = {**_as_json(_without(hostile, "external_ref", "organization")), **valid_body()}

    response = _api_post(login(boss), "/api/v1/demands/", body)

    assert response.status_code == 201, response.json()
    demand = Demand.objects.get()
    assert (demand.organization, demand.created_by, demand.status, demand.source) == (
        enterprise,
        boss,
        Status.DRAFT,
        Source.ENTERPRISE,
    )
    assert _hostile_values_kept(demand, hostile) == []


@pytest.mark.django_db
def test_api_inquiry_and_response_keep_the_server_fields(login, organization, foreign_user, hostile):
    from achievements.enums import InquiryStatus
    from achievements.models import Inquiry
    from demands.enums import ResponseStatus
    from demands.models import DemandResponse
    from tests.factories.achievements import AchievementFactory
    from tests.factories.demands import DemandFactory

    client = login(foreign_user)
    achievement = AchievementFactory(organization=organization)
    demand = DemandFactory(organization=_member_of("enterprise")[0])
    hostile_body = _as_json(_without(hostile, "organization"))

    inquiry = _api_post(client, "/api/v1/inquiries/", {**hostile_body, "achievement": achievement.pk, "body": "价格？"})
    response = _api_post(client, f"/api/v1/demands/{demand.pk}/responses/", {**hostile_body, "approach": "方案"})

    assert (inquiry.status_code, response.status_code) == (201, 201), (inquiry.json(), response.json())
    stored_inquiry, stored_response = Inquiry.objects.get(), DemandResponse.objects.get()
    own = foreign_user.memberships.get().organization  # the hostile "organization" is this one: checked apart
    assert (stored_inquiry.user, stored_inquiry.organization, stored_inquiry.status) == (
        foreign_user,
        own,
        InquiryStatus.OPEN,
    )
    assert (stored_response.organization, stored_response.status) == (own, ResponseStatus.SUBMITTED)
    assert _hostile_values_kept(stored_inquiry, _without(hostile, "organization")) == []
    assert _hostile_values_kept(stored_response, _without(hostile, "organization")) == []


@pytest.mark.django_db
def test_partner_upsert_takes_reference_source_and_owner_from_the_server(hostile):
    from rest_framework.test import APIClient

    from achievements.enums import Status
    from achievements.models import Achievement
    from marketplace.services.partners import partner_application_create, partner_organization
    from tests.factories.marketplace import OrganizationFactory, make_uscc
    from tests.partners.conftest import token_for
    from tests.partners.test_by_ref import achievement_body

    university = OrganizationFactory(kind="university", uscc=make_uscc(9001, prefix="12"))
    credentials = partner_application_create(
        organization=partner_organization(name="山东科技大市场", uscc=""), name="同步", scopes="achievements:write"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(credentials).json()['access_token']}")
    body = {**_as_json(hostile), **achievement_body(university), "status": "published"}

    response = api.put("/api/v1/achievements/by-ref/SD-1/", body, format="json")

    assert response.status_code == 201, response.json()
    achievement = Achievement.objects.get()
    assert (achievement.external_ref, achievement.source, achievement.partner) == (
        "SD-1",
        "partner",
        credentials.partner_application.organization,
    )
    # Listed only after the bureau's review: this partner does not publish directly.
    assert (achievement.organization, achievement.status, achievement.published_at) == (
        university,
        Status.SUBMITTED,
        None,
    )
    assert _hostile_values_kept(achievement, _without(hostile, "status")) == []

"""The demo of deals and technology-contract registrations: a deal in every stage told through
the services, a year of registered contracts for the statistics console, a registrar's queue
that is not empty, dates and logs that agree, and a second run that adds nothing."""

import itertools
import re
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, F, Sum
from django.test.utils import override_settings
from django.utils import timezone

from achievements.demo import seed_achievements
from achievements.enums import Status as AchievementStatus
from demands.demo import seed_demands
from demands.enums import Status as DemandStatus
from marketplace.demo import seed_parties
from marketplace.demo_deals import CONTRACT_PREFIX, seed_deals
from marketplace.enums import (
    ContractCategory,
    ContractSubtype,
    DealKind,
    DealOrigin,
    DealStage,
    FileKind,
    OrganizationKind,
    PartyRole,
    RegistrationStatus,
)
from marketplace.management.commands.seed_demo import STEPS
from marketplace.models import (
    ContractParty,
    ContractRegistration,
    Deal,
    DealPayment,
    Notification,
    PrivateFile,
    RegistrationSequence,
    TransitionLog,
)
from marketplace.services.deals import DEAL_LIFECYCLE, REGISTRATION_LIFECYCLE, next_registration_number

pytestmark = pytest.mark.django_db

NUMBER = re.compile(rf"^(\d{{4}}){settings.MARKET_REGION_CODE}(\d{{6}})$")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The steps this one builds on, and this one, seeded once for the module: the achievement
    import alone takes seconds. All in a transaction rolled back after the module's last test;
    each test runs in a savepoint of it (pytest-django's own), so what one test changes the next
    does not see. The settings the autouse fixtures give each test are given here for the seeding."""
    media = tmp_path_factory.mktemp("media")
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media / "private"}}
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media,
            STORAGES={**settings.STORAGES, "default": storage},
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        transaction.atomic(),
    ):
        seed_parties()
        seed_achievements()
        seed_demands()
        yield seed_deals()
        transaction.set_rollback(True)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Deal,
            DealPayment,
            ContractRegistration,
            ContractParty,
            RegistrationSequence,
            PrivateFile,
            TransitionLog,
            Notification,
        )
    }


def logs_of(model) -> dict[int, list[TransitionLog]]:
    logs = defaultdict(list)
    for log in TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by(
        "created_at", "id"
    ):
        logs[log.object_id].append(log)
    return logs


def test_seed_deals_tells_deals_in_every_stage_and_kind(seeded):
    deals = Deal.objects.select_related("achievement", "demand")
    failed = deals.filter(stage=DealStage.FAILED)

    assert set(deals.values_list("stage", flat=True)) == set(DealStage.values)
    assert set(deals.values_list("kind", flat=True)) == set(DealKind.values)
    assert failed.count() >= 3 and failed.filter(failure_reason="").count() == 0
    # Titles come from the demo listings; the inquiry left at "deal started" has its deal.
    assert all(
        deal.title in {getattr(deal.achievement, "title", None), getattr(deal.demand, "title", None)} for deal in deals
    )
    assert deals.filter(origin=DealOrigin.INQUIRY, inquiry__status="deal_started").count() == 1
    assert deals.filter(brokers__username="agency_member").exists()
    assert {deal.seller.kind for deal in deals} >= {OrganizationKind.UNIVERSITY, OrganizationKind.INSTITUTE}
    # Instalments: never more than agreed, all of it once completed, none before signing.
    instalments = deals.annotate(n=Count("payments"), paid=Sum("payments__amount")).filter(n__gt=0)
    assert instalments.filter(n__gte=2).exists()
    assert all(deal.paid <= deal.amount for deal in instalments)
    assert all(deal.paid == deal.amount for deal in instalments.filter(stage=DealStage.COMPLETED))
    assert not DealPayment.objects.filter(received_on__lt=F("deal__signed_on")).exists()
    assert not DealPayment.objects.filter(received_on__gt=timezone.localdate()).exists()
    signed = [DealStage.SIGNED, DealStage.REGISTERED, DealStage.PERFORMING, DealStage.COMPLETED]
    assert deals.filter(stage__in=signed, signed_on=None).count() == 0
    stages = ", ".join(f"{stage} {deals.filter(stage=stage).count()}" for stage in DealStage.values)
    registered = ContractRegistration.objects.registered().count()
    assert len(seeded) == 1
    assert seeded[0].startswith(
        f"  deals: {deals.count()} deals ({stages}), {registered} registered contracts over 12 "
    )
    assert seeded[0].endswith("2 in the registrar's queue (submitted 1, accepted 1), 1 returned for correction")


def test_seed_deals_registers_a_year_of_contracts_for_the_statistics(seeded):
    now = timezone.now()
    registered = ContractRegistration.objects.registered().select_related("organization")
    months = {
        timezone.localtime(moment).strftime("%Y-%m") for moment in registered.values_list("registered_at", flat=True)
    }
    buyers = ContractParty.objects.filter(registration__in=registered, role=PartyRole.BUYER)
    local = buyers.filter(region__code__startswith=settings.MARKET_REGION_CODE[:4]).count()

    assert 120 <= registered.count() <= 200
    assert registered.filter(registered_at__lt=now - timedelta(days=365)).count() == 0
    assert len(months) >= 10
    assert set(registered.values_list("category", flat=True)) == set(ContractCategory.values)
    assert set(registered.values_list("subtype", flat=True)) == set(ContractSubtype.values)
    assert all(
        subtype in ContractSubtype.for_category(category)
        for category, subtype in registered.values_list("category", "subtype")
    )
    assert registered.values("industry_field").distinct().count() >= 8
    assert {r.organization.kind for r in registered} >= {
        OrganizationKind.UNIVERSITY,
        OrganizationKind.INSTITUTE,
        OrganizationKind.ENTERPRISE,
    }
    assert all(
        Decimal(50000) <= total <= Decimal(20000000) and 0 < technology <= total
        for total, technology in registered.values_list("total_amount", "technology_amount")
    )
    # Local conversion: most buyers in the market's region, not all of them.
    assert buyers.count() == registered.count()
    assert buyers.count() * 0.5 < local < buyers.count()
    assert all(r.parties.filter(role=PartyRole.SELLER).count() == 1 for r in registered)
    assert all(r.contract_number.startswith(CONTRACT_PREFIX) for r in registered)
    # Off the platform before the listings were on the market; from deals on them since.
    assert registered.filter(deal=None).exists() and registered.exclude(deal=None).count() >= 20


def test_seed_deals_issues_registration_numbers_in_order_that_the_sequence_continues(seeded):
    registered = list(ContractRegistration.objects.registered().order_by("registered_at", "pk"))
    serials = defaultdict(list)
    for registration in registered:
        match = NUMBER.match(registration.registration_number)
        assert match, registration.registration_number
        year, serial = int(match[1]), int(match[2])
        assert year == timezone.localtime(registration.registered_at).year
        serials[year].append(serial)

    assert len({r.registration_number for r in registered}) == len(registered)
    for year, taken in serials.items():
        assert taken == list(range(1, len(taken) + 1))
        assert RegistrationSequence.objects.get(year=year).last_number == len(taken)
    year = timezone.localdate().year
    assert next_registration_number(year) == f"{year}{settings.MARKET_REGION_CODE}{len(serials[year]) + 1:06d}"


def same_moment(a, b) -> bool:
    """Equal, or a tick apart: a service stamps the row and then writes its log."""
    return (a is None) == (b is None) and (a is None or abs(a - b) < timedelta(seconds=1))


def test_seed_deals_dates_agree_with_the_transition_log(seeded):
    now = timezone.now()
    today = timezone.localdate()
    registration_logs = logs_of(ContractRegistration)
    broken = []
    for registration in ContractRegistration.objects.select_related("deal"):
        steps = registration_logs[registration.pk]
        chain = [RegistrationStatus.DRAFT, *(log.to_status for log in steps)]
        moments = [registration.created_at, *(log.created_at for log in steps)]
        submitted = [log.created_at for log in steps if log.to_status == RegistrationStatus.SUBMITTED]
        if (
            [log.from_status for log in steps] != chain[:-1]
            or not all(REGISTRATION_LIFECYCLE.can(a, b) for a, b in itertools.pairwise(chain))
            or chain[-1] != registration.status
            or moments != sorted(moments)
            or moments[-1] > now
            or registration.signed_on > timezone.localdate(registration.created_at)
            or not same_moment(registration.submitted_at, submitted[-1] if submitted else None)
            or (registration.registered_at and not same_moment(registration.registered_at, steps[-1].created_at))
            or (registration.deal and registration.deal.signed_on != registration.signed_on)
            or any(log.to_status == RegistrationStatus.RETURNED and not log.reason for log in steps)
        ):
            broken.append(registration.title)
    deal_logs = logs_of(Deal)
    # The deals this step records (responses and challenge awards open theirs in earlier steps).
    for deal in Deal.objects.filter(origin__in=[DealOrigin.DIRECT, DealOrigin.INQUIRY]):
        steps = deal_logs[deal.pk]
        chain = ["", *(log.to_status for log in steps)]
        moments = [deal.created_at, *(log.created_at for log in steps)]
        signed = [log.created_at for log in steps if log.to_status == DealStage.SIGNED]
        if (
            [log.from_status for log in steps] != chain[:-1]
            or not all(DEAL_LIFECYCLE.can(a, b) for a, b in itertools.pairwise(chain[1:]))
            or chain[-1] != deal.stage
            or moments != sorted(moments)
            or max(moments) > now
            or deal.updated_at > now
            or (signed and timezone.localdate(signed[0]) != deal.signed_on)
            or (deal.signed_on and deal.signed_on > today)
        ):
            broken.append(deal.title)

    assert broken == []


def test_seed_deals_fills_the_registrars_queue_through_the_services(seeded):
    queue = ContractRegistration.objects.filter(
        status__in=[RegistrationStatus.SUBMITTED, RegistrationStatus.ACCEPTED, RegistrationStatus.RETURNED]
    )
    returned = queue.get(status=RegistrationStatus.RETURNED)

    assert Counter(queue.values_list("status", flat=True)) == {
        RegistrationStatus.SUBMITTED: 1,
        RegistrationStatus.ACCEPTED: 1,
        RegistrationStatus.RETURNED: 1,
    }
    assert returned.return_reason and returned.registrar.username == "registrar"
    # (The PDFs were stored under the module's media folder, not this test's: their kind, checked by content.)
    assert all(r.signed_contract.kind == FileKind.PDF and r.signed_contract.size > 0 for r in queue)
    assert all(r.deal.stage == DealStage.SIGNED for r in queue)
    assert ContractRegistration.objects.filter(status=RegistrationStatus.DRAFT, signed_contract=None).count() == 1
    assert Notification.objects.filter(kind="registration.submitted", user__username="registrar").count() >= 3
    # Registered through the services: the deal moved on, its listing too.
    told = ContractRegistration.objects.registered().exclude(signed_contract=None).select_related("deal")
    assert told.count() == 6
    assert {r.deal.stage for r in told} == {DealStage.REGISTERED, DealStage.PERFORMING, DealStage.COMPLETED}
    transfer = told.get(category=ContractCategory.TRANSFER).deal.achievement
    assert transfer.status == AchievementStatus.TRANSFERRED
    assert told.exclude(deal__demand=None).get().deal.demand.status == DemandStatus.SOLVED
    # The bulk history leaves the listings on the market (licenses are counted).
    bulk = ContractRegistration.objects.registered().filter(signed_contract=None).exclude(deal=None)
    assert all(
        r.deal.achievement.status == AchievementStatus.PUBLISHED
        for r in bulk.exclude(category=ContractCategory.TRANSFER).select_related("deal__achievement")
    )
    assert all(
        r.deal.achievement.status == AchievementStatus.TRANSFERRED
        for r in bulk.filter(category=ContractCategory.TRANSFER).select_related("deal__achievement")
    )


def test_seed_deals_twice_creates_nothing_more(seeded):
    first = counts()

    lines = seed_deals()
    ContractRegistration.objects.filter(status=RegistrationStatus.SUBMITTED).update(title="登记人员改过名称的合同")
    seed_deals()

    assert counts() == first
    assert lines == seeded


def test_seed_demo_runs_the_deal_step_after_the_challenges_and_before_the_search_index():
    assert (
        STEPS.index("marketplace.demo_deals.seed_deals") == STEPS.index("demands.demo_challenges.seed_challenges") + 1
    )
    assert STEPS[-2:] == ["marketplace.demo.seed_search", "marketplace.demo.seed_matches"]

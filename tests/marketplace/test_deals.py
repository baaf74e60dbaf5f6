"""Deals and contract registration: lifecycles, consequences, who may do what, bad input."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from achievements.enums import InquiryStatus
from achievements.enums import Status as AchievementStatus
from achievements.models import Inquiry
from achievements.services import inquiry_start_deal
from demands.enums import ResponseStatus
from demands.enums import Status as DemandStatus
from demands.services import response_start_deal
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
from marketplace.models import ContractRegistration, Deal, Match, Notification
from marketplace.selectors import transitions_for
from marketplace.services import deals as services
from tests.concurrency import postgresql_only, run_together
from tests.factories.achievements import AchievementFactory
from tests.factories.deals import DealFactory, organization_of
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db


def _sign(deal, user, *, amount=Decimal("800000.00")):
    return services.deal_sign(deal=deal, user=user, signed_on=timezone.localdate() - timedelta(days=3), amount=amount)


def _parties(deal):
    return [services.party_initial(deal.seller, PartyRole.SELLER), services.party_initial(deal.buyer, PartyRole.BUYER)]


def _registration(deal, user, **overrides):
    initial = services.registration_initial(deal)
    fields = {name: initial[name] for name in services.PARTY_FIELDS if name in initial}
    fields.update(contract_number="QD-2026-001", valid_until=timezone.localdate() + timedelta(days=365))
    fields["industry_field"] = deal.achievement.industry_fields.first()
    fields.update(overrides)
    return services.registration_save(
        deal=deal, user=user, parties=_parties(deal), signed_contract=pdf_upload("合同.pdf"), **fields
    )


# Starting deals from each origin -----------------------------------------------------------


def test_inquiry_start_deal_opens_a_deal_priced_at_the_asking_price(seller_admin, buyer_admin):
    achievement = AchievementFactory(
        organization=organization_of(seller_admin), asking_price=1_200_000, modes=["license_sole"]
    )
    inquiry = Inquiry.objects.create(
        achievement=achievement,
        organization=organization_of(buyer_admin),
        user=buyer_admin,
        subject="咨询",
        status="answered",
    )

    deal = inquiry_start_deal(inquiry=inquiry, user=buyer_admin)

    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.DEAL_STARTED
    assert (deal.seller, deal.buyer, deal.achievement) == (achievement.organization, inquiry.organization, achievement)
    assert (deal.origin, deal.kind, deal.stage, deal.amount) == (
        DealOrigin.INQUIRY,
        DealKind.LICENSE,
        DealStage.INTENT,
        Decimal("1200000.00"),
    )
    # The seller hears of it; the buyer, who started it, does not.
    assert Notification.objects.filter(user=seller_admin, kind="deal.started").count() == 1
    assert not Notification.objects.filter(user=buyer_admin, kind="deal.started").exists()


def test_response_start_deal_makes_the_responder_the_seller(buyer_admin, seller_admin):
    demand = DemandFactory(organization=organization_of(buyer_admin))
    response = DemandResponseFactory(demand=demand, organization=organization_of(seller_admin), price_idea=300_000)

    deal = response_start_deal(response=response, user=buyer_admin)

    response.refresh_from_db()
    demand.refresh_from_db()
    assert response.status == ResponseStatus.DEAL_STARTED
    assert demand.status == DemandStatus.NEGOTIATING
    assert (deal.seller, deal.buyer, deal.demand, deal.origin) == (
        response.organization,
        demand.organization,
        demand,
        DealOrigin.RESPONSE,
    )
    assert deal.amount == Decimal("300000.00")


def test_the_demands_assigned_brokers_follow_it_into_the_deal(buyer_admin, seller_admin):
    broker = UserFactory()
    demand = DemandFactory(organization=organization_of(buyer_admin), brokers=[broker])
    response = DemandResponseFactory(demand=demand, organization=organization_of(seller_admin))

    deal = response_start_deal(response=response, user=buyer_admin)

    assert list(deal.brokers.all()) == [broker]
    assert broker.has_perm("marketplace.view_deal", deal)
    assert not broker.has_perm("marketplace.change_deal", deal)


def test_deal_from_match_by_either_side_and_only_once(seller_admin, buyer_admin, foreign_user):
    achievement = AchievementFactory(organization=organization_of(seller_admin))
    demand = DemandFactory(organization=organization_of(buyer_admin))
    match = Match.objects.create(demand=demand, achievement=achievement, score=0.8, computed_at=timezone.now())

    with pytest.raises(PermissionDenied):
        services.deal_start_from_match(match=match, user=foreign_user)
    deal = services.deal_start_from_match(match=match, user=buyer_admin)

    assert (deal.seller, deal.buyer, deal.achievement, deal.demand) == (
        achievement.organization,
        demand.organization,
        achievement,
        demand,
    )
    with pytest.raises(ValidationError, match="已由此发起过交易"):
        services.deal_start_from_match(match=match, user=seller_admin)
    assert Deal.objects.count() == 1


def test_deal_start_refuses_the_same_organization_on_both_sides(seller_admin):
    organization = organization_of(seller_admin)
    with pytest.raises(ValidationError) as caught:
        services.deal_start(
            user=seller_admin,
            origin=DealOrigin.DIRECT,
            seller=organization,
            buyer=organization,
            kind=DealKind.TRANSFER,
            achievement=AchievementFactory(organization=organization),
        )
    assert "不同" in " ".join(caught.value.messages)
    assert not Deal.objects.exists()


# Stages --------------------------------------------------------------------------------------


def test_stages_run_intent_to_completed_with_a_logged_history(deal, seller_admin, buyer_admin):
    services.deal_negotiate(deal=deal, user=buyer_admin)
    _sign(deal, seller_admin)
    services.deal_start_performing(deal=deal, user=buyer_admin)
    services.deal_complete(deal=deal, user=seller_admin)

    deal.refresh_from_db()
    assert deal.stage == DealStage.COMPLETED
    assert [log.to_status for log in transitions_for(deal)][::-1] == [
        "negotiating",
        "signed",
        "performing",
        "completed",
    ]


def test_signing_needs_a_positive_amount_and_a_past_date(deal, seller_admin):
    with pytest.raises(ValidationError) as caught:
        services.deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate() + timedelta(days=1), amount=0)
    assert set(caught.value.message_dict) == {"amount", "signed_on"}
    deal.refresh_from_db()
    assert deal.stage == DealStage.INTENT and deal.signed_on is None


def test_terms_are_frozen_once_signed(deal, seller_admin):
    services.deal_update(deal=deal, user=seller_admin, title="新的名称", kind=DealKind.LICENSE, amount=Decimal(900000))
    _sign(deal, seller_admin)
    with pytest.raises(ValidationError, match="签订"):
        services.deal_update(deal=deal, user=seller_admin, title="再改", kind=DealKind.TRANSFER, amount=Decimal(1))
    deal.refresh_from_db()
    assert (deal.title, deal.kind, deal.amount) == ("新的名称", DealKind.LICENSE, Decimal("800000.00"))


def test_failing_needs_a_reason_that_both_sides_see(deal, seller_admin, buyer_admin):
    with pytest.raises(ValidationError):
        services.deal_fail(deal=deal, user=buyer_admin, reason="  ")
    services.deal_fail(deal=deal, user=buyer_admin, reason="价格未谈拢")
    deal.refresh_from_db()
    assert (deal.stage, deal.failure_reason) == (DealStage.FAILED, "价格未谈拢")
    assert Notification.objects.get(user=seller_admin, kind="deal.stage").body == "价格未谈拢"


def test_parties_cannot_register_a_deal_themselves(deal, seller_admin):
    _sign(deal, seller_admin)
    with pytest.raises(ValidationError):
        services.deal_move(deal=deal, user=seller_admin, stage=DealStage.REGISTERED)


def test_only_parties_change_a_deal(deal, foreign_user, registrar):
    for user in (foreign_user, registrar):
        with pytest.raises(PermissionDenied):
            services.deal_negotiate(deal=deal, user=user)


# Payments ------------------------------------------------------------------------------------


def test_payments_add_up_to_at_most_the_agreed_amount(deal, seller_admin):
    with pytest.raises(ValidationError, match="签订"):
        services.payment_record(deal=deal, user=seller_admin, amount=Decimal(1), received_on=timezone.localdate())
    _sign(deal, seller_admin)
    today = timezone.localdate()
    services.payment_record(deal=deal, user=seller_admin, amount=Decimal(500000), received_on=today, note="首期")
    with pytest.raises(ValidationError) as caught:
        services.payment_record(deal=deal, user=seller_admin, amount=Decimal(300001), received_on=today)
    assert "800,000.00" in caught.value.message_dict["amount"][0]
    services.payment_record(deal=deal, user=seller_admin, amount=Decimal(300000), received_on=today)
    assert services.paid_total(deal) == Decimal("800000.00")


def test_payment_refuses_zero_and_future_dates(deal, seller_admin):
    _sign(deal, seller_admin)
    with pytest.raises(ValidationError) as caught:
        services.payment_record(
            deal=deal, user=seller_admin, amount=Decimal(0), received_on=timezone.localdate() + timedelta(days=2)
        )
    assert set(caught.value.message_dict) == {"amount", "received_on"}
    assert not deal.payments.exists()


# Registration --------------------------------------------------------------------------------


def test_registration_is_prefilled_from_the_deal(deal, seller_admin):
    _sign(deal, seller_admin)
    initial = services.registration_initial(deal)
    assert initial["category"] == ContractCategory.TRANSFER
    # No patent on the factory's achievement: a technical-secret transfer.
    assert initial["subtype"] == ContractSubtype.TECHNICAL_SECRET
    assert initial["total_amount"] == Decimal("800000.00")
    assert [(p["role"], p["name"], p["uscc"]) for p in initial["parties"]] == [
        ("seller", deal.seller.name, deal.seller.uscc),
        ("buyer", deal.buyer.name, deal.buyer.uscc),
    ]
    assert initial["parties"][0]["legal_entity_kind"] == LegalEntityKind.PUBLIC_INSTITUTION


def test_an_unsigned_deal_cannot_be_registered(deal, seller_admin):
    with pytest.raises(ValidationError, match="签订"):
        _registration(deal, seller_admin)
    assert not ContractRegistration.objects.exists()


def test_a_party_without_a_credit_code_is_refused_and_nothing_is_saved(deal, seller_admin):
    _sign(deal, seller_admin)
    parties = _parties(deal)
    parties[1]["uscc"] = ""
    initial = services.registration_initial(deal)
    with pytest.raises(ValidationError) as caught:
        services.registration_save(
            deal=deal,
            user=seller_admin,
            parties=parties,
            title=initial["title"],
            category=initial["category"],
            subtype=initial["subtype"],
            total_amount=initial["total_amount"],
        )
    assert "买方" in " ".join(caught.value.message_dict["parties"])
    assert not ContractRegistration.objects.exists()


def test_subtype_must_belong_to_the_category(deal, seller_admin):
    _sign(deal, seller_admin)
    with pytest.raises(ValidationError) as caught:
        _registration(deal, seller_admin, category=ContractCategory.DEVELOPMENT, subtype=ContractSubtype.TRAINING)
    assert "subtype" in caught.value.message_dict


def test_registrar_fields_cannot_be_set_by_parties(deal, seller_admin):
    _sign(deal, seller_admin)
    with pytest.raises(ValidationError) as caught:
        _registration(deal, seller_admin, technology_amount=Decimal(1), registration_number="X")
    assert set(caught.value.message_dict) == {"registration_number", "technology_amount"}
    assert not ContractRegistration.objects.exists()


def test_submission_needs_the_signed_contract(deal, seller_admin):
    _sign(deal, seller_admin)
    initial = services.registration_initial(deal)
    registration = services.registration_save(
        deal=deal,
        user=seller_admin,
        parties=_parties(deal),
        **{name: initial[name] for name in ("title", "category", "subtype", "total_amount", "signed_on")},
    )
    with pytest.raises(ValidationError) as caught:
        services.registration_submit(registration=registration, user=seller_admin)
    assert {"contract_number", "signed_contract"} <= set(caught.value.message_dict)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.DRAFT


def test_register_issues_a_number_and_marks_the_listings(seller_admin, buyer_admin, registrar):
    achievement = AchievementFactory(organization=organization_of(seller_admin))
    demand = DemandFactory(organization=organization_of(buyer_admin))
    deal = DealFactory(
        seller=achievement.organization, buyer=demand.organization, achievement=achievement, demand=demand
    )
    _sign(deal, buyer_admin)
    registration = _registration(deal, buyer_admin)
    assert registration.organization == deal.buyer
    services.registration_submit(registration=registration, user=buyer_admin)
    services.registration_accept(registration=registration, registrar=registrar)

    with pytest.raises(ValidationError, match="不能超过"):
        services.registration_register(
            registration=registration, registrar=registrar, technology_amount=Decimal("800000.01")
        )
    services.registration_register(registration=registration, registrar=registrar, technology_amount=Decimal(750000))

    registration.refresh_from_db()
    deal.refresh_from_db()
    achievement.refresh_from_db()
    demand.refresh_from_db()
    year = timezone.localdate().year
    assert registration.registration_number == f"{year}370200000001"
    assert (registration.status, registration.technology_amount) == (RegistrationStatus.REGISTERED, Decimal(750000))
    assert deal.stage == DealStage.REGISTERED
    assert achievement.status == AchievementStatus.TRANSFERRED
    assert demand.status == DemandStatus.SOLVED
    assert Notification.objects.filter(user=seller_admin, kind="registration.decided").exists()
    assert Notification.objects.filter(user=buyer_admin, kind="registration.decided").exists()


def test_a_license_is_counted_and_the_achievement_stays_on_the_market(deal, seller_admin, registrar):
    deal.kind = DealKind.LICENSE
    deal.save()
    _sign(deal, seller_admin)
    registration = _registration(deal, seller_admin)
    assert registration.category == ContractCategory.LICENSE
    services.registration_submit(registration=registration, user=seller_admin)
    services.registration_accept(registration=registration, registrar=registrar)
    services.registration_register(registration=registration, registrar=registrar, technology_amount=Decimal(100000))

    deal.achievement.refresh_from_db()
    assert deal.achievement.status == AchievementStatus.PUBLISHED
    assert deal.achievement.license_count == 1


def test_returned_registration_is_corrected_and_resubmitted(deal, seller_admin, registrar):
    _sign(deal, seller_admin)
    registration = _registration(deal, seller_admin)
    services.registration_submit(registration=registration, user=seller_admin)
    with pytest.raises(ValidationError):
        services.registration_return(registration=registration, registrar=registrar, reason="")
    services.registration_return(registration=registration, registrar=registrar, reason="合同编号与原件不一致")

    registration.refresh_from_db()
    assert (registration.status, registration.return_reason) == (RegistrationStatus.RETURNED, "合同编号与原件不一致")
    assert Notification.objects.get(user=seller_admin, kind="registration.decided").body == "合同编号与原件不一致"
    _registration(deal, seller_admin, contract_number="QD-2026-001-A")
    services.registration_submit(registration=registration, user=seller_admin)
    registration.refresh_from_db()
    assert (registration.status, registration.contract_number) == (RegistrationStatus.SUBMITTED, "QD-2026-001-A")


def test_only_the_registrar_decides(deal, seller_admin, reviewer):
    _sign(deal, seller_admin)
    registration = _registration(deal, seller_admin)
    services.registration_submit(registration=registration, user=seller_admin)
    for user in (seller_admin, reviewer):
        with pytest.raises(PermissionDenied):
            services.registration_accept(registration=registration, registrar=user)


def test_a_submitted_registration_cannot_be_changed_by_the_parties(deal, seller_admin):
    _sign(deal, seller_admin)
    registration = _registration(deal, seller_admin)
    services.registration_submit(registration=registration, user=seller_admin)
    with pytest.raises(ValidationError, match="登记机构"):
        _registration(deal, seller_admin, contract_number="改")


def test_registration_numbers_are_consecutive_within_a_year(db):
    first = services.next_registration_number(2026)
    second = services.next_registration_number(2026)
    other_year = services.next_registration_number(2027)
    assert (first, second, other_year) == ("2026370200000001", "2026370200000002", "2027370200000001")


def test_challenge_contract_opens_signed_deals_for_the_winners(registrar):
    from demands.enums import BidStatus, ChallengeStatus
    from demands.services.challenges import challenge_contract
    from tests.factories.challenges import BidFactory, ChallengeFactory

    staff = UserFactory(staff_groups=["bureau_administrator"])
    challenge = ChallengeFactory(status=ChallengeStatus.NOTICE, notice_ends_at=timezone.now() - timedelta(days=1))
    bid = BidFactory(challenge=challenge, status=BidStatus.AWARDED, organization=OrganizationFactory(kind="institute"))

    challenge_contract(challenge=challenge, user=staff)

    deal = Deal.objects.get(bid=bid)
    assert (deal.seller, deal.buyer, deal.stage, deal.kind, deal.origin) == (
        bid.organization,
        challenge.organization,
        DealStage.SIGNED,
        DealKind.DEVELOPMENT,
        DealOrigin.CHALLENGE,
    )
    assert deal.amount == challenge.bounty
    assert services.registration_initial(deal)["subtype"] == ContractSubtype.COMMISSIONED_DEVELOPMENT


# Races on PostgreSQL -----------------------------------------------------------------------


@postgresql_only
@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_numbers():
    numbers = run_together([lambda: services.next_registration_number(2030) for _ in range(6)])
    assert sorted(numbers) == [f"2030370200{serial:06d}" for serial in range(1, 7)]


@postgresql_only
@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_never_exceed_the_agreed_amount():
    seller_admin = MembershipFactory(organization__kind="university", role=MembershipRole.ADMIN).user
    deal = DealFactory(seller=organization_of(seller_admin), signed=True, amount=Decimal(1000))
    results = run_together(
        [
            lambda: services.payment_record(
                deal=Deal.objects.get(pk=deal.pk),
                user=seller_admin,
                amount=Decimal(600),
                received_on=timezone.localdate(),
            )
            for _ in range(2)
        ]
    )
    assert sum(isinstance(result, ValidationError) for result in results) == 1
    assert services.paid_total(deal) == Decimal(600)

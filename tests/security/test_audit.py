"""Audit trail (issue 16, item 7): every status change and money-field change has history with
the actor, visible to staff only.

The first tests enumerate the project's models, so a new model with a status, a stage or a
money field fails here until it keeps history (or is listed below with its reason)."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from achievements.enums import Status
from achievements.services import achievement_publish, achievement_submit
from demands.enums import Status as DemandStatus
from demands.services import demand_publish, demand_submit
from marketplace.enums import DealKind, PartyRole, RegistrationStatus
from marketplace.services import deals as deal_services
from marketplace.services.transitions import Workflow
from pilots.models import FacilitySubsidy
from tests.factories.achievements import AchievementFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory
from tests.factories.pilots import PilotBaseFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("marketplace", "achievements", "demands", "brokers", "pilots", "events")
STATUS_FIELDS = ("status", "stage")

# DecimalFields that are not money, with the reason. Every other DecimalField is money.
NOT_MONEY = {
    ("marketplace", "Criterion", "weight"): "a criterion's weight in an expert evaluation, not an amount",
    ("marketplace", "EvaluationSubject", "result_score"): "computed from the experts' scores when a round closes",
    ("marketplace", "EvaluationSubject", "result_spread"): "computed from the experts' scores when a round closes",
}

# Models with a status but no history of their own, with the reason.
NO_HISTORY_NEEDED = {
    "marketplace.OutgoingMail": "a delivery row (queued → sent | failed) written by the mail worker; the row is its own log",
    "marketplace.WebhookDelivery": "a delivery row written by the webhook worker; the row is its own log",
    "achievements.DigestDelivery": "a delivery row of the digest task; the row is its own log",
    "achievements.Subscription": (
        "a reader's own e-mail subscription, changed only by the reader through a signed link and "
        "deleted on request (privacy): no copies are kept"
    ),
}

# Status models whose every change goes through a Workflow (marketplace/services/transitions.py),
# which writes a TransitionLog row with the actor; they carry no money field.
TRANSITION_LOGGED = {
    "marketplace.EvaluationRound": "marketplace.services.evaluation.ROUND_LIFECYCLE",
}


def audited_models():
    """{label: [the fields that make it audited]} for every concrete model of the project."""
    found = {}
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model.__name__.startswith("Historical"):
            continue
        fields = []
        for field in model._meta.concrete_fields:
            if field.name in STATUS_FIELDS or (
                isinstance(field, models.DecimalField)
                and (model._meta.app_label, model.__name__, field.name) not in NOT_MONEY
            ):
                fields.append(field.name)
        if fields:
            found[model._meta.label] = fields
    return found


def keeps_history(model) -> bool:
    # Set by simple_history on every model it registers (HistoricalRecords or register()).
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None


def test_the_audited_models_are_found():
    found = audited_models()

    # Spot checks that the enumeration sees status, stage and money fields.
    assert set(found["achievements.Achievement"]) == {"status", "asking_price"}
    assert set(found["marketplace.Deal"]) == {"stage", "amount"}
    assert set(found["pilots.FacilitySubsidy"]) == {"investment", "subsidy"}
    assert set(found["marketplace.ContractRegistration"]) == {"status", "total_amount", "technology_amount"}
    assert len(found) >= 35


def test_every_model_with_a_status_or_money_field_keeps_history():
    missing = {
        label: fields
        for label, fields in audited_models().items()
        if not keeps_history(apps.get_model(label))
        and label not in NO_HISTORY_NEEDED
        and label not in TRANSITION_LOGGED
    }

    assert missing == {}


def test_the_exclusions_are_still_needed_and_have_no_money_field():
    found = audited_models()
    for label in (*NO_HISTORY_NEEDED, *TRANSITION_LOGGED):
        model = apps.get_model(label)
        assert label in found, f"{label} has no status any more: drop its exclusion"
        assert not keeps_history(model), f"{label} keeps history now: drop its exclusion"
        assert found[label] == ["status"], f"{label} has a money field: it needs history"
    for app_label, model_name, field_name in NOT_MONEY:
        field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
        assert isinstance(field, models.DecimalField)


@pytest.mark.parametrize(("label", "path"), TRANSITION_LOGGED.items())
def test_models_covered_by_the_transition_log_have_a_workflow_on_their_status(label, path):
    from importlib import import_module

    module, name = path.rsplit(".", 1)
    workflow = getattr(import_module(module), name)
    model = apps.get_model(label)

    assert isinstance(workflow, Workflow)
    assert {value for value, _label in model._meta.get_field(workflow.status_field).choices} == set(
        workflow.choices.values
    )


def test_every_admin_of_a_model_with_history_shows_it():
    without = sorted(
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
        and keeps_history(model)
        and not isinstance(model_admin, SimpleHistoryAdmin)
    )

    assert without == []


# The actor is recorded ---------------------------------------------------------------------


def last_history(obj):
    return obj.history.order_by("-history_id").first()


def test_achievement_submit_and_publish_through_the_services_record_the_actor(organization, org_member, reviewer):
    draft = AchievementFactory(organization=organization, draft=True, created_by=org_member)

    achievement_submit(achievement=draft, user=org_member)
    submitted = last_history(draft)
    achievement_publish(achievement=draft, reviewer=reviewer)
    published = last_history(draft)

    assert (submitted.status, submitted.history_user) == (Status.SUBMITTED, org_member)
    assert (published.status, published.history_user) == (Status.PUBLISHED, reviewer)


def test_achievement_submit_through_the_view_records_the_actor(login, organization, org_member):
    draft = AchievementFactory(organization=organization, draft=True, created_by=org_member)

    login(org_member).post(reverse("achievements:submit", args=[draft.pk]))

    record = last_history(draft)
    assert (record.status, record.history_user, record.history_type) == (Status.SUBMITTED, org_member, "~")


def test_a_demand_transition_records_the_actor(reviewer):
    owner = MembershipFactory(organization__kind="enterprise", role="admin").user
    demand = DemandFactory(organization=owner.memberships.get().organization, draft=True)

    demand_submit(demand=demand, user=owner)
    demand_publish(demand=demand, reviewer=reviewer)

    records = list(demand.history.order_by("history_id").values_list("status", "history_user"))
    assert records[-2:] == [(DemandStatus.SUBMITTED, owner.pk), (DemandStatus.PUBLISHED, reviewer.pk)]


def test_a_pledge_records_the_pools_new_total_with_the_pledging_user():
    from demands.services.pools import pledge_create, pool_create
    from marketplace.models import IndustryField

    issuer_admin = MembershipFactory(organization__kind="enterprise", role="admin").user
    pool = pool_create(
        user=issuer_admin,
        organization=issuer_admin.memberships.get().organization,
        title="海洋防腐涂层共性技术集采",
        description="多家企业共同需要长效海洋防腐涂层。",
        threshold=Decimal(1_000_000),
        deadline=timezone.now() + timedelta(days=30),
        industry_fields=IndustryField.objects.filter(code="marine-chemicals"),
    )
    pledger = MembershipFactory(organization__kind="enterprise", role="admin").user

    pledge_create(pool=pool, user=pledger, amount=Decimal(400_000), agreement=pdf_upload())

    record = last_history(pool)
    assert (record.pledged_total, record.history_user, record.history_type) == (Decimal("400000.00"), pledger, "~")


def test_a_subsidy_amount_changed_in_the_admin_records_the_reviewer_and_shows_in_history(login, reviewer, bureau_admin):
    base = PilotBaseFactory()
    subsidy = FacilitySubsidy.objects.create(
        base=base, facility="连续流微反应中试线", year=2026, investment=Decimal(12_000_000), subsidy=Decimal(3_000_000)
    )
    form = {
        "base": base.pk,
        "facility": subsidy.facility,
        "year": 2026,
        "investment": "12000000",
        "subsidy": "2500000",
        "document_number": "大科发〔2026〕12号",
        "granted_on": "2026-06-30",
        "note": "",
    }

    response = login(reviewer).post(reverse("admin:pilots_facilitysubsidy_change", args=[subsidy.pk]), form)

    assert response.status_code == 302
    record = last_history(subsidy)
    assert (record.subsidy, record.history_user, record.history_type) == (Decimal("2500000.00"), reviewer, "~")
    page = login(bureau_admin).get(reverse("admin:pilots_facilitysubsidy_history", args=[subsidy.pk]))
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert str(reviewer) in text
    assert "3000000.00" in text and "2500000.00" in text


def _registered_by(registrar):
    seller_admin = MembershipFactory(organization__kind="university", role="admin").user
    buyer_admin = MembershipFactory(organization__kind="enterprise", role="admin").user
    deal = DealFactory(
        seller=seller_admin.memberships.get().organization,
        buyer=buyer_admin.memberships.get().organization,
        kind=DealKind.TRANSFER,
        amount=800_000,
        created_by=buyer_admin,
    )
    deal_services.deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate() - timedelta(days=2))
    initial = deal_services.registration_initial(deal)
    fields = {name: initial[name] for name in ("title", "category", "subtype", "total_amount", "signed_on")}
    registration = deal_services.registration_save(
        deal=deal,
        user=seller_admin,
        parties=[
            deal_services.party_initial(deal.seller, PartyRole.SELLER),
            deal_services.party_initial(deal.buyer, PartyRole.BUYER),
        ],
        signed_contract=pdf_upload("合同.pdf"),
        contract_number="QD-2026-001",
        industry_field=deal.achievement.industry_fields.first(),
        valid_until=timezone.localdate() + timedelta(days=365),
        **fields,
    )
    deal_services.registration_submit(registration=registration, user=seller_admin)
    deal_services.registration_accept(registration=registration, registrar=registrar)
    deal_services.registration_register(
        registration=registration, registrar=registrar, technology_amount=Decimal(750_000)
    )
    return registration, seller_admin


def test_the_registrars_amount_is_recorded_with_the_registrar_and_shown_to_staff(login, registrar, reviewer):
    registration, seller_admin = _registered_by(registrar)

    record = last_history(registration)
    assert (record.status, record.technology_amount, record.history_user) == (
        RegistrationStatus.REGISTERED,
        Decimal("750000.00"),
        registrar,
    )
    submitted = registration.history.filter(status=RegistrationStatus.SUBMITTED).get()
    assert submitted.history_user == seller_admin

    page = login(reviewer).get(reverse("admin:marketplace_contractregistration_history", args=[registration.pk]))
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert str(registrar) in text and str(seller_admin) in text
    assert "750000.00" in text


# Staff only ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin:pilots_facilitysubsidy_history", "admin:achievements_achievement_history"])
def test_history_pages_send_non_staff_to_the_admin_login(name, client, login, org_member, organization):
    subsidy = FacilitySubsidy.objects.create(
        base=PilotBaseFactory(), facility="中试线", year=2026, investment=Decimal(100), subsidy=Decimal(10)
    )
    achievement = AchievementFactory(organization=organization)
    pk = subsidy.pk if "subsidy" in name else achievement.pk
    url = reverse(name, args=[pk])

    for visitor in (client, login(org_member)):
        response = visitor.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

"""Property-based fuzzing of the whole OpenAPI schema (/api/schema/) with schemathesis.

Every operation of the schema gets generated requests, sent in-process to Django's WSGI
application, from four callers: an anonymous visitor, an administrator of a university (owner
of achievements, bidder, responder, seller), an administrator of an enterprise (owner of
demands, pools and pledges, buyer), a bureau reviewer and a partner system holding every scope;
the three users log in through the login page, and their requests carry the session cookie and
a CSRF token; the partner's carry a bearer token from /o/token/. Per operation and
caller: MAX_EXAMPLES Hypothesis cases of valid data and as many of invalid data (wrong types,
values out of range, missing fields…), plus a few of schemathesis' deterministic coverage cases
(boundaries and invalid values, unexpected methods and media types). Every response must be no
5xx, have a documented status code and content type, headers and a body matching the schema (the
error envelope for a 4xx). The failures are collected, distinct by operation, kind and status,
and reported together at the end.

Path ids are generated or, half of the time, ids of the rows the fixture created, so requests
reach real objects and not only 404s. Each request runs in a savepoint rolled back afterwards:
every request sees the same fixture data, whatever was sent before it.

Counting: every request sent is counted per caller (printed with -s, by status);
test_enough_requests_were_sent checks the total over the callers is at least MIN_REQUESTS.

Nothing is tolerated: a path no route matches gets the API's JSON 404 too.

schemathesis' own pytest integration (`schemathesis.pytest.from_fixture`) is not used: with
pytest 9 it fails on `Function._nodeid`, and its one item per operation would rebuild the
fixture data for each. The public Python API (`operation.as_strategy`, `iter_coverage_cases`,
`case.call`, `case.validate_response`) does the same work here.

Heavy: PostgreSQL pass only (PostgreSQL is also the database that refuses NUL characters and
out-of-range values, which SQLite would take). FUZZ_COVERAGE=100000 in the environment runs
every coverage case (some 7,000 per caller: minutes each) for a deeper local run.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from achievements import services as achievement_services
from achievements.services_partner import ACHIEVEMENTS
from demands import services as demand_services
from marketplace.enums import MembershipRole, RegistrationStatus, StaffGroup
from marketplace.models import ContractRegistration, IndustryField, Match, Region, WebhookDelivery
from marketplace.scopes import SCOPES
from marketplace.search import SearchFilters
from marketplace.services import deals as deal_services
from marketplace.services import matching as matching_services
from marketplace.services.evaluation import round_create, round_draw
from marketplace.services.partners import listing_partner_upsert, partner_application_create, partner_organization
from marketplace.services.saved_searches import favourite_add, saved_search_create
from marketplace.services.webhooks import webhook_endpoint_create
from tests.factories.achievements import AchievementFactory
from tests.factories.challenges import BidFactory, ChallengeFactory, PledgeFactory, PooledProcurementFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.factories.marketplace import ExpertProfileFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [
    pytest.mark.heavy,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="API fuzzing runs in the PostgreSQL pass"),
    pytest.mark.django_db,
]

CALLERS = ["anonymous", "member", "buyer", "reviewer", "partner"]
# At least this many requests over the four callers together.
MIN_REQUESTS = 2000
# Hypothesis cases per operation, caller and generation mode (valid data, invalid data).
MAX_EXAMPLES = 4
# Coverage cases per operation and caller, at most, spread over the deterministic list (there
# are up to 300 for the richest bodies).
COVERAGE_CASES = {"anonymous": 4, "member": 8, "buyer": 8, "reviewer": 8, "partner": 8}
if os.environ.get("FUZZ_COVERAGE"):
    COVERAGE_CASES = dict.fromkeys(CALLERS, int(os.environ["FUZZ_COVERAGE"]))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run
    database=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: reported as found
    suppress_health_check=list(hypothesis.HealthCheck),
    verbosity=hypothesis.Verbosity.quiet,
)

# Requests sent, by caller: the fuzz tests count, test_enough_requests_were_sent adds up.
SENT: dict[str, int] = {}


# Fixture data -------------------------------------------------------------------------------


@dataclass
class World:
    """Rows the fuzzer's path ids are drawn from, by the collection segment before the id."""

    users: dict
    ids: dict[str, list]


def _world() -> World:
    university = OrganizationFactory(name="青岛模糊测试大学", kind="university")
    enterprise = OrganizationFactory(name="模糊测试新能源有限公司", kind="enterprise")
    member = MembershipFactory(organization=university, role=MembershipRole.ADMIN, user__username="fuzz_member").user
    buyer = MembershipFactory(organization=enterprise, role=MembershipRole.ADMIN, user__username="fuzz_buyer").user
    reviewer = UserFactory(username="fuzz_reviewer", staff_groups=[StaffGroup.REVIEWER])

    published = AchievementFactory(
        organization=university,
        title="高镍三元正极材料包覆改性方法",
        summary="高镍三元正极材料包覆改性，显著提升循环寿命。",
        keywords=["正极材料", "包覆改性"],
    )
    draft = AchievementFactory(organization=university, draft=True)
    submitted = AchievementFactory(organization=university, submitted=True)

    demand = DemandFactory(
        organization=enterprise,
        title="高镍三元正极材料循环寿命提升",
        summary="寻求高镍三元正极材料包覆改性技术，提升循环寿命。",
        keywords=["正极材料", "包覆改性"],
    )
    anonymous_demand = DemandFactory(anonymous=True)
    confidential_demand = DemandFactory(confidential=True, invited=[university])
    draft_demand = DemandFactory(organization=enterprise, draft=True)

    inquiry = achievement_services.inquiry_create(
        achievement=published, user=buyer, subject="合作咨询", body="请问可否提供小试数据？"
    )
    achievement_services.inquiry_reply(inquiry=inquiry, user=member, body="可以，请留下联系方式。")

    response = DemandResponseFactory(demand=demand, organization=university, created_by=member)
    demand_services.response_message(response=response, user=buyer, body="请补充团队介绍。")

    challenge = ChallengeFactory(demand=demand)
    draft_challenge = ChallengeFactory(organization=university, demand=None, draft=True)
    bid = BidFactory(challenge=challenge, organization=university, created_by=member)
    notice_challenge = ChallengeFactory(demand=DemandFactory(organization=enterprise), notice=True)

    pool = PooledProcurementFactory(organization=enterprise)
    pledge = PledgeFactory(pool=pool, organization=enterprise)

    deal = DealFactory(seller=university, buyer=enterprise, achievement=published, signed=True, created_by=buyer)
    deal_services.payment_record(deal=deal, user=member, amount=Decimal(1000), received_on=timezone.localdate())
    parties = [
        {
            "role": role,
            "name": organization.name,
            "uscc": organization.uscc,
            "region": organization.region,
            "legal_entity_kind": "enterprise",
            "organization": organization,
        }
        for role, organization in (("seller", university), ("buyer", enterprise))
    ]
    deal_services.registration_save(
        deal=deal,
        user=member,
        parties=parties,
        title=deal.title,
        contract_number="FUZZ-001",
        category="license",
        subtype="technical_secret_license",
        signed_on=timezone.localdate() - timedelta(days=2),
        total_amount=Decimal("800000.00"),
    )
    registered_deal = DealFactory(seller=university, buyer=enterprise, signed=True)
    registered = ContractRegistration.objects.create(
        deal=registered_deal,
        organization=university,
        title=registered_deal.title,
        category="license",
        subtype="technical_secret_license",
        signed_on=timezone.localdate() - timedelta(days=5),
        total_amount=Decimal("500000.00"),
        technology_amount=Decimal("400000.00"),
        status=RegistrationStatus.REGISTERED,
        registration_number="2026370200000001",
        registered_at=timezone.now(),
    )

    ExpertProfileFactory.create_batch(3)
    evaluation = round_create(
        user=None,
        title="模糊测试成果评价",
        subjects=[published],
        deadline=timezone.now() + timedelta(days=7),
        expert_count=2,
    )
    assignments = round_draw(evaluation=evaluation, user=reviewer, seed=1)
    draft_round = round_create(
        user=None, title="草稿评价", subjects=[published], deadline=timezone.now() + timedelta(days=7)
    )

    matching_services.recompute("achievement", published.pk)
    matches = list(Match.objects.values_list("pk", flat=True))

    partner = partner_application_create(
        organization=partner_organization(name="模糊测试省级平台"), name="模糊测试同步", scopes=list(SCOPES)
    )
    partner.partner_application.throttle_rate = "1000000/minute"  # the fuzzer is not a partner's traffic
    partner.partner_application.publishes_directly = True
    partner.partner_application.save()
    listing_partner_upsert(
        ACHIEVEMENTS,
        partner_application=partner.partner_application,
        external_ref="FUZZ-A1",
        organization=university,
        listed=True,
        fields={"title": "模糊测试合作成果", "summary": "合作伙伴写入的成果。", "category": "industrial", "trl": 5,
                "price_negotiable": True},
        children={"industry_fields": list(IndustryField.objects.filter(code="new-energy-batteries"))},
    )  # fmt: skip
    endpoint = webhook_endpoint_create(
        partner=partner.partner_application.organization,
        url="https://partner.example.cn/hooks",
        events=["achievement.published"],
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="achievement.published", event_id=uuid.uuid4(), payload={"id": "fuzz"}
    )

    favourite = favourite_add(user=member, kind="achievement", object_id=published.pk)
    saved = saved_search_create(user=member, name="正极", query="正极材料", filters=SearchFilters())

    return World(
        users={"member": member, "buyer": buyer, "reviewer": reviewer, "partner": partner},
        ids={
            "achievements": [published.pk, draft.pk, submitted.pk],
            "demands": [demand.pk, anonymous_demand.pk, confidential_demand.pk, draft_demand.pk],
            "inquiries": [inquiry.pk],
            "responses": [response.pk],
            "matches": matches or [0],
            "challenges": [challenge.pk, draft_challenge.pk, notice_challenge.pk],
            "bids": [bid.pk],
            "milestones": list(challenge.milestones.values_list("pk", flat=True))
            + list(draft_challenge.milestones.values_list("pk", flat=True)),
            "pooled-procurements": [pool.pk],
            "pledges": [pledge.pk],
            "deals": [deal.pk, registered_deal.pk],
            "contracts": [registered.pk],
            "evaluations": [evaluation.pk, draft_round.pk],
            "assignments": [assignment.pk for assignment in assignments],
            "organizations": [university.pk, enterprise.pk],
            "industry-fields": list(IndustryField.objects.values_list("pk", flat=True)[:3]),
            "regions": list(
                Region.objects.filter(code__in=["370000", "370200", "370202"]).values_list("code", flat=True)
            ),
            "by-ref": ["FUZZ-A1"],
            "endpoints": [endpoint.pk],
            "deliveries": [delivery.pk],
            "favourites": [favourite.pk],
            "saved-searches": [saved.pk],
        },
    )


@pytest.fixture
def world(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # webhook URLs are not resolved (no network here)
    # The fuzzer is not a visitor's or a person's traffic: no abuse limits (marketplace/ratelimits.py).
    settings.ABUSE_LIMITS = dict.fromkeys(settings.ABUSE_LIMITS, "1000000/m")
    return _world()


def _login(user, password) -> dict[str, str]:
    """Log in through the site's login page; the session and CSRF cookies it sets."""
    client = Client()
    client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302, "the fuzz user could not log in"
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": client.cookies["csrftoken"].value}


def _token(credentials) -> str:
    """A bearer token from /o/token/ (client credentials, HTTP Basic), as a partner gets one."""
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    response = Client().post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


# The fuzzing --------------------------------------------------------------------------------

SEGMENT = re.compile(r"([^/{}]+)/\{([^}]+)\}")


@contextmanager
def _wsgi_app():
    """Django's WSGI handler, without the per-request connection clean-up: the test's transaction
    must survive the requests (Django's test client does the same for its own requests). The
    4xx warnings of django.request are left out of the captured log (thousands of them).

    WSGIHandler, not get_wsgi_application(): Django is set up already, and setting it up again
    would configure logging anew."""
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.ERROR)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        request_logger.setLevel(level)


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()  # an operation the schema cannot describe fails the test here


@dataclass
class Run:
    """One caller's fuzzing: sends cases, validates the responses, keeps the distinct failures."""

    credentials: dict
    known_ids: dict[str, list]
    sent: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=dict)  # (operation, failure title, status) → description

    def send(self, case, ids: dict | None) -> None:
        """Send the case (with the fixture's `ids` in its path, unless the path is meant to be
        invalid) in a savepoint rolled back afterwards, and check the response."""
        if ids and not (case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)):
            case.path_parameters = {**(case.path_parameters or {}), **ids}
        headers, cookies = self.credentials["headers"], self.credentials["cookies"]
        with transaction.atomic():  # every request sees the fixture data as it was
            response = case.call(headers=headers, cookies=cookies)
            transaction.set_rollback(True)
        self.sent["requests"] += 1
        self.sent[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                self._record(case, response, failure)

    def _record(self, case, response, failure) -> None:
        key = (case.operation.label, getattr(failure, "title", type(failure).__name__), response.status_code)
        if key not in self.failures:
            curl = case.as_curl_command(headers=self.credentials["headers"])
            body = response.text[:400] if response.text else ""
            message = getattr(failure, "message", str(failure))[:800]
            self.failures[key] = f"{key[0]} → {key[2]}: {key[1]}\n{message}\n  body: {body}\n  {curl}"

    def known_path_values(self, operation) -> dict[str, list]:
        """{path parameter: fixture ids}, by the collection segment before each parameter."""
        return {
            name: self.known_ids[collection]
            for collection, name in SEGMENT.findall(operation.path)
            if self.known_ids.get(collection)
        }

    def fuzz(self, operation, mode: GenerationMode) -> None:
        """Hypothesis-generated cases of one generation mode (MAX_EXAMPLES of them)."""
        known = self.known_path_values(operation)
        # Half of the cases get path ids of fixture rows.
        known_ids = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})

        @hypothesis.given(case=operation.as_strategy(generation_mode=mode), ids=st.none() | known_ids)
        @hypothesis.settings(SETTINGS)
        def test(case, ids):
            self.send(case, ids)

        with suppress(hypothesis.errors.Unsatisfiable):  # nothing to make invalid: no input at all
            test()

    def cover(self, schema, operation, limit: int) -> None:
        """Schemathesis' deterministic coverage cases, valid and invalid (boundaries, wrong
        types, missing required fields…), at most `limit` of them, spread over the list."""
        config = schema.config.generation_for(operation=operation, phase="coverage")
        cases = list(
            schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode), generation_config=config)
        )
        if len(cases) > limit:
            cases = [cases[len(cases) * i // limit] for i in range(limit)]
        known = self.known_path_values(operation)
        for number, case in enumerate(cases):
            ids = {name: values[number % len(values)] for name, values in known.items()} if number % 2 else None
            self.send(case, ids)


@pytest.mark.parametrize("caller", CALLERS)
def test_api_conforms_to_its_schema(caller, world, password, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    credentials = {"headers": {}, "cookies": {}}
    if caller == "partner":
        credentials["headers"] = {"Authorization": f"Bearer {_token(world.users['partner'])}"}
    elif caller != "anonymous":
        cookies = _login(world.users[caller], password)
        credentials = {"headers": {"X-CSRFToken": cookies["csrftoken"]}, "cookies": cookies}
    run = Run(credentials, world.ids)
    with _wsgi_app() as app:
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
        for operation in _operations(schema):
            for mode in GenerationMode:
                run.fuzz(operation, mode)
            run.cover(schema, operation, COVERAGE_CASES[caller])
    SENT[caller] = run.sent["requests"]
    statuses = sorted((key, value) for key, value in run.sent.items() if isinstance(key, int))
    print(f"\n{caller}: {run.sent['requests']} requests, by status {statuses}")
    assert not run.failures, f"{len(run.failures)} distinct failures:\n\n" + "\n\n".join(run.failures.values())


def test_enough_requests_were_sent():
    """After the fuzz tests (pytest runs a module's tests in order): at least MIN_REQUESTS
    requests in all. Skipped when they did not all run (-k, a caller deselected)."""
    if set(SENT) != set(CALLERS):
        pytest.skip("the fuzz tests did not all run")
    print(f"\nschemathesis requests: {sum(SENT.values())} ({dict(SENT)})")
    assert sum(SENT.values()) >= MIN_REQUESTS

"""Permission matrix, part 1: the completeness rule, and the project's own pages (accounts, organizations,
workspace, expert evaluation, statistics console, deals, matching, search, files)."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import timedelta

import pytest
from django.utils import timezone

import tests.security
from marketplace.enums import PartyRole, RoundStatus
from marketplace.models import (
    Assignment,
    EvaluationRound,
    IndustryField,
    JoinRequest,
    Match,
    Membership,
    Notification,
    SavedSearch,
)
from marketplace.services import deals as deal_services
from marketplace.services.evaluation import round_create
from marketplace.services.files import private_file_store
from tests.factories.achievements import AchievementFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import OrganizationFactory
from tests.files import pdf_upload
from tests.plugins.url_coverage import project_url_names
from tests.security.matrix import LOGIN, PUBLIC, SIGNED_IN, Row, assert_rows, expect, thing

pytestmark = pytest.mark.django_db


def _all_rows() -> list[Row]:
    rows = []
    for module in pkgutil.iter_modules(tests.security.__path__):
        if module.name.startswith("test_matrix_"):
            rows += importlib.import_module(f"tests.security.{module.name}").ROWS
    return rows


def test_every_route_has_rows_in_the_matrix():
    decided = {row.route for row in _all_rows()}
    assert sorted(project_url_names() - decided) == []


def test_rows_name_existing_routes():
    assert sorted({row.route for row in _all_rows()} - project_url_names()) == []


# Records of the rows below ---------------------------------------------------------------------------


@thing
def core_join_request(w):
    """The foreign actor asks to join the home organization: its admin decides, the asker may cancel."""
    return JoinRequest.objects.create(user=w.actor_foreign, organization=w.home, message="申请加入")


@thing
def core_member_membership(w):
    return Membership.objects.get(user=w.actor_member, organization=w.home)


@thing
def core_notification(w):
    return Notification.objects.create(user=w.actor_owner, organization=w.home, kind="test", title="新的咨询")


@thing
def core_saved_search(w):
    return SavedSearch.objects.create(user=w.actor_owner, name="锂电池", query="锂电池")


@thing
def core_published_achievement(w):
    return AchievementFactory(
        organization=w.foreign_org, title="固态电解质薄膜的连续制备工艺", fields=["new-energy-batteries"]
    )


@thing
def core_demand(w):
    """A public demand of the home organization, with the broker actor assigned."""
    return DemandFactory(organization=w.home, fields=["new-energy-batteries"], brokers=[w.actor_broker])


@thing
def core_home_achievement(w):
    return AchievementFactory(organization=w.home, title="高镍正极包覆改性技术", fields=["new-energy-batteries"])


@thing
def core_match(w):
    return Match.objects.create(
        demand=w.core_demand,
        achievement=w.core_published_achievement,
        score=0.8,
        components=[],
        terms=["正极"],
        computed_at=timezone.now(),
    )


@thing
def core_deal(w):
    """A deal in which the home organization buys from a third university; the broker actor is named on it."""
    deal = DealFactory(buyer=w.home, seller=OrganizationFactory(name="矩阵第三方大学", kind="university"))
    deal.brokers.add(w.actor_broker)
    return deal


@thing
def core_signed_deal(w):
    """A signed deal of the home organization (buyer) with its draft contract registration."""
    deal = DealFactory(buyer=w.home, seller=OrganizationFactory(name="矩阵第四方研究院", kind="institute"), signed=True)
    initial = deal_services.registration_initial(deal)
    fields = {name: initial[name] for name in deal_services.PARTY_FIELDS if name in initial}
    fields.update(contract_number="JZ-2026-001", valid_until=timezone.localdate() + timedelta(days=365))
    fields["industry_field"] = deal.achievement.industry_fields.first() or IndustryField.objects.first()
    parties = [
        deal_services.party_initial(deal.seller, PartyRole.SELLER),
        deal_services.party_initial(deal.buyer, PartyRole.BUYER),
    ]
    deal_services.registration_save(
        deal=deal, user=w.actor_owner, parties=parties, signed_contract=pdf_upload("合同.pdf"), **fields
    )
    return deal


@thing
def core_private_file(w):
    """A non-public file of the home organization (its licence)."""
    return private_file_store(uploaded=pdf_upload(), uploaded_by=w.actor_owner, organization=w.home)


@thing
def core_assignment(w):
    """The expert actor's assignment in an open round evaluating the home organization's achievement."""
    evaluation = round_create(
        user=None,
        title="矩阵成果评价",
        subjects=[w.core_home_achievement],
        deadline=timezone.now() + timedelta(days=7),
        expert_count=1,
    )
    EvaluationRound.objects.filter(pk=evaluation.pk).update(status=RoundStatus.SCORING)
    return Assignment.objects.create(round=evaluation, expert=w.expert_profile, draw_index=0)


@thing
def core_subject(w):
    return w.core_assignment.round.subjects.get()


# The table ----------------------------------------------------------------------------------------------

# Who is signed in gets sent on from the pages for visitors (log-in, registration).
SIGNED_IN_SENT_ON = expect(302, anon=200, partners=200)
# A page of the asking user's own: any signed-in person, visitors to the log-in page.
OWN = SIGNED_IN
# A page of the user's active organization (the foreign actor's is its own): people without a
# membership are sent to create or join one.
ORG_PAGE = expect(302, anon=LOGIN, partners=LOGIN, org=200, foreign=200)
# The same, where only the organization's admins may change it: a plain member gets 403.
ORG_ADMIN_PAGE = expect(302, anon=LOGIN, partners=LOGIN, owner=200, member=403, foreign=200)
# Only the home organization's admin (and the bureau administrator) may act; everyone else 404.
ADMIN_ACTION = expect(404, anon=LOGIN, partners=LOGIN, owner=302, administrator=302)
OWNER_ONLY_404 = expect(404, anon=LOGIN, partners=LOGIN, owner=302)
EXPERT_ONLY = expect(403, anon=LOGIN, partners=LOGIN, expert=200)
# The statistics console is for every bureau staff group; organizations and people get 404.
STATISTICS = expect(404, anon=LOGIN, partners=LOGIN, staff=200)

ROWS: list[Row] = [
    # Public pages and plumbing
    Row("home", PUBLIC),
    Row("healthz", PUBLIC),
    Row("favicon", expect(301), note="a permanent redirect to the static icon"),
    Row("region-options", PUBLIC, query="?province=370000"),
    Row("search", PUBLIC, query="?q=锂电池"),
    Row("organizations:list", PUBLIC),
    Row("organizations:detail", PUBLIC, kwargs=lambda w: {"pk": w.home.pk}),
    # Accounts
    Row("login", SIGNED_IN_SENT_ON),
    Row("login", SIGNED_IN_SENT_ON, method="POST", note="visitors: the empty form's errors"),
    Row("register", SIGNED_IN_SENT_ON),
    Row("register", SIGNED_IN_SENT_ON, method="POST"),
    Row("logout", expect(302), method="POST", fresh_client=True),
    Row("logout", expect(405), note="log-out is a POST"),
    Row("password_reset", PUBLIC),
    Row("password_reset", PUBLIC, method="POST", note="empty form: errors"),
    Row("password_reset_done", PUBLIC),
    Row("password_reset_confirm", PUBLIC, kwargs={"uidb64": "MQ", "token": "set-password"}, note="invalid link page"),
    Row("password_reset_complete", PUBLIC),
    Row("password_change", OWN),
    Row("password_change", OWN, method="POST", note="empty form: errors"),
    Row("password_change_done", OWN),
    Row("profile", OWN),
    Row("profile", OWN, method="POST", note="empty form: errors"),
    # The second step of staff log-ins: the matrix's staff sessions have passed it already, so
    # everyone signed in is sent on (tests/security/test_two_factor.py covers the step itself).
    Row("two-factor", expect(302, anon=LOGIN, partners=LOGIN)),
    Row("two-factor", expect(302, anon=LOGIN, partners=LOGIN), method="POST"),
    Row("two-factor-setup", expect(302, anon=LOGIN, partners=LOGIN)),
    Row("two-factor-setup", expect(302, anon=LOGIN, partners=LOGIN), method="POST"),
    Row("privacy-notice", PUBLIC),
    Row("privacy-consent", OWN),
    Row("privacy-consent", OWN, method="POST", note="empty form: errors"),
    Row("personal-data-download", OWN, note="the asker's own data only"),
    Row("account-delete", OWN),
    Row("account-delete", OWN, method="POST", note="empty form: errors, nothing deleted"),
    # Workspace of the active organization
    Row("workspace:home", OWN),
    Row("workspace:switch", expect(404, anon=LOGIN, partners=LOGIN), method="POST", note="no such membership"),
    Row("workspace:organization", ORG_ADMIN_PAGE),
    Row("workspace:organization", ORG_ADMIN_PAGE, method="POST", note="empty form: errors"),
    Row("workspace:organization-new", OWN),
    Row("workspace:organization-new", OWN, method="POST", note="empty form: errors"),
    Row("workspace:join", OWN),
    Row("workspace:join", OWN, method="POST", note="empty form: errors"),
    Row("workspace:verification", ORG_PAGE),
    Row("workspace:verification", ORG_ADMIN_PAGE, method="POST", note="no licence: errors"),
    Row("workspace:members", ORG_PAGE),
    Row(
        "workspace:member-role",
        expect(302, anon=LOGIN, partners=LOGIN, owner=302, member=404, foreign=404),
        method="POST",
        kwargs=lambda w: {"pk": w.core_member_membership.pk},
    ),
    Row(
        "workspace:member-remove",
        expect(302, anon=LOGIN, partners=LOGIN, owner=302, member=302, foreign=404),
        method="POST",
        kwargs=lambda w: {"pk": w.core_member_membership.pk},
    ),
    Row("workspace:join-request-approve", ADMIN_ACTION, method="POST", kwargs=lambda w: {"pk": w.core_join_request.pk}),
    Row("workspace:join-request-reject", ADMIN_ACTION, method="POST", kwargs=lambda w: {"pk": w.core_join_request.pk}),
    Row(
        "workspace:join-request-cancel",
        expect(404, anon=LOGIN, partners=LOGIN, foreign=302),
        method="POST",
        kwargs=lambda w: {"pk": w.core_join_request.pk},
    ),
    Row("workspace:notifications", OWN),
    Row("workspace:notification-read", OWNER_ONLY_404, method="POST", kwargs=lambda w: {"pk": w.core_notification.pk}),
    Row("workspace:notifications-read-all", expect(302, anon=LOGIN, partners=LOGIN), method="POST"),
    Row("workspace:saved-searches", OWN),
    Row(
        "workspace:saved-search-delete",
        OWNER_ONLY_404,
        method="POST",
        kwargs=lambda w: {"pk": w.core_saved_search.pk},
    ),
    Row("workspace:favourites", OWN),
    Row("search-save", expect(302, anon=LOGIN, partners=LOGIN), method="POST", data={"q": "锂电池", "name": "锂电"}),
    Row(
        "favourite-toggle",
        expect(302, anon=LOGIN, partners=LOGIN),
        method="POST",
        kwargs=lambda w: {"kind": "achievement", "object_id": w.core_published_achievement.pk},
    ),
    # Files: the organization's own and staff; foreign access is 404
    Row(
        "private-file",
        expect(404, org=200, staff=200),
        kwargs=lambda w: {"pk": w.core_private_file.pk},
    ),
    # Expert evaluation
    Row("evaluation:list", EXPERT_ONLY),
    Row("evaluation:profile", EXPERT_ONLY),
    Row("evaluation:profile", EXPERT_ONLY, method="POST", note="empty form: errors"),
    Row(
        "evaluation:assignment",
        expect(403, anon=LOGIN, partners=LOGIN, expert=200),
        kwargs=lambda w: {"pk": w.core_assignment.pk},
    ),
    Row(
        "evaluation:subject",
        expect(403, anon=LOGIN, partners=LOGIN, expert=200),
        kwargs=lambda w: {"pk": w.core_assignment.pk, "subject_pk": w.core_subject.pk},
    ),
    Row(
        "evaluation:subject",
        expect(403, anon=LOGIN, partners=LOGIN, expert=200),
        method="POST",
        kwargs=lambda w: {"pk": w.core_assignment.pk, "subject_pk": w.core_subject.pk},
        note="empty score sheet: errors",
    ),
    Row(
        "evaluation:subject-file",
        expect(403, anon=LOGIN, partners=LOGIN, expert=404),
        kwargs=lambda w: {"pk": w.core_assignment.pk, "subject_pk": w.core_subject.pk, "number": 1},
        note="the subject has no file 1",
    ),
    Row(
        "evaluation:submit",
        expect(403, anon=LOGIN, partners=LOGIN, expert=302),
        method="POST",
        kwargs=lambda w: {"pk": w.core_assignment.pk},
    ),
    Row(
        "evaluation:decline",
        expect(403, anon=LOGIN, partners=LOGIN, expert=302),
        method="POST",
        kwargs=lambda w: {"pk": w.core_assignment.pk},
    ),
    # Statistics console: statisticians and administrators; everyone else 404
    Row("statistics:dashboard", STATISTICS),
    Row("statistics:export", STATISTICS, query="?table=period"),
    Row("statistics:funnel", STATISTICS),
    Row("statistics:funnel-export", STATISTICS, query="?table=achievements"),
    Row("statistics:bulletin", STATISTICS),
    Row("statistics:bulletin-html", STATISTICS),
    # Matching
    Row(
        "matching:demand",
        expect(404, anon=LOGIN, partners=LOGIN, org=200, broker=200, staff=200),
        kwargs=lambda w: {"pk": w.core_demand.pk},
        note="the demand's insiders: its organization, the assigned broker, bureau staff",
    ),
    Row(
        "matching:achievement",
        expect(404, anon=LOGIN, partners=LOGIN, org=200, staff=200),
        kwargs=lambda w: {"pk": w.core_home_achievement.pk},
    ),
    Row(
        "matching:feedback",
        expect(404, anon=LOGIN, partners=LOGIN, org=400, foreign=400, broker=400),
        method="POST",
        kwargs=lambda w: {"pk": w.core_match.pk},
        note="the people the match was shown to; an empty verdict is a 400",
    ),
    Row("matching:preview", expect(200, anon=LOGIN, partners=LOGIN), method="POST"),
    Row("matching:triage", expect(404, anon=LOGIN, partners=LOGIN, broker=200, staff=200)),
    # Deals: the parties and the named broker; everyone else 404
    Row("deals:list", OWN),
    Row(
        "deals:detail",
        expect(404, anon=LOGIN, partners=LOGIN, org=200, broker=200, staff=200),
        kwargs=lambda w: {"pk": w.core_deal.pk},
        note="the parties, the named broker (read-only) and bureau staff",
    ),
    Row(
        "deals:terms",
        expect(404, anon=LOGIN, partners=LOGIN, org=400),
        method="POST",
        kwargs=lambda w: {"pk": w.core_deal.pk},
    ),
    Row(
        "deals:move",
        expect(404, anon=LOGIN, partners=LOGIN, org=302),
        method="POST",
        kwargs=lambda w: {"pk": w.core_deal.pk},
    ),
    Row(
        "deals:payment",
        expect(404, anon=LOGIN, partners=LOGIN, org=400),
        method="POST",
        kwargs=lambda w: {"pk": w.core_deal.pk},
    ),
    Row(
        "deals:registration",
        expect(404, anon=LOGIN, partners=LOGIN, org=200),
        kwargs=lambda w: {"pk": w.core_deal.pk},
    ),
    Row(
        "deals:registration-submit",
        expect(404, anon=LOGIN, partners=LOGIN, org=302),
        method="POST",
        kwargs=lambda w: {"pk": w.core_signed_deal.pk},
        note="the parties submit their draft registration to the registrar",
    ),
    Row(
        "deals:registration-submit",
        expect(404, anon=LOGIN, partners=LOGIN),
        note="a deal without a registration has nothing to submit",
        method="POST",
        kwargs=lambda w: {"pk": w.core_deal.pk},
    ),
    Row(
        "deals:from-match",
        expect(404, anon=LOGIN, partners=LOGIN, org=302, foreign=302),
        method="POST",
        kwargs=lambda w: {"pk": w.core_match.pk},
    ),
]


def test_matrix_core_pages(world):
    assert_rows(world, ROWS)

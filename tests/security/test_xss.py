"""Cross-site scripting (issue 16, item 3): payloads through every text, rich-text and link field
come back as text, never as markup that runs; every HTML response carries a strict CSP.

How: a small market is built with the factories (one row of every model users write text into),
then every user-entered CharField/TextField of every row — historical copies included — is
overwritten with one payload group (`xss_payloads.py`), the search index is rebuilt from the
poisoned rows, and the pages are crawled as each kind of viewer: public pages, workspaces,
the admin, search with highlighting, feeds, the iCalendar files, the print page and the digest
e-mail. Each HTML body goes through `executable_markup`, which is unit-tested first on snippets
that must be caught.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from marketplace import search
from marketplace.enums import MembershipRole, OrganizationKind, StaffGroup
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.challenges import BidFactory, ChallengeFactory, PooledProcurementFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import ExpertProfileFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.pilots import (
    BookingFactory,
    EquipmentFactory,
    PilotBaseFactory,
    PilotServiceFactory,
    ServiceRequestFactory,
)
from tests.security.xss_payloads import (
    ALL_PAYLOADS,
    DANGEROUS_URLS,
    MARKER,
    PAYLOAD_GROUPS,
    URL_BREAKOUTS,
)

pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------------------------

FORBIDDEN_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "lowsrc",
    "dynsrc", "cite", "longdesc", "usemap", "manifest", "ping", "values", "to", "from", "by",
}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html", "data:image/svg", "data:application")
# Scripts the project ships: same-origin files (static, the admin's jsi18n), or JSON data blocks.
SCRIPT_DATA_TYPES = {"application/json", "application/ld+json"}


def _squeezed(value: str) -> str:
    """A URL as a browser reads its scheme: control characters and whitespace dropped, lower case."""
    return "".join(ch for ch in value if ord(ch) > 0x20).lower()


def _dangerous_css(value: str) -> bool:
    css = _squeezed(value)
    return (
        "expression(" in css or "javascript:" in css or "vbscript:" in css or "@import" in css or "-moz-binding" in css
    )


class _Detector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._raw: tuple[str, dict] | None = None  # the open <script> or <style> and its attributes
        self._raw_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs, closed=True)

    def _check(self, tag, attrs, closed=False):
        found = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"line {line}: <{tag}> element")
        if tag == "meta" and found.get("http-equiv", "").strip().lower() == "refresh":
            self.problems.append(f"line {line}: <meta http-equiv=refresh>")
        if tag == "link" and "import" in found.get("rel", "").lower():
            self.problems.append(f"line {line}: <link rel=import>")
        for name, value in found.items():
            if name.startswith("on"):
                self.problems.append(f"line {line}: event handler {name}= on <{tag}>")
            elif name == "srcdoc":
                self.problems.append(f"line {line}: srcdoc= on <{tag}>")
            elif name in URL_ATTRIBUTES and _squeezed(value).startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"line {line}: {name}={value[:40]!r} on <{tag}>")
            elif name == "style" and _dangerous_css(value):
                self.problems.append(f"line {line}: style={value[:40]!r} on <{tag}>")
        if tag == "script":
            script_type = found.get("type", "").strip().lower()
            src = found.get("src")
            if src is not None and not (src.startswith("/") and not src.startswith("//")):
                self.problems.append(f"line {line}: <script src={src[:40]!r}> from another origin")
            if src is None and script_type not in SCRIPT_DATA_TYPES:
                self.problems.append(f"line {line}: inline <script> (type {script_type or 'JavaScript'!r})")
        if tag in ("script", "style") and not closed:
            self._raw, self._raw_text = (tag, found), []

    def handle_data(self, data):
        if self._raw:
            self._raw_text.append(data)

    def handle_endtag(self, tag):
        if self._raw and tag == self._raw[0]:
            text = "".join(self._raw_text)
            name, attrs = self._raw
            if name == "style" and _dangerous_css(text):
                self.problems.append(f"line {self.getpos()[0]}: <style> with {text.strip()[:40]!r}")
            if name == "script" and attrs.get("src") is not None and text.strip():
                self.problems.append(f"line {self.getpos()[0]}: <script src> with inline code {text.strip()[:40]!r}")
            if name == "script" and attrs.get("type", "").strip().lower() in SCRIPT_DATA_TYPES:
                try:
                    json.loads(text)
                except ValueError:
                    self.problems.append(f"line {self.getpos()[0]}: a JSON <script> block that is not JSON")
            self._raw = None


def executable_markup(html: str) -> list[str]:
    """What in `html` could run in a browser: script elements other than our static files and
    JSON blocks, event-handler attributes, script URLs, frames, objects, <base>, meta refresh,
    CSS expressions."""
    detector = _Detector()
    detector.feed(html)
    detector.close()
    return detector.problems


def assert_no_executable_markup(html: str, where: str = "") -> None:
    problems = executable_markup(html)
    assert not problems, f"{where}: executable markup\n" + "\n".join(problems[:20])


MALICIOUS_SNIPPETS = {
    "inline script": "<p>ok</p><script>alert(1)</script>",
    "script from elsewhere": '<script src="//evil.example/x.js"></script>',
    "script with src and body": '<script src="/static/js/market.js">alert(1)</script>',
    "img onerror": '<img src="x" onerror="alert(1)">',
    "upper-case handler": "<IMG SRC=x ONERROR=alert(1)>",
    "svg onload": "<svg onload=alert(1)>",
    "svg script": "<svg><script>alert(1)</script></svg>",
    "javascript href": '<a href="javascript:alert(1)">x</a>',
    "entity-encoded javascript href": '<a href="&#106;avascript:alert(1)">x</a>',
    "tab inside the scheme": '<a href="java\tscript:alert(1)">x</a>',
    "leading space": '<a href=" javascript:alert(1)">x</a>',
    "data html": '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "form action": '<form action="javascript:alert(1)"></form>',
    "formaction": '<button formaction="javascript:alert(1)">x</button>',
    "iframe srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "object": '<object data="x.swf"></object>',
    "embed": '<embed src="x">',
    "base": '<base href="//evil.example/">',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "css expression": '<div style="width: expression(alert(1))">x</div>',
    "style element": "<style>body{background:url(javascript:alert(1))}</style>",
    "svg animate": '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
    "mathml xlink": '<math><maction xlink:href="javascript:alert(1)">x</maction></math>',
    "details ontoggle": "<details open ontoggle=alert(1)>",
    "link import": '<link rel="import" href="/x.html">',
    "broken json block": '<script type="application/json">{"a": </script><script>1</script>',
}


@pytest.mark.parametrize("snippet", MALICIOUS_SNIPPETS.values(), ids=MALICIOUS_SNIPPETS.keys())
def test_detector_flags_each_trick(snippet):
    page = f"<!doctype html><html><head></head><body>{snippet}</body></html>"

    assert executable_markup(page) != []
    with pytest.raises(AssertionError, match="executable markup"):
        assert_no_executable_markup(page, "snippet")


def test_detector_accepts_escaped_payloads_and_our_own_scripts():
    from django.utils.html import escape

    page = (
        '<!doctype html><html><head><script src="/static/js/market.js" defer></script>'
        '<link rel="alternate" type="application/rss+xml" href="/featured/rss/"></head><body>'
        + "".join(f'<p title="{escape(p)}">{escape(p)}</p>' for p in ALL_PAYLOADS)
        + '<a href="/achievements/1/">x</a><img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
        + '<script type="application/json" id="d">{"a": "\\u003Cscript\\u003E"}</script></body></html>'
    )

    assert executable_markup(page) == []


# ---------------------------------------------------------------------------------------------
# The market, and how its rows are poisoned
# ---------------------------------------------------------------------------------------------

POISONED_APPS = {"marketplace", "achievements", "demands", "brokers", "pilots", "events"}
# Rows the project writes itself, never from what a user typed (or typed through a validator that
# allows no markup: codes, e-mail addresses, hashes, tokens); the search index is rebuilt from the
# poisoned rows instead of being poisoned directly.
SYSTEM_MODELS = {
    "marketplace.region", "marketplace.industryfield", "marketplace.searchdocument", "marketplace.outgoingmail",
    "marketplace.idempotencykey", "marketplace.termstatistic", "marketplace.partnerapplication",
    "marketplace.tombstone", "marketplace.webhookdelivery", "achievements.digestdelivery",
}  # fmt: skip
SYSTEM_FIELDS = {
    "password", "username", "sha256", "key", "fingerprint", "owner", "secret", "scopes", "throttle_rate",
    "events", "collection", "kind", "purpose", "period", "url", "claimed_by", "message_id", "last_error",
    "title_tokens", "body_tokens", "filter_tokens", "history_change_reason", "history_type",
    "privacy_consent_version",
}  # fmt: skip
# Rows the world's links point at by these values: kept so the pages still resolve.
KEPT_FIELDS = {"marketplace.notification": {"url"}}


def poisoned_fields(model) -> list[models.Field]:
    """The user-entered text fields of `model`: CharField/TextField without choices; URLField
    and EmailField excepted (their validators refuse markup, link fields are tested on their own)."""
    label = model._meta.label_lower
    if model._meta.app_label not in POISONED_APPS or label in SYSTEM_MODELS:
        return []
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not isinstance(f, models.URLField | models.EmailField | models.SlugField)
        and not f.choices
        and f.name not in SYSTEM_FIELDS
        and f.name not in KEPT_FIELDS.get(label, ())
    ]


def _value(payloads: tuple[str, ...], *, start: int, limit: int | None, prefix: str) -> str:
    """`prefix` then as many payloads as fit in `limit`, starting at `start` and wrapping round."""
    # No input path stores NUL (forms and the API refuse it: test_forms_refuse_nul_characters) and
    # PostgreSQL cannot hold it; NUL payloads still go through query strings and forms.
    payloads = tuple(p.replace("\x00", "") for p in payloads)
    if limit is None:
        return prefix + "\n".join(payloads[start:] + payloads[:start])
    value = prefix
    for offset in range(len(payloads)):
        payload = payloads[(start + offset) % len(payloads)]
        if len(value) + 1 + len(payload) <= limit:
            value += " " + payload
    return value[:limit]


@dataclass
class Poisoning:
    fields: set[str] = field(default_factory=set)  # "app.Model.field" overwritten
    rows: int = 0


def poison_everything(payloads: tuple[str, ...]) -> Poisoning:
    """Overwrite every user-entered text field of every row with `payloads` (TextFields get them
    all, CharFields as many as fit, each field and row starting at another payload), then rebuild
    the search documents from the poisoned rows."""
    report = Poisoning()
    for model in apps.get_models():
        fields = poisoned_fields(model)
        if not fields:
            continue
        for row_number, pk in enumerate(model._base_manager.values_list("pk", flat=True)):
            values = {}
            for index, f in enumerate(fields):
                limit = f.max_length if isinstance(f, models.CharField) else None
                prefix = f"{MARKER}{pk}" if limit else f"{MARKER} "
                values[f.name] = _value(payloads, start=index + row_number, limit=limit, prefix=prefix)
                report.fields.add(f"{model._meta.label}.{f.name}")
            model._base_manager.filter(pk=pk).update(**values)
            report.rows += 1
        if any(f.name == "keywords" for f in model._meta.concrete_fields):
            model._base_manager.update(keywords=[p[:30] for p in payloads if len(p) <= 120][:5] or ["x"])
    for adapter in search.adapters().values():
        for obj in adapter.model._base_manager.all():
            search.update(obj)
    return report


@dataclass
class Market:
    owner: object  # admin of the university that offers the achievement and answers the demand
    buyer: object  # admin of the enterprise that posts the demand and asks about the achievement
    operator: object  # admin of the pilot operator
    organizer: object  # admin of the service agency that organizes the event
    broker: object
    expert: object
    superuser: object
    rows: dict


def _message(thread, organization, author, body="你好"):
    from marketplace.models import Message

    return Message.objects.create(
        thread_type=ContentType.objects.get_for_model(thread),
        thread_id=thread.pk,
        organization=organization,
        author=author,
        body=body,
    )


def build_market(organization, org_admin, foreign_organization, foreign_user) -> Market:
    """One row of each model users write text into, linked so every workspace page has content."""
    from achievements.models import Completer, FeaturedIssue, FeaturedItem, Inquiry, IPRight, LedgerEntry, Problem
    from brokers.models import (
        Course,
        Engagement,
        EngagementActivity,
        Enrolment,
        ExcellentBroker,
        LevelUpgrade,
        RewardRule,
        ServiceTeam,
    )
    from demands.models import Objection
    from events.models import LetterOfIntent, Meeting, Presentation
    from marketplace.models import (
        Assignment,
        ContractParty,
        ContractRegistration,
        Criterion,
        DealPayment,
        EvaluationRound,
        EvaluationSubject,
        Favourite,
        JoinRequest,
        Notification,
        SavedSearch,
        ScoreComment,
        Synonym,
        TransitionLog,
        YearlyTarget,
    )
    from pilots.models import FacilitySubsidy, FilingReview

    today = timezone.localdate()
    seller, buyer_org = organization, foreign_organization
    seller.website = "https://www.qdtest.edu.cn/"
    seller.save(update_fields=["website"])
    rows: dict = {}

    achievement = AchievementFactory(organization=seller, description="<p>说明</p>")
    rows["achievement"] = achievement
    Completer.objects.create(achievement=achievement, rank=1, name="王一", affiliation="青岛大学", title="教授")
    IPRight.objects.create(achievement=achievement, kind="invention_patent", title="一种正极材料", number="CN1")
    LedgerEntry.objects.create(achievement=achievement, month=today.replace(day=1), progress="洽谈", next_steps="签约")
    Problem.objects.create(achievement=achievement, obstacle="缺少中试", department="科技局", resolution="")
    inquiry = Inquiry.objects.create(achievement=achievement, organization=buyer_org, user=foreign_user, subject="询价")
    rows["inquiry"] = inquiry
    _message(inquiry, buyer_org, foreign_user)
    _message(inquiry, seller, org_admin)

    demand = DemandFactory(organization=buyer_org)
    rows["demand"] = demand
    response = DemandResponseFactory(demand=demand, organization=seller)
    rows["response"] = response
    _message(response, seller, org_admin)
    _message(response, buyer_org, foreign_user)

    challenge = ChallengeFactory(demand=DemandFactory(organization=buyer_org))
    rows["challenge"] = challenge
    rows["bid"] = BidFactory(challenge=challenge, organization=seller)
    Objection.objects.create(challenge=challenge, user=foreign_user, text="异议", status="open")
    rows["pool"] = PooledProcurementFactory(organization=buyer_org)

    broker_profile = BrokerProfileFactory(user__username="xss_broker", fields=["new-energy-batteries"])
    demand.assigned_brokers.add(broker_profile.user)
    engagement = Engagement.objects.create(broker=broker_profile, demand=demand)
    rows["engagement"] = engagement
    EngagementActivity.objects.create(engagement=engagement, kind="visit", occurred_on=today, note="走访")
    LevelUpgrade.objects.create(
        profile=broker_profile, from_level="junior", to_level="intermediate", training_hours=40, deal_count=3,
        evidence="证明", review_note="",
    )  # fmt: skip
    course = Course.objects.create(
        title="技术经纪人初级培训", level="junior", hours=48, starts_on=today, ends_on=today + timedelta(days=5),
        provider="中国科学技术交流中心", description="课程",
    )  # fmt: skip
    rows["course"] = course
    Enrolment.objects.create(course=course, profile=broker_profile)
    rows["team"] = ServiceTeam.objects.create(name="服务队", institution=seller, office=broker_profile.agency)
    ExcellentBroker.objects.create(year=today.year, profile=broker_profile, rank=1, citation="表彰")
    RewardRule.objects.create(name="奖励", kind="fixed_per_deal", amount=Decimal(1000))

    operator_org = OrganizationFactory(kind=OrganizationKind.PILOT_OPERATOR, name="中试运营有限公司")
    operator = MembershipFactory(organization=operator_org, role=MembershipRole.ADMIN, user__username="xss_op").user
    base = PilotBaseFactory(operator=operator_org)
    rows["base"] = base
    equipment = EquipmentFactory(base=base)
    rows["equipment"] = equipment
    rows["service"] = PilotServiceFactory(base=base)
    rows["request"] = ServiceRequestFactory(base=base, organization=buyer_org)
    BookingFactory(equipment=equipment, note="预约")
    FilingReview.objects.create(base=base, year=today.year, outcome="passed", note="合格")
    FacilitySubsidy.objects.create(
        base=base, facility="反应釜", year=today.year, investment=Decimal(1000000), subsidy=Decimal(100000),
        document_number="青科字1号", note="补助",
    )  # fmt: skip

    agency = OrganizationFactory(kind=OrganizationKind.SERVICE_AGENCY, name="技术服务有限公司")
    organizer = MembershipFactory(organization=agency, role=MembershipRole.ADMIN, user__username="xss_org").user
    event = EventFactory(organizer=agency, description="介绍")
    rows["event"] = event
    mine = RegistrationFactory(event=event, user=org_admin, organization=seller, note="参会")
    theirs = RegistrationFactory(event=event, user=foreign_user, organization=buyer_org, note="参会")
    rows["registration"] = mine
    Presentation.objects.create(
        event=event, achievement=achievement, organization=seller, presenter_name="王一", pitch="路演", status_note=""
    )
    start = event.starts_at + timedelta(hours=2)
    Meeting.objects.create(
        event=event, requester=theirs, invitee=mine, starts_at=start, ends_at=start + timedelta(minutes=20),
        topic="洽谈", status_note="", table="A1",
    )  # fmt: skip
    rows["intent"] = LetterOfIntent.objects.create(
        event=event, seller=seller, buyer=buyer_org, title="意向", note="备注"
    )

    deal = DealFactory(seller=seller, buyer=buyer_org, achievement=achievement)
    rows["deal"] = deal
    DealPayment.objects.create(deal=deal, amount=Decimal(100000), received_on=today, note="首付")
    registration = ContractRegistration.objects.create(
        organization=seller, deal=deal, title="技术转让合同", contract_number="HT-1", category="transfer",
        subtype="patent_right", return_reason="",
    )  # fmt: skip
    rows["contract"] = registration
    ContractParty.objects.create(
        registration=registration, role="seller", name=seller.name, uscc=seller.uscc, region=seller.region,
        legal_entity_kind="public_institution",
    )  # fmt: skip

    expert = ExpertProfileFactory(user__username="xss_expert", introduction="专家")
    evaluation = EvaluationRound.objects.create(
        title="评价", deadline=timezone.now() + timedelta(days=7), note="说明", period=str(today.year)
    )
    Criterion.objects.create(round=evaluation, name="创新性", weight=Decimal(1))
    subject = EvaluationSubject.objects.create(
        round=evaluation, content_type=ContentType.objects.get_for_model(achievement), object_id=achievement.pk,
        owner=seller, label="成果",
    )  # fmt: skip
    assignment = Assignment.objects.create(round=evaluation, expert=expert, declined_reason="")
    rows["assignment"] = assignment
    ScoreComment.objects.create(assignment=assignment, subject=subject, comment="评语")

    issue = FeaturedIssue.objects.create(
        number=1, title="第一期", period_start=today - timedelta(days=7), period_end=today, editor_note="编者按",
        status="published", published_at=timezone.now(),
    )  # fmt: skip
    rows["issue"] = issue
    FeaturedItem.objects.create(issue=issue, achievement=achievement, note="推荐")

    for user in (org_admin, foreign_user, operator, organizer, broker_profile.user):
        Notification.objects.create(user=user, kind="test", title="通知", body="内容", url="/workspace/")
    SavedSearch.objects.create(user=org_admin, name="保存", query="锂电池")
    Favourite.objects.create(
        user=org_admin, content_type=ContentType.objects.get_for_model(achievement), object_id=achievement.pk,
        title=achievement.title,
    )  # fmt: skip
    JoinRequest.objects.create(user=UserFactory(), organization=seller, message="申请加入", decision_reason="")
    Synonym.objects.create(terms="锂电池,锂离子电池")
    YearlyTarget.objects.create(year=today.year, metric="contract_turnover", target=Decimal(1), note="目标")
    TransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(achievement), object_id=achievement.pk,
        from_status="submitted", to_status="published", reason="理由",
    )  # fmt: skip

    superuser = UserFactory(username="xss_super", is_superuser=True, staff_groups=[StaffGroup.ADMINISTRATOR])
    return Market(
        owner=org_admin, buyer=foreign_user, operator=operator, organizer=organizer, broker=broker_profile.user,
        expert=expert.user, superuser=superuser, rows=rows,
    )  # fmt: skip


@pytest.fixture
def market(organization, org_admin, foreign_organization, foreign_user):
    return build_market(organization, org_admin, foreign_organization, foreign_user)


# ---------------------------------------------------------------------------------------------
# Crawling
# ---------------------------------------------------------------------------------------------

SKIP_PREFIXES = ("/static/", "/media/", "/files/", "/accounts/logout", "/api/", "/o/", "/admin/")
SKIP_SUFFIXES = (".xlsx", ".pdf", ".svg", ".csv", ".ics", "/rss/", "/atom/")
HREF = re.compile(r'href="(/[^"#]*)')


@dataclass
class Crawl:
    pages: dict[str, int] = field(default_factory=dict)  # url → status
    problems: dict[str, list[str]] = field(default_factory=dict)
    showing_payloads: set[str] = field(default_factory=set)  # pages that show a poisoned value
    missing_csp: list[str] = field(default_factory=list)


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def inspect(response, url: str, crawl: Crawl) -> str:
    """Check one response into `crawl`; returns the HTML ('' for anything else)."""
    crawl.pages[url] = response.status_code
    if not _is_html(response) or getattr(response, "streaming", False) or not response.content:
        return ""  # redirects and empty htmx answers have no document to protect
    html = response.content.decode()
    problems = executable_markup(html)
    if problems:
        crawl.problems[url] = problems
    if MARKER in html:
        crawl.showing_payloads.add(url)
    if not _strict_csp(response):
        crawl.missing_csp.append(url)
    return html


def _strict_csp(response) -> bool:
    policy = response.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";") if d.strip()}
    script = directives.get("script-src") or directives.get("default-src", "")
    return bool(script) and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script


def crawl_site(client: Client, seeds, *, limit: int, follow: bool = True, crawl: Crawl | None = None) -> Crawl:
    """GET `seeds`, then the same-site links of the HTML pages (query strings dropped), up to `limit`."""
    crawl = crawl or Crawl()
    queue = list(dict.fromkeys(seeds))
    seen = set(queue) | set(crawl.pages)
    while queue and len(crawl.pages) < limit:
        url = queue.pop(0)
        html = inspect(client.get(url), url, crawl)
        if not (follow and html):
            continue
        for link in HREF.findall(html):
            link = link.split("?")[0]
            if link in seen or link.startswith(SKIP_PREFIXES) or link.endswith(SKIP_SUFFIXES) or "/delete" in link:
                continue
            seen.add(link)
            queue.append(link)
    return crawl


def viewer_seeds(market: Market) -> dict[str, tuple[object | None, list[str]]]:
    """Who looks, and where they start: the public portal, each party's workspace and its records."""
    r = market.rows
    public = [
        "/", reverse("achievements:detail", args=[r["achievement"].pk]), reverse("demands:detail", args=[r["demand"].pk]),
        reverse("demands:challenge", args=[r["challenge"].pk]), reverse("demands:pool", args=[r["pool"].pk]),
        reverse("organizations:detail", args=[r["achievement"].organization_id]),
        reverse("pilots:detail", args=[r["base"].pk]), reverse("events:detail", args=[r["event"].pk]),
        reverse("brokers:detail", args=[r["engagement"].broker_id]),
        reverse("achievements:featured-issue", args=[r["issue"].number]),
        reverse("achievements:featured-print", args=[r["issue"].number]), reverse("brokers:excellent"),
        reverse("pilots:calendar", args=[r["base"].pk]),
    ]  # fmt: skip
    owner = [
        "/workspace/", reverse("achievements:workspace-detail", args=[r["achievement"].pk]),
        reverse("achievements:edit", args=[r["achievement"].pk]), reverse("achievements:inquiry", args=[r["inquiry"].pk]),
        reverse("demands:response", args=[r["response"].pk]), reverse("demands:bid", args=[r["bid"].pk]),
        reverse("deals:detail", args=[r["deal"].pk]), reverse("deals:registration", args=[r["deal"].pk]),
        reverse("events:ticket", args=[r["registration"].pk]), reverse("events:mine"),
        reverse("workspace:notifications"), reverse("workspace:saved-searches"), reverse("workspace:favourites"),
        reverse("workspace:members"), reverse("workspace:organization"), reverse("matching:achievement", args=[r["achievement"].pk]),
        reverse("achievements:report"), reverse("events:agenda", args=[r["event"].pk]),
    ]  # fmt: skip
    buyer = [
        "/workspace/", reverse("demands:workspace-detail", args=[r["demand"].pk]),
        reverse("demands:edit", args=[r["demand"].pk]), reverse("demands:workspace-challenge", args=[r["challenge"].pk]),
        reverse("achievements:inquiry", args=[r["inquiry"].pk]), reverse("demands:response", args=[r["response"].pk]),
        reverse("pilots:request", args=[r["request"].pk]), reverse("deals:detail", args=[r["deal"].pk]),
        reverse("matching:demand", args=[r["demand"].pk]), reverse("demands:responses"),
    ]  # fmt: skip
    operator = [
        "/workspace/", reverse("pilots:mine"), reverse("pilots:edit", args=[r["base"].pk]),
        reverse("pilots:equipment-edit", args=[r["equipment"].pk]), reverse("pilots:service-edit", args=[r["service"].pk]),
        reverse("pilots:request", args=[r["request"].pk]), reverse("pilots:requests"),
    ]  # fmt: skip
    organizer = [
        "/workspace/", reverse("events:organized"), reverse("events:manage", args=[r["event"].pk]),
        reverse("events:edit", args=[r["event"].pk]), reverse("events:check-in", args=[r["event"].pk]),
        reverse("events:report", args=[r["event"].pk]),
    ]  # fmt: skip
    broker = [
        reverse("brokers:profile"), reverse("brokers:engagements"), reverse("brokers:engagement", args=[r["engagement"].pk]),
        reverse("brokers:courses"), reverse("brokers:course", args=[r["course"].pk]), reverse("demands:detail", args=[r["demand"].pk]),
        reverse("matching:triage"),
    ]  # fmt: skip
    expert = [
        reverse("evaluation:list"),
        reverse("evaluation:assignment", args=[r["assignment"].pk]),
        reverse("evaluation:profile"),
    ]
    staff = [
        reverse("statistics:dashboard"), reverse("statistics:funnel"), reverse("statistics:bulletin"),
        reverse("statistics:bulletin-html"), reverse("brokers:performance"), reverse("brokers:teams"),
        reverse("brokers:team", args=[r["team"].pk]), reverse("brokers:training-report"), reverse("events:yearly"),
        reverse("demands:record"),
    ]  # fmt: skip
    return {
        "anonymous": (None, public),
        "owner": (market.owner, owner + public),
        "buyer": (market.buyer, buyer + public),
        "operator": (market.operator, operator),
        "organizer": (market.organizer, organizer),
        "broker": (market.broker, broker),
        "expert": (market.expert, expert),
        "staff": (market.superuser, staff + public),
    }


def admin_urls(market: Market) -> list[str]:
    """The change list and one change form of every admin model that holds a row, plus history pages."""
    from django.contrib import admin

    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        first = model._base_manager.order_by("pk").first()
        if first is None:
            continue
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
        if hasattr(model, "history"):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[first.pk]))
    return urls


def _client(login, user) -> Client:
    return login(user) if user is not None else Client()


def _assert_clean(crawl: Crawl, *, least_pages: int, least_showing: int) -> None:
    errors = {url: status for url, status in crawl.pages.items() if status >= 500}
    assert not errors, f"server errors: {errors}"
    assert not crawl.problems, "executable markup:\n" + "\n".join(
        f"{url}: {problems[:5]}" for url, problems in list(crawl.problems.items())[:15]
    )
    assert not crawl.missing_csp, f"HTML without a strict CSP: {crawl.missing_csp[:10]}"
    ok = [url for url, status in crawl.pages.items() if status == 200]
    assert len(ok) >= least_pages, f"only {len(ok)} pages rendered: {sorted(crawl.pages.items())[:40]}"
    assert len(crawl.showing_payloads) >= least_showing, f"only {len(crawl.showing_payloads)} pages showed a payload"


# ---------------------------------------------------------------------------------------------
# Stored payloads: every field, every page kind
# ---------------------------------------------------------------------------------------------

# (viewer, pages at most, pages that must render, pages that must show a poisoned value)
CRAWLS = [
    ("anonymous", 40, 20, 15),
    ("owner", 50, 30, 25),
    ("buyer", 40, 25, 20),
    ("operator", 30, 8, 6),
    ("organizer", 30, 8, 6),
    ("broker", 30, 8, 6),
    ("expert", 20, 3, 3),
    ("staff", 40, 25, 20),
]


@pytest.mark.parametrize(("viewer", "limit", "least_pages", "least_showing"), CRAWLS, ids=[c[0] for c in CRAWLS])
def test_every_payload_in_every_field_renders_as_text(market, login, viewer, limit, least_pages, least_showing):
    """All payloads at once in every text field; the pages each viewer reaches from their start pages."""
    poisoning = poison_everything(ALL_PAYLOADS)
    user, seeds = viewer_seeds(market)[viewer]

    crawl = crawl_site(_client(login, user), seeds, limit=limit)

    assert len(poisoning.fields) >= 150 and poisoning.rows >= 60
    assert {url: crawl.pages[url] for url in seeds if crawl.pages.get(url) != 200} == {}
    _assert_clean(crawl, least_pages=least_pages, least_showing=least_showing)


def test_admin_change_lists_forms_and_history_render_payloads_as_text(market, login):
    poison_everything(ALL_PAYLOADS)
    urls = admin_urls(market)

    crawl = crawl_site(_client(login, market.superuser), urls, limit=len(urls), follow=False)

    _assert_clean(crawl, least_pages=60, least_showing=50)


def _key_pages(market: Market) -> list[tuple[object | None, str]]:
    """One page of each kind a stored value reaches: public details, workspace details, search with
    highlighting, the print page, and the admin's change form."""
    r = market.rows
    achievement, demand = r["achievement"], r["demand"]
    public = [url for url in viewer_seeds(market)["anonymous"][1] if url != "/"]
    return [
        *[(None, url) for url in public],
        *[(None, f"/search/?q={word}") for word in ("alert", "script", "onerror", "成果", "xssprobe", "img")],
        (market.owner, reverse("achievements:workspace-detail", args=[achievement.pk])),
        (market.owner, reverse("achievements:inquiry", args=[r["inquiry"].pk])),
        (market.owner, reverse("deals:detail", args=[r["deal"].pk])),
        (market.owner, reverse("workspace:notifications")),
        (market.buyer, reverse("demands:workspace-detail", args=[demand.pk])),
        (market.buyer, reverse("demands:response", args=[r["response"].pk])),
        (market.buyer, reverse("pilots:request", args=[r["request"].pk])),
        (market.organizer, reverse("events:manage", args=[r["event"].pk])),
        (market.broker, reverse("brokers:engagement", args=[r["engagement"].pk])),
        (market.expert, reverse("evaluation:assignment", args=[r["assignment"].pk])),
        (market.superuser, reverse("admin:achievements_achievement_change", args=[achievement.pk])),
        (market.superuser, reverse("admin:demands_demand_change", args=[demand.pk])),
        (market.superuser, reverse("admin:marketplace_organization_change", args=[achievement.organization_id])),
    ]


@pytest.mark.parametrize("group", PAYLOAD_GROUPS)
def test_each_payload_group_renders_as_text_on_every_page_kind(market, login, group):
    """One group at a time, so a payload that only works alone (not swallowed by a neighbour) is seen."""
    poison_everything(PAYLOAD_GROUPS[group])
    clients: dict = {}
    crawl = Crawl()

    for user, url in _key_pages(market):
        client = clients.setdefault(user, _client(login, user))
        inspect(client.get(url), url, crawl)

    _assert_clean(crawl, least_pages=len(crawl.pages) - 1, least_showing=len(crawl.pages) - 8)


def test_search_highlighting_marks_words_inside_escaped_payloads(market):
    poison_everything(ALL_PAYLOADS)

    page = Client().get("/search/", {"q": "alert"}).content.decode()

    assert "<mark>alert</mark>" in page
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in page
    assert_no_executable_markup(page, "search")


# ---------------------------------------------------------------------------------------------
# Payloads in query strings (reflected)
# ---------------------------------------------------------------------------------------------

REFLECTING_PAGES = (
    "search", "achievements:list", "demands:list", "demands:challenges", "demands:pools", "events:list",
    "pilots:list", "brokers:list", "organizations:list", "achievements:featured",
)  # fmt: skip


@pytest.mark.parametrize("group", PAYLOAD_GROUPS)
def test_query_strings_come_back_escaped(market, group):
    client = Client()
    crawl = Crawl()
    payloads = [p for p in PAYLOAD_GROUPS[group] if len(p) < 1000] or [PAYLOAD_GROUPS[group][0][:1000]]

    for payload in payloads:
        for name in REFLECTING_PAGES:
            url = reverse(name)
            query = {"q": payload, "region": payload, "field": payload, "page": payload}
            inspect(client.get(url, query), f"{url}?q={payload!r}", crawl)
        inspect(client.get(reverse("login"), {"next": payload}), f"login?next={payload!r}", crawl)

    _assert_clean(crawl, least_pages=len(crawl.pages), least_showing=0)


# ---------------------------------------------------------------------------------------------
# Forms: what a user types is stored as text (rich text sanitised), links refuse scripts
# ---------------------------------------------------------------------------------------------


def _achievement_form(**overrides):
    from marketplace.models import IndustryField

    data = {
        "title": "一种耐氯反渗透膜", "summary": "耐氯性能提升三倍。", "category": "industrial", "trl": "6",
        "industry_fields": [IndustryField.objects.get(code="water-treatment").pk], "keywords": "反渗透，海水淡化",
        "transfer_modes": ["assignment"], "asking_price_wan": "120.5", "description": "<p>说明</p>",
        "contact_name": "王老师", "contact_phone": "13912345678", "contact_email": "wang@qdu.edu.cn",
        "completers-TOTAL_FORMS": "1", "completers-INITIAL_FORMS": "0", "completers-MIN_NUM_FORMS": "0", "completers-MAX_NUM_FORMS": "30",
        "completers-0-name": "王一", "completers-0-affiliation": "青岛大学",
        "ip_rights-TOTAL_FORMS": "0", "ip_rights-INITIAL_FORMS": "0", "ip_rights-MIN_NUM_FORMS": "0", "ip_rights-MAX_NUM_FORMS": "50",
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("group", PAYLOAD_GROUPS)
def test_achievement_form_keeps_text_and_sanitises_rich_text(login, org_admin, group):
    from achievements.models import Achievement

    payloads = PAYLOAD_GROUPS[group]
    short = next((p for p in payloads if len(p) <= 150), payloads[0][:150]).replace("\x00", "")
    rich = "<p>正文</p>" + "".join(payloads).replace("\x00", "")  # forms refuse NUL outright
    client = login(org_admin)

    response = client.post(
        reverse("achievements:create"),
        _achievement_form(title=short, summary=rich[:500], description=rich, **{"completers-0-name": short[:50]}),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    achievement = Achievement.objects.get()
    assert achievement.title == short.strip()
    assert_no_executable_markup(achievement.description, "stored rich text")
    assert "<p>正文</p>" in achievement.description
    page = client.get(reverse("achievements:workspace-detail", args=[achievement.pk]))
    assert_no_executable_markup(page.content.decode(), "workspace detail")
    edit = client.get(reverse("achievements:edit", args=[achievement.pk]))
    assert_no_executable_markup(edit.content.decode(), "edit form")


def test_forms_refuse_nul_characters(login, org_admin):
    from achievements.models import Achievement

    response = login(org_admin).post(
        reverse("achievements:create"), _achievement_form(title="<scr\x00ipt>alert(1)</scr\x00ipt>成果")
    )

    assert response.status_code == 200  # the form again, with its error
    assert not Achievement.objects.exists()
    assert_no_executable_markup(response.content.decode(), "form with NUL")


@pytest.mark.parametrize("url", DANGEROUS_URLS)
def test_organization_website_refuses_script_urls(login, org_admin, organization, url):
    response = login(org_admin).post(
        reverse("workspace:organization"),
        {"short_name": "测大", "region_1": "370000", "region_2": "370200", "region_3": "370203", "website": url,
         "contact_phone": "0532-85950000", "description": "一所大学", "industry_fields": []},
    )  # fmt: skip

    organization.refresh_from_db()
    assert organization.website == ""
    assert_no_executable_markup(response.content.decode(), "organization form")


@pytest.mark.parametrize("url", URL_BREAKOUTS)
def test_link_fields_that_pass_validation_stay_inside_their_attribute(login, market, url):
    from events.models import Event
    from marketplace.models import Organization

    Organization.objects.filter(pk=market.rows["achievement"].organization_id).update(website=url)
    Event.objects.filter(pk=market.rows["event"].pk).update(online_url=url)
    pages = [
        Client().get(reverse("organizations:detail", args=[market.rows["achievement"].organization_id])),
        login(market.owner).get(reverse("events:ticket", args=[market.rows["registration"].pk])),
        login(market.owner).get(reverse("events:detail", args=[market.rows["event"].pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert_no_executable_markup(html, page.wsgi_request.path)
        assert "https://evil.example/" in html


# ---------------------------------------------------------------------------------------------
# Feeds, calendars, print pages and e-mail
# ---------------------------------------------------------------------------------------------


def test_feeds_calendars_and_digest_mail_carry_payloads_as_text(market, login):
    import icalendar

    from achievements.services_digest import digest_content
    from events.models import Event

    poison_everything(ALL_PAYLOADS)
    client = Client()

    for name in ("achievements:featured-rss", "achievements:featured-atom"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        root = ET.fromstring(response.content)  # noqa: S314 -- our own feed; well-formed means nothing broke out
        texts = [
            el.text or "" for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("description", "summary", "content")
        ]
        assert texts and any(MARKER in text for text in texts)
        for text in texts:  # the HTML a feed reader renders
            assert_no_executable_markup(text, name)

    event = Event.objects.get(pk=market.rows["event"].pk)
    for response in (client.get(reverse("events:feed")), client.get(reverse("events:event-ics", args=[event.pk]))):
        assert response["Content-Type"].startswith("text/calendar")
        calendar = icalendar.Calendar.from_ical(response.content)
        events = calendar.walk("VEVENT")
        assert len(events) == 1  # the payload's BEGIN:VEVENT stayed inside the text
        assert str(events[0]["SUMMARY"]) == event.title

    today = timezone.localdate()
    content = digest_content("xss", today - timedelta(days=30), today + timedelta(days=1), frozenset())
    assert MARKER in content.html
    assert_no_executable_markup(content.html, "digest mail")

    printed = client.get(reverse("achievements:featured-print", args=[market.rows["issue"].number]))
    assert MARKER in printed.content.decode()
    assert_no_executable_markup(printed.content.decode(), "featured print page")


# ---------------------------------------------------------------------------------------------
# The API returns payloads as JSON data
# ---------------------------------------------------------------------------------------------


def test_api_returns_payloads_as_json_data_never_html(market, login):
    from achievements.models import Achievement
    from demands.models import Demand
    from marketplace.models import Organization

    poison_everything(ALL_PAYLOADS)
    client = login(market.owner)
    r = market.rows
    expected = {
        reverse("v1:achievement-detail", args=[r["achievement"].pk]): Achievement.objects.get(
            pk=r["achievement"].pk
        ).title,
        reverse("v1:demand-detail", args=[r["demand"].pk]): Demand.objects.get(pk=r["demand"].pk).title,
        reverse("v1:organization-detail", args=[r["achievement"].organization_id]): Organization.objects.get(
            pk=r["achievement"].organization_id
        ).name,
    }

    for url, title in expected.items():
        for accept in ("application/json", "text/html"):
            response = client.get(url, HTTP_ACCEPT=accept)
            assert response["Content-Type"].startswith("application/json"), (url, accept)
            assert response["X-Content-Type-Options"] == "nosniff"
            if accept == "text/html":  # JSON only: asking for HTML gets a JSON refusal, not a page
                assert response.status_code == 406
                continue
            assert response.status_code == 200, url
            body = response.json()
            assert title in (body.get("title"), body.get("name")), url
    search = client.get(reverse("v1:search-list"), {"q": "alert"})
    assert search["Content-Type"].startswith("application/json")
    assert search["X-Content-Type-Options"] == "nosniff"
    hits = search.json()["results"]
    assert hits and any("<mark>alert</mark>" in hit["title_highlighted"] + hit["snippet_highlighted"] for hit in hits)
    for hit in hits:  # documented as HTML a partner may insert as is
        assert_no_executable_markup(hit["title_highlighted"] + hit["snippet_highlighted"], "API search hit")


# ---------------------------------------------------------------------------------------------
# Content-Security-Policy on every HTML response
# ---------------------------------------------------------------------------------------------


def _routes_without_arguments() -> list[str]:
    """Every GET route of the project that needs no argument (the admin's catch-all excepted)."""
    urls: list[str] = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters:
                route = prefix + str(pattern.pattern)
                if "(?P<" in route or route.startswith("^") or "^" in route:
                    continue
                try:
                    urls.append(reverse(f"{namespace}{pattern.name}"))
                except Exception:  # noqa: S112 -- a name that needs arguments after all (regex routes)
                    continue

    walk(get_resolver().url_patterns, "/", "")
    return sorted(set(urls))


def test_every_html_response_carries_a_csp_without_inline_scripts(market, login):
    poison_everything(PAYLOAD_GROUPS["script"])
    routes = [
        url
        for url in _routes_without_arguments()
        if not url.startswith(("/accounts/logout", "/o/")) and not url.endswith((".xlsx", ".pdf", "/export/"))
    ]
    extra = [
        "/no-such-page/", reverse("admin:index"), reverse("login"), reverse("api-docs"),
        reverse("achievements:detail", args=[999999]), reverse("workspace:home"),
    ]  # fmt: skip
    html_pages = 0

    for user in (None, market.superuser):
        client = _client(login, user)
        for url in routes + extra:
            response = client.get(url)
            if getattr(response, "streaming", False) or not _is_html(response) or not response.content:
                continue
            html_pages += 1
            assert _strict_csp(response), f"{url} as {user}: {response.get('Content-Security-Policy')!r}"
            policy = response["Content-Security-Policy"]
            assert "object-src 'none'" in policy and "base-uri 'self'" in policy, url
    forbidden = login(market.buyer).get(reverse("achievements:workspace-detail", args=[market.rows["achievement"].pk]))

    assert forbidden.status_code in (403, 404) and _strict_csp(forbidden)
    for url, status in (("/no-such-page/", 404), (reverse("api-docs"), 200), (reverse("login"), 200)):
        response = Client().get(url)
        assert (response.status_code, _is_html(response), _strict_csp(response)) == (status, True, True), url
    assert html_pages >= 100
    assert len(routes) >= 60


# ---------------------------------------------------------------------------------------------
# The checks bite: with one protection switched off, the same pages fail
# ---------------------------------------------------------------------------------------------


def test_pages_fail_when_rich_text_is_not_sanitised_on_output(market, monkeypatch):
    from marketplace.templatetags import market as market_tags

    poison_everything(PAYLOAD_GROUPS["script"])
    monkeypatch.setattr(market_tags, "sanitize_rich_text", lambda value: value)
    url = reverse("achievements:detail", args=[market.rows["achievement"].pk])

    problems = executable_markup(Client().get(url).content.decode())

    assert any("inline <script>" in problem for problem in problems)


def test_search_fails_when_highlighting_stops_escaping(market, monkeypatch):
    import marketplace.search

    poison_everything(PAYLOAD_GROUPS["attribute"])
    monkeypatch.setattr(marketplace.search, "highlight", lambda text, words: text)

    problems = executable_markup(Client().get("/search/", {"q": "alert"}).content.decode())

    assert any("onerror" in problem for problem in problems)


def test_admin_shows_the_sanitised_rich_text_as_formatting_not_as_code(market, login):
    from achievements.models import Achievement

    achievement = market.rows["achievement"]
    Achievement.objects.filter(pk=achievement.pk).update(
        description='<p>说明<strong>重点</strong></p><script>alert(1)</script><img src=x onerror="alert(1)">'
    )

    page = login(market.superuser).get(reverse("admin:achievements_achievement_change", args=[achievement.pk]))

    html = page.content.decode()
    assert "<div><p>说明<strong>重点</strong></p></div>" in html  # was escaped: &lt;p&gt;说明…
    assert_no_executable_markup(html, "admin change form")

"""/api/v1/brokers/ (the public directory) and /api/v1/engagements/ (for their parties)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from brokers import services
from brokers.enums import EngagementStage, FilingStatus
from brokers.models import Engagement
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

BROKERS = "/api/v1/brokers/"
ENGAGEMENTS = "/api/v1/engagements/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


# The directory -------------------------------------------------------------------------------


def test_directory_lists_active_brokers_without_contact_details(broker):
    BrokerProfileFactory(status=FilingStatus.SUSPENDED)
    BrokerProfileFactory(status=FilingStatus.APPLIED, approved_at=None)

    body = api().get(BROKERS).json()

    assert [row["id"] for row in body["results"]] == [broker.pk]
    row = body["results"][0]
    assert row["name"] == "王经纪" and row["level"] == "junior"
    assert row["agency"] == {"id": broker.agency_id, "name": "青岛市技术转移中心"}
    assert row["specialities"] == ["new-energy-batteries"] and row["regions"] == ["370200"]
    assert row["certificate_expired"] is False
    assert not {"email", "phone", "user"} & set(row)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"level": "senior"}, {"李海洋"}),
        ({"industry_field": "new-energy"}, {"王经纪"}),
        ({"region": "210000"}, {"李海洋"}),
        ({"q": "海洋装备"}, {"李海洋"}),
        ({}, {"王经纪", "李海洋"}),
    ],
)
def test_directory_filters(broker, query, expected):
    BrokerProfileFactory(
        user__name="李海洋",
        level="senior",
        introduction="海洋装备方向。",
        fields=["marine-equipment"],
        served=["210200"],
        agency=OrganizationFactory(kind="service_agency"),
    )

    names = {row["name"] for row in api().get(BROKERS, query).json()["results"]}

    assert names == expected


def test_directory_filter_by_agency_and_a_bad_region(broker):
    BrokerProfileFactory()

    by_agency = api().get(BROKERS, {"agency": broker.agency_id}).json()["results"]
    bad = api().get(BROKERS, {"region": "37"})

    assert [row["id"] for row in by_agency] == [broker.pk]
    assert bad.status_code == 400 and "region" in bad.json()["error"]["fields"]


def test_directory_detail_and_an_expired_certificate(broker):
    expired = BrokerProfileFactory(certificate_issued_on=date(2019, 1, 1), certificate_expires_on=date(2022, 1, 1))
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED)

    assert api().get(f"{BROKERS}{expired.pk}/").json()["certificate_expired"] is True
    missing = api().get(f"{BROKERS}{suspended.pk}/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_directory_sync_since_a_time(broker):
    later = BrokerProfileFactory()
    since = timezone.now() - timedelta(minutes=1)
    type(broker).objects.filter(pk=broker.pk).update(updated_at=since - timedelta(days=1))

    rows = api().get(BROKERS, {"updated_since": since.isoformat()}).json()["results"]

    assert [row["id"] for row in rows] == [later.pk]


def test_directory_query_count_does_not_grow_with_rows(django_assert_num_queries, agency):
    def add():
        BrokerProfileFactory(agency=agency, fields=["hydrogen", "new-energy-batteries"], served=["370200"])

    add()
    with CaptureQueriesContext(connection) as one:
        api().get(BROKERS)
    add()
    add()

    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api().get(BROKERS).json()["results"]) == 3


# Engagements ---------------------------------------------------------------------------------


def test_a_broker_claims_a_demand_and_the_next_is_refused_with_the_reason(broker, demand):
    created = api(broker.user).post(ENGAGEMENTS, {"demand": demand.pk}, format="json")
    refused = api(BrokerProfileFactory().user).post(ENGAGEMENTS, {"demand": demand.pk}, format="json")

    assert created.status_code == 201
    body = created.json()
    assert body["demand"] == demand.pk and body["stage"] == "claimed" and body["listing_title"] == "储能电池热失控预警"
    assert body["broker"]["name"] == "王经纪" and body["broker"]["agency"]["name"] == "青岛市技术转移中心"
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == _("Another broker has claimed this demand.")
    assert Engagement.objects.count() == 1


def test_claims_that_are_refused(broker, demand):
    both = api(broker.user).post(
        ENGAGEMENTS, {"demand": demand.pk, "achievement": AchievementFactory().pk}, format="json"
    )
    draft = api(broker.user).post(ENGAGEMENTS, {"demand": DemandFactory(draft=True).pk}, format="json")
    not_a_broker = api(UserFactory()).post(ENGAGEMENTS, {"demand": demand.pk}, format="json")
    anonymous = api().post(ENGAGEMENTS, {"demand": demand.pk}, format="json")

    assert both.status_code == 400
    assert draft.status_code == 400 and "demand" in draft.json()["error"]["fields"]
    assert not_a_broker.status_code == 403
    assert not_a_broker.json()["error"]["message"] == _("Only brokers with an approved filing take on engagements.")
    assert anonymous.status_code in (401, 403)
    assert not Engagement.objects.exists()


def test_engagements_are_for_their_parties(broker, demand, boss, reviewer, foreign_user):
    engagement = services.engagement_claim(user=broker.user, demand=demand)
    services.engagement_claim(user=BrokerProfileFactory().user, achievement=AchievementFactory())
    detail = f"{ENGAGEMENTS}{engagement.pk}/"

    assert [row["id"] for row in api(broker.user).get(ENGAGEMENTS).json()["results"]] == [engagement.pk]
    assert [row["id"] for row in api(boss).get(ENGAGEMENTS).json()["results"]] == [engagement.pk]
    assert len(api(reviewer).get(ENGAGEMENTS).json()["results"]) == 2
    assert api(foreign_user).get(ENGAGEMENTS).json()["results"] == []
    assert api(foreign_user).get(detail).status_code == 404
    assert api(boss).get(detail).json()["broker"]["name"] == "王经纪"
    # The enterprise sees who serves it, read only.
    refused = api(boss).post(f"{detail}drop/", {"reason": "不需要"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert api(foreign_user).post(f"{detail}drop/", {"reason": "x"}, format="json").status_code == 404


def test_activities_advance_and_deal_through_the_api(broker, demand):
    engagement = services.engagement_claim(user=broker.user, demand=demand)
    client = api(broker.user)
    activities = f"{ENGAGEMENTS}{engagement.pk}/activities/"
    advance = f"{ENGAGEMENTS}{engagement.pk}/advance/"
    today = timezone.localdate().isoformat()
    proposed = AchievementFactory()

    call = client.post(activities, {"kind": "call", "occurred_on": today, "note": "电话沟通"}, format="json")
    bare = client.post(activities, {"kind": "proposal", "occurred_on": today, "note": "方案"}, format="json")
    draft = client.post(
        activities,
        {
            "kind": "proposal",
            "occurred_on": today,
            "note": "方案",
            "proposed_achievements": [AchievementFactory(draft=True).pk],
        },
        format="json",
    )
    proposal = client.post(
        activities,
        {"kind": "proposal", "occurred_on": today, "note": "推荐成果", "proposed_achievements": [proposed.pk]},
        format="json",
    )
    negotiating = client.post(advance, {"stage": "negotiating"}, format="json")
    no_deal = client.post(advance, {"stage": "deal"}, format="json")
    deal = DealFactory(demand=demand, buyer=demand.organization, seller=proposed.organization, achievement=proposed)
    done = client.post(advance, {"stage": "deal", "deal": deal.pk}, format="json")
    listed = client.get(activities).json()

    assert call.status_code == 201 and call.json()["kind"] == "call"
    assert bare.status_code == 400
    assert bare.json()["error"]["fields"]["proposed_achievements"] == [_("A proposal names at least one achievement.")]
    assert draft.status_code == 400 and "proposed_achievements" in draft.json()["error"]["fields"]
    assert proposal.status_code == 201 and proposal.json()["proposed_achievements"] == [proposed.pk]
    assert negotiating.json()["stage"] == "negotiating"
    assert no_deal.status_code == 400 and "deal" in no_deal.json()["error"]["fields"]
    assert done.status_code == 200 and done.json()["stage"] == "deal" and done.json()["deal"] == deal.pk
    assert [row["kind"] for row in listed] == ["proposal", "call"]
    assert broker.user in deal.brokers.all()


def test_drop_with_a_reason(broker, demand):
    engagement = services.engagement_claim(user=broker.user, demand=demand)
    drop = f"{ENGAGEMENTS}{engagement.pk}/drop/"

    without = api(broker.user).post(drop, {}, format="json")
    dropped = api(broker.user).post(drop, {"reason": "企业暂缓需求"}, format="json")
    after = api(broker.user).post(f"{ENGAGEMENTS}{engagement.pk}/advance/", {"stage": "contacted"}, format="json")

    assert without.status_code == 400
    assert dropped.json()["stage"] == EngagementStage.DROPPED and dropped.json()["drop_reason"] == "企业暂缓需求"
    assert after.status_code == 400


def test_an_activity_on_someone_elses_engagement_is_refused(broker, demand):
    engagement = services.engagement_claim(user=broker.user, demand=demand)
    other = BrokerProfileFactory()

    response = api(other.user).post(
        f"{ENGAGEMENTS}{engagement.pk}/activities/",
        {"kind": "call", "occurred_on": timezone.localdate().isoformat(), "note": "x"},
        format="json",
    )

    assert response.status_code == 404
    assert not engagement.activities.exists()


def test_engagement_list_query_count_does_not_grow_with_rows(reviewer, django_assert_num_queries):
    def add():
        services.engagement_claim(user=BrokerProfileFactory().user, demand=DemandFactory())

    add()
    with CaptureQueriesContext(connection) as one:
        api(reviewer).get(ENGAGEMENTS)
    add()
    add()

    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api(reviewer).get(ENGAGEMENTS).json()["results"]) == 3


def test_the_schema_documents_the_broker_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    assert {
        "/api/v1/brokers/",
        "/api/v1/brokers/{id}/",
        "/api/v1/engagements/",
        "/api/v1/engagements/{id}/",
        "/api/v1/engagements/{id}/activities/",
        "/api/v1/engagements/{id}/advance/",
        "/api/v1/engagements/{id}/drop/",
    } <= set(paths)
    claim = paths["/api/v1/engagements/"]["post"]
    assert claim["requestBody"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ClaimRequest"
    assert "201" in claim["responses"] and "400" in claim["responses"]
    assert schema["components"]["schemas"]["BrokerLevelEnum"]["enum"] == ["junior", "intermediate", "senior"]
    assert {"level", "industry_field", "region", "agency", "q", "updated_since"} <= {
        p["name"] for p in paths["/api/v1/brokers/"]["get"]["parameters"]
    }


def test_suspended_broker_comes_back_to_a_sync_as_a_tombstone(reviewer):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    from brokers import services as broker_services
    from tests.factories.brokers import BrokerProfileFactory

    start = timezone.now() - timedelta(seconds=1)
    kept, suspended = BrokerProfileFactory(), BrokerProfileFactory()
    broker_services.profile_suspend(profile=suspended, reviewer=reviewer, reason="证书过期未换发")
    rows = APIClient().get("/api/v1/brokers/", {"updated_since": start.isoformat()}).json()["results"]
    by_id = {row["id"]: row for row in rows}
    assert "deleted" not in by_id[kept.pk]
    assert by_id[suspended.pk]["deleted"] is True

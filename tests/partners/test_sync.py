"""Incremental sync: `updated_since` lists carry tombstones for what the caller lost, over
stable forward cursor pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from achievements import services as achievement_services
from achievements.models import Achievement
from demands.models import Demand
from marketplace.enums import MembershipRole
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/achievements/"


def since(moment) -> dict:
    return {"updated_since": moment.isoformat()}


def collect(client, url, params):
    """Follow `next` to the end; every row of every page, in order."""
    rows = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        if not body["next"]:
            return rows
        response = client.get(body["next"])


def test_withdrawn_achievement_comes_back_as_a_tombstone(api):
    start = timezone.now() - timedelta(seconds=1)
    owner = MembershipFactory(organization__kind="university", role=MembershipRole.ADMIN).user
    kept = AchievementFactory(organization=owner.memberships.get().organization, external_ref="K-1")
    gone = AchievementFactory(organization=kept.organization, external_ref="G-1")
    achievement_services.achievement_withdraw(achievement=gone, user=owner, reason="技术已升级")
    rows = collect(api, LIST, since(start))
    by_id = {row["id"]: row for row in rows}
    assert by_id[kept.pk]["title"] == kept.title
    assert "deleted" not in by_id[kept.pk]
    assert {key: by_id[gone.pk][key] for key in ("id", "external_ref", "deleted")} == {
        "id": gone.pk,
        "external_ref": "G-1",
        "deleted": True,
    }
    # Asked from after the withdrawal, neither is sent again.
    assert collect(api, LIST, since(timezone.now())) == []


def test_a_draft_never_public_is_no_tombstone_for_others_but_is_for_its_owner(api, login):
    start = timezone.now() - timedelta(seconds=1)
    owner = MembershipFactory(organization__kind="university", role=MembershipRole.ADMIN).user
    draft = AchievementFactory(organization=owner.memberships.get().organization, draft=True)
    draft_id = draft.pk
    achievement_services.achievement_delete(achievement=draft, user=owner)
    assert collect(api, LIST, since(start)) == []  # the partner never saw it
    own = collect(login(owner), LIST, since(start))
    assert [(row["id"], row["deleted"]) for row in own] == [(draft_id, True)]


def test_pages_are_stable_and_merge_tombstones_in_order(api):
    start = timezone.now() - timedelta(seconds=1)
    owner = MembershipFactory(organization__kind="university", role=MembershipRole.ADMIN).user
    organization = owner.memberships.get().organization
    achievements = [AchievementFactory(organization=organization) for _ in range(7)]
    for achievement in achievements[1::3]:
        achievement_services.achievement_withdraw(achievement=achievement, user=owner)
    rows = collect(api, LIST, {**since(start), "page_size": 2})
    assert sorted(row["id"] for row in rows) == sorted(a.pk for a in achievements)
    assert len(rows) == len({row["id"] for row in rows}) == 7
    assert {row["id"] for row in rows if row.get("deleted")} == {a.pk for a in achievements[1::3]}
    moments = [row["updated_at"] for row in rows]
    assert moments == sorted(moments, reverse=True)


def test_rows_changed_while_paging_are_not_skipped(api):
    start = timezone.now() - timedelta(seconds=1)
    achievements = [AchievementFactory() for _ in range(4)]
    first = api.get(LIST, {**since(start), "page_size": 2}).json()
    # The oldest row changes between pages: it moves to the front and is read by the next sync.
    Achievement.objects.filter(pk=achievements[0].pk).update(updated_at=timezone.now())
    rest = collect(api, first["next"], {})
    seen = {row["id"] for row in first["results"] + rest}
    assert seen >= {a.pk for a in achievements[1:]}


def test_closed_demand_is_a_tombstone(api):
    start = timezone.now() - timedelta(seconds=1)
    open_demand = DemandFactory()
    closed = DemandFactory(closed=True, external_ref="D-9")
    rows = {row["id"]: row for row in collect(api, "/api/v1/demands/", since(start))}
    assert rows[open_demand.pk]["title"] == open_demand.title
    assert rows[closed.pk]["deleted"] is True
    assert Demand.objects.count() == 2


def test_bad_since_and_cursor_are_400(api):
    response = api.get(LIST, {"updated_since": "last tuesday"})
    assert response.status_code == 400
    assert "updated_since" in response.json()["error"]["fields"]
    response = api.get(LIST, {**since(timezone.now()), "cursor": "bm9wZQ"})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_sync_pages_do_not_query_per_row(api, django_assert_max_num_queries):
    start = timezone.now() - timedelta(seconds=1)
    for _ in range(3):
        AchievementFactory()
    with django_assert_max_num_queries(40) as small:
        api.get(LIST, since(start))
    for _ in range(9):
        AchievementFactory()
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = api.get(LIST, since(start))
    assert len(response.json()["results"]) == 12
    assert len(large.captured_queries) == len(small.captured_queries)

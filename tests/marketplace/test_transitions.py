import pytest
from django.core.exceptions import ValidationError

from marketplace.enums import VerificationStatus
from marketplace.selectors import transitions_for
from marketplace.services.organizations import VERIFICATION

pytestmark = pytest.mark.django_db


def test_workflow_apply_changes_status_and_logs_who_and_why(organization, reviewer):
    organization.verification_status = VerificationStatus.PENDING
    organization.save()

    log = VERIFICATION.apply(organization, VerificationStatus.REJECTED, actor=reviewer, reason="执照模糊")

    organization.refresh_from_db()
    assert organization.verification_status == VerificationStatus.REJECTED
    assert (log.from_status, log.to_status, log.actor, log.reason) == ("pending", "rejected", reviewer, "执照模糊")
    assert list(transitions_for(organization)) == [log]


def test_workflow_refuses_a_transition_not_in_the_table(organization, reviewer):
    organization.verification_status = VerificationStatus.REJECTED
    organization.save()

    with pytest.raises(ValidationError) as caught:
        VERIFICATION.apply(organization, VerificationStatus.VERIFIED, actor=reviewer)

    assert caught.value.message_dict["verification_status"] == ["状态不能从“已驳回”变更为“已认证”。"]
    organization.refresh_from_db()
    assert organization.verification_status == VerificationStatus.REJECTED
    assert not transitions_for(organization).exists()


def test_workflow_requires_a_reason_where_the_table_says_so(organization, reviewer):
    organization.verification_status = VerificationStatus.PENDING
    organization.save()

    with pytest.raises(ValidationError) as caught:
        VERIFICATION.apply(organization, VerificationStatus.REJECTED, actor=reviewer, reason="  ")

    assert caught.value.message_dict == {"reason": ["请填写原因。"]}


def test_workflow_reads_the_current_status_from_the_database(organization, reviewer):
    # A stale in-memory object must not let a second reviewer repeat a decision.
    organization.verification_status = VerificationStatus.PENDING
    organization.save()
    stale = type(organization).objects.get(pk=organization.pk)
    VERIFICATION.apply(organization, VerificationStatus.VERIFIED, actor=reviewer)

    with pytest.raises(ValidationError):
        VERIFICATION.apply(stale, VerificationStatus.VERIFIED, actor=reviewer)


def test_workflow_apply_in_bulk_moves_every_row_in_one_update_with_logs_and_history(reviewer):
    from dataclasses import replace

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from demands.enums import Status
    from demands.models import Demand
    from demands.services import LIFECYCLE
    from marketplace.models import TransitionLog
    from tests.factories.demands import DemandFactory

    drafts = DemandFactory.create_batch(3, draft=True)
    changed = []
    workflow = replace(LIFECYCLE, on_change=lambda model, pks: changed.append((model, sorted(pks))))
    now = timezone.now()

    with CaptureQueriesContext(connection) as queries:
        workflow.apply_in_bulk(
            objects=drafts,
            steps=[(Status.DRAFT, Status.SUBMITTED, reviewer), (Status.SUBMITTED, Status.PUBLISHED, reviewer)],
            changes={"published_at": now},
            reason="批量导入",
            user=reviewer,
        )

    pks = sorted(demand.pk for demand in drafts)
    updates = [query for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert sorted(Demand.objects.values_list("status", flat=True)) == [Status.PUBLISHED] * 3
    assert [(demand.status, demand.published_at) for demand in drafts] == [(Status.PUBLISHED, now)] * 3
    logs = TransitionLog.objects.filter(object_id__in=pks).order_by("object_id", "id")
    assert [(log.object_id, log.from_status, log.to_status, log.actor, log.reason) for log in logs] == [
        row
        for pk in pks
        for row in (
            (pk, "draft", "submitted", reviewer, "批量导入"),
            (pk, "submitted", "published", reviewer, "批量导入"),
        )
    ]
    history = Demand.history.filter(history_type="~", status=Status.PUBLISHED)
    assert sorted(history.values_list("id", flat=True)) == pks
    assert changed == [(Demand, pks)]

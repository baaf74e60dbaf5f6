"""The pilot-base demo: bases of every kind and level in the seed cities filed through the
services, one in the review queue, one rejected and one revoked with their reasons, last year's
re-evaluations, facility subsidies within the cap, service requests in every status, and a
second run that adds nothing."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from marketplace.demo import seed_parties
from marketplace.enums import FilePurpose, OrganizationKind
from marketplace.management.commands.seed_demo import STEPS
from marketplace.models import Membership, SearchDocument, TransitionLog, User
from pilots import services
from pilots.demo import BASES, seed_pilots
from pilots.enums import BaseKind, BaseLevel, FilingStatus, RequestStatus
from pilots.models import Booking, Equipment, FacilitySubsidy, FilingReview, PilotBase, PilotService, ServiceRequest

pytestmark = pytest.mark.django_db

MODELS = (PilotBase, Equipment, PilotService, FilingReview, FacilitySubsidy, ServiceRequest, Booking, User)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo parties and this step, seeded once for the module, in a transaction rolled back
    after the module's last test."""
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
        yield seed_pilots()
        transaction.set_rollback(True)


def test_filed_bases_of_every_kind_and_level_run_by_pilot_operators(seeded):
    filed = PilotBase.objects.filed().select_related("operator", "region")

    assert {b.kind for b in filed} == set(BaseKind.values)
    assert {b.level for b in filed} == set(BaseLevel.values)
    assert {b.operator.kind for b in PilotBase.objects.select_related("operator")} == {OrganizationKind.PILOT_OPERATOR}
    assert {b.region.code[:4] for b in filed} >= {"2102", "3702", "3703", "3204"}
    for base in filed:
        assert base.filing_number and base.next_review_due and base.industry_fields.exists()
        assert base.equipment.exists() and base.services.exists()
        assert services.base_files(base, FilePurpose.FILING_DOCUMENT).exists()
    admins = Membership.objects.filter(organization__kind=OrganizationKind.PILOT_OPERATOR, role="admin")
    assert admins.count() == len(BASES)


def test_the_changxing_base_is_filed_at_the_confirmed_level_and_in_search(seeded):
    base = PilotBase.objects.get(name__contains="长兴岛")

    assert (base.status, base.region_id, base.level) == (FilingStatus.APPROVED, "210281", BaseLevel.NATIONAL)
    document = SearchDocument.objects.get(content_type=ContentType.objects.get_for_model(PilotBase), object_id=base.pk)
    assert document.title == base.name
    assert base.equipment.filter(fee__isnull=False).count() >= 3
    logs = TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(PilotBase), object_id=base.pk)
    assert [log.to_status for log in logs.order_by("created_at", "id")][-2:] == ["applied", "approved"]


def test_a_filing_queued_one_rejected_and_one_revoked_with_reasons(seeded):
    statuses = list(PilotBase.objects.values_list("status", flat=True))

    assert statuses.count(FilingStatus.APPLIED) == 1
    for status in (FilingStatus.REJECTED, FilingStatus.REVOKED):
        base = PilotBase.objects.get(status=status)
        assert base.status_note
        assert not SearchDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(PilotBase), object_id=base.pk
        ).exists()


def test_last_years_re_evaluations_and_subsidies_within_the_cap(seeded):
    reviews = FilingReview.objects.all()

    assert reviews.exists() and {r.year for r in reviews} == {timezone.localdate().year - 1}
    assert all(r.reviewer.username == "reviewer" for r in reviews)
    assert PilotBase.objects.review_due().exists()  # one filing waits for its first re-evaluation
    cap = Decimal(settings.PILOTS["SUBSIDY_CAP"])
    subsidies = FacilitySubsidy.objects.all()
    assert subsidies.count() >= 3
    assert all(s.subsidy <= min(cap, s.investment) for s in subsidies)
    assert subsidies.filter(subsidy=cap).exists()


def test_service_requests_from_demo_enterprises_in_every_status(seeded):
    requests = ServiceRequest.objects.select_related("organization", "requested_by")

    assert {r.status for r in requests} == set(RequestStatus.values)
    assert all(r.organization.kind != OrganizationKind.PILOT_OPERATOR for r in requests)
    assert {"vland_admin", "dongyue_admin"} <= {r.requested_by.username for r in requests}
    scheduled = requests.get(status=RequestStatus.SCHEDULED)
    assert scheduled.bookings.filter(is_active=True, starts_at__gt=timezone.now()).exists()
    assert requests.get(status=RequestStatus.IN_PROGRESS).bookings.exists()
    completed = requests.get(status=RequestStatus.COMPLETED)
    assert len(completed.outcome_report) > 20 and completed.completed_at < timezone.now()
    for status in (RequestStatus.DECLINED, RequestStatus.WITHDRAWN):
        assert requests.get(status=status).status_note
    assert requests.get(status=RequestStatus.QUOTED).quoted_amount > 0


def test_the_step_prints_log_ins_and_a_summary(seeded):
    assert any(line.strip().startswith("pilot_changxing") for line in seeded)
    assert "pilot bases: 5 filed, 1 in the review queue" in seeded[-1]


def test_seed_pilots_twice_creates_nothing_more(seeded):
    counts = [model.objects.count() for model in MODELS]

    again = seed_pilots()

    assert [model.objects.count() for model in MODELS] == counts
    assert again == seeded


def test_seed_demo_runs_the_pilot_step_before_the_search_index():
    assert STEPS.index("pilots.demo.seed_pilots") < STEPS.index("marketplace.demo.seed_search")

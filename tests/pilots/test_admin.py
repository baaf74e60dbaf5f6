"""The bureau's pilot-base console: filings approved at the confirmed level, rejected and revoked
with reasons, re-evaluated, through the services; facility subsidies checked against the cap,
totalled and exported; service requests read with their bookings; nobody else gets in."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from marketplace.enums import FilePurpose
from marketplace.models import Notification
from pilots import services
from pilots.enums import BaseLevel, FilingStatus, RequestStatus, ReviewOutcome
from pilots.models import FacilitySubsidy, FilingReview
from tests.factories.marketplace import UserFactory
from tests.factories.pilots import (
    BookingFactory,
    EquipmentFactory,
    PilotBaseFactory,
    ServiceRequestFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:pilots_pilotbase_changelist"
SUBSIDIES = "admin:pilots_facilitysubsidy_changelist"


def _act(client, url_name, action, pks, **extra):
    return client.post(reverse(url_name), {"action": action, "_selected_action": pks, **extra}, follow=True)


def _pdf() -> SimpleUploadedFile:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile("备案申请表.pdf", buffer.getvalue(), "application/pdf")


@pytest.fixture
def applied(base, operator_admin, reactor):
    """The conftest's base, taken back to a draft and applied for with its filing form."""
    base.status = FilingStatus.DRAFT
    base.approved_at = None
    base.filing_number = ""
    base.save()
    services.base_add_file(base=base, user=operator_admin, uploaded=_pdf(), purpose=FilePurpose.FILING_DOCUMENT)
    return services.base_apply(base=base, user=operator_admin)


def test_reviewer_sees_the_queue_and_the_filing_documents(login, reviewer, applied):
    PilotBaseFactory(name="已备案的基地")
    client = login(reviewer)

    queue = client.get(reverse(CHANGELIST), {"queue": "review"})
    change = client.get(reverse("admin:pilots_pilotbase_change", args=[applied.pk]))

    assert list(queue.context["cl"].queryset) == [applied]
    content = change.content.decode()
    document = services.base_files(applied, FilePurpose.FILING_DOCUMENT).get()
    assert change.status_code == 200
    assert reverse("private-file", args=[document.pk]) in content and "备案申请表.pdf" in content
    assert "连续流反应器" in content  # the equipment inline
    assert 'name="_save"' not in content  # the description is the operator's
    # The decision buttons post this base to the change list's actions.
    assert 'name="action" value="approve"' in content and 'name="action" value="reject"' in content
    assert f'name="_selected_action" value="{applied.pk}"' in content


def test_reviewer_approves_at_the_confirmed_level_with_a_filing_number(login, reviewer, applied):
    client = login(reviewer)

    asked = _act(client, CHANGELIST, "approve", [applied.pk])
    _act(
        client,
        CHANGELIST,
        "approve",
        [applied.pk],
        apply="1",
        **{f"level_{applied.pk}": BaseLevel.PROVINCIAL, f"filing_number_{applied.pk}": "辽科中试备〔2026〕3号"},
    )

    applied.refresh_from_db()
    assert asked.templates[0].name == "admin/reason_action.html"
    assert (applied.status, applied.level, applied.filing_number) == (
        FilingStatus.APPROVED,
        BaseLevel.PROVINCIAL,
        "辽科中试备〔2026〕3号",
    )
    assert applied.next_review_due > timezone.localdate()
    assert Notification.objects.filter(kind="pilots.approved").exists()


def test_reviewer_rejects_with_a_reason(login, reviewer, applied):
    client = login(reviewer)

    without = _act(client, CHANGELIST, "reject", [applied.pk], apply="1", reason="")
    applied.refresh_from_db()
    still_applied = applied.status
    _act(client, CHANGELIST, "reject", [applied.pk], apply="1", reason="安全生产许可证已过期")
    applied.refresh_from_db()

    assert still_applied == FilingStatus.APPLIED and without.context["form"].errors
    assert (applied.status, applied.status_note) == (FilingStatus.REJECTED, "安全生产许可证已过期")
    change = client.get(reverse("admin:pilots_pilotbase_change", args=[applied.pk]))
    assert "安全生产许可证已过期" in change.content.decode()  # the transition history


def test_reviewer_revokes_a_filed_base_with_a_reason(login, reviewer, base):
    _act(login(reviewer), CHANGELIST, "revoke", [base.pk], apply="1", reason="擅自变更中试场地")

    base.refresh_from_db()
    assert (base.status, base.status_note) == (FilingStatus.REVOKED, "擅自变更中试场地")


def test_reviewer_records_the_yearly_re_evaluation(login, reviewer, base):
    overdue = PilotBaseFactory(name="逾期复评基地", next_review_due=timezone.localdate() - timedelta(days=3))
    year = timezone.localdate().year - 1
    client = login(reviewer)

    only_overdue = list(client.get(reverse(CHANGELIST), {"review": "overdue"}).context["cl"].queryset)
    refused = _act(client, CHANGELIST, "reevaluate", [overdue.pk], apply="1", year=year, outcome="rectify", note="")
    _act(client, CHANGELIST, "reevaluate", [overdue.pk], apply="1", year=year, outcome="rectify", note="台账需完善")
    _act(client, CHANGELIST, "reevaluate", [base.pk], apply="1", year=year, outcome="failed", note="全年无服务记录")

    overdue.refresh_from_db()
    base.refresh_from_db()
    assert only_overdue == [overdue]
    assert refused.context["form"].errors["note"]
    review = FilingReview.objects.get(base=overdue)
    assert (review.year, review.outcome, review.note) == (year, ReviewOutcome.RECTIFY, "台账需完善")
    assert overdue.next_review_due > timezone.localdate()
    assert base.status == FilingStatus.REVOKED and "全年无服务记录" in base.status_note


def _export_form(**extra):
    """The export page's form: the first format (Excel) with every column ticked."""
    from pilots.admin import FacilitySubsidyResource

    columns = {f"facilitysubsidyresource_{name}": "on" for name in FacilitySubsidyResource().get_export_order()}
    return {"format": "0", "resource": "0", **columns, **extra}


def _subsidy_form(base, **values):
    return {
        "base": base.pk,
        "facility": "连续流微反应中试线",
        "year": 2026,
        "investment": "12000000",
        "subsidy": "3000000",
        "document_number": "大科发〔2026〕12号",
        "granted_on": "2026-06-30",
        "note": "",
        **values,
    }


def test_a_subsidy_above_the_cap_or_the_investment_is_refused(login, reviewer, base):
    client = login(reviewer)
    add = reverse("admin:pilots_facilitysubsidy_add")

    above_cap = client.post(add, _subsidy_form(base, subsidy="5000001"))
    above_investment = client.post(add, _subsidy_form(base, investment="1000000", subsidy="1200000"))
    within = client.post(add, _subsidy_form(base))

    assert above_cap.status_code == 200 and "5,000,000" in above_cap.content.decode()
    assert above_cap.context["adminform"].form.errors["subsidy"]
    assert above_investment.context["adminform"].form.errors["subsidy"]
    assert within.status_code == 302
    assert list(FacilitySubsidy.objects.values_list("subsidy", flat=True)) == [Decimal("3000000.00")]


def test_the_subsidy_list_totals_the_filtered_rows_and_exports_them(login, reviewer, base):
    other = PilotBaseFactory(name="淄博新材料中试基地")
    FacilitySubsidy.objects.create(base=base, facility="精馏塔", year=2025, investment=8_000_000, subsidy=2_000_000)
    FacilitySubsidy.objects.create(base=base, facility="反应釜", year=2026, investment=6_000_000, subsidy=1_500_000)
    FacilitySubsidy.objects.create(base=other, facility="挤出线", year=2026, investment=4_000_000, subsidy=1_000_000)
    client = login(reviewer)

    every = client.get(reverse(SUBSIDIES))
    this_year = client.get(reverse(SUBSIDIES), {"year": "2026"})
    export = client.post(
        reverse("admin:pilots_facilitysubsidy_export") + "?year=2026",
        _export_form(),
    )

    assert every.context["totals"] == {"investment": Decimal(18_000_000), "subsidy": Decimal(4_500_000)}
    assert "18,000,000.00" in every.content.decode()
    assert this_year.context["totals"]["subsidy"] == Decimal(2_500_000)
    assert "2,500,000.00" in this_year.content.decode()
    assert "spreadsheetml" in export["Content-Type"], export.context["form"].errors
    rows = list(load_workbook(BytesIO(export.content)).active.values)
    facilities = {row[5] for row in rows[1:]}
    assert facilities == {"反应釜", "挤出线"}
    assert rows[0][5] == "facility" or rows[0][5] == "设施"  # the model's verbose name


def test_the_export_action_exports_the_selected_rows(login, reviewer, base):
    kept = FacilitySubsidy.objects.create(base=base, facility="精馏塔", year=2025, investment=800, subsidy=200)
    FacilitySubsidy.objects.create(base=base, facility="反应釜", year=2026, investment=600, subsidy=150)
    client = login(reviewer)

    form = _act(client, SUBSIDIES, "export_admin_action", [kept.pk])
    export = client.post(
        reverse("admin:pilots_facilitysubsidy_export"),
        _export_form(export_items=[kept.pk]),
    )

    assert form.status_code == 200
    rows = list(load_workbook(BytesIO(export.content)).active.values)
    assert [row[5] for row in rows[1:]] == ["精馏塔"]


def test_service_requests_are_read_with_their_bookings(login, reviewer, base, reactor, enterprise):
    request = ServiceRequestFactory(base=base, organization=enterprise, title="电解液添加剂放大", status="scheduled")
    BookingFactory(equipment=reactor, request=request)
    ServiceRequestFactory(base=base, organization=enterprise, title="已撤回的请求", status=RequestStatus.WITHDRAWN)
    client = login(reviewer)

    scheduled = client.get(reverse("admin:pilots_servicerequest_changelist"), {"status__exact": "scheduled"})
    change = client.get(reverse("admin:pilots_servicerequest_change", args=[request.pk]))

    assert list(scheduled.context["cl"].queryset) == [request]
    content = change.content.decode()
    assert change.status_code == 200 and "连续流反应器" in content and 'name="_save"' not in content


def test_people_outside_the_bureau_do_not_reach_the_console(login, operator_admin, applied, base):
    for user in (operator_admin, UserFactory(), UserFactory(is_staff=True)):
        client = login(user)
        for name in (CHANGELIST, SUBSIDIES, "admin:pilots_servicerequest_changelist"):
            response = client.get(reverse(name))
            assert response.status_code in (302, 403), (user, name)
        _act(client, CHANGELIST, "approve", [applied.pk], apply="1", **{f"level_{applied.pk}": "national"})
        client.post(reverse("admin:pilots_facilitysubsidy_add"), _subsidy_form(base))
    applied.refresh_from_db()
    assert applied.status == FilingStatus.APPLIED
    assert not FacilitySubsidy.objects.exists()


def test_the_console_lists_the_pilot_section_for_bureau_staff(login, bureau_admin):
    index = login(bureau_admin).get(reverse("admin:index")).content.decode()

    assert reverse(CHANGELIST) in index and reverse(SUBSIDIES) in index
    EquipmentFactory()  # equipment is read through its base, not listed on its own
    assert "/admin/pilots/equipment/" not in index


def test_staff_who_do_not_review_read_but_do_not_decide(login, registrar, applied, base):
    client = login(registrar)

    listing = client.get(reverse(CHANGELIST))
    change = client.get(reverse("admin:pilots_pilotbase_change", args=[applied.pk]))
    add = client.get(reverse("admin:pilots_facilitysubsidy_add"))
    _act(client, CHANGELIST, "approve", [applied.pk], apply="1", **{f"level_{applied.pk}": "national"})

    assert listing.status_code == 200 and change.status_code == 200
    assert 'name="action" value="approve"' not in change.content.decode()
    assert add.status_code == 403
    applied.refresh_from_db()
    assert applied.status == FilingStatus.APPLIED

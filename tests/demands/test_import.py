import csv
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from demands import importing
from demands.enums import CooperationMode, DemandType, Source, Status, Visibility
from demands.importing import (
    DemandImportError,
    ImportResult,
    SourceRow,
    demands_import,
    demands_import_file,
)
from demands.models import Demand
from demands.services import LIFECYCLE
from marketplace.enums import MembershipRole
from marketplace.models import Notification, TransitionLog
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

COLUMNS = [
    "title",
    "summary",
    "problem",
    "desired_outcome",
    "technical_indicators",
    "demand_type",
    "industry_fields",
    "keywords",
    "min_trl",
    "budget_min_wan",
    "budget_max_wan",
    "budget_negotiable",
    "deadline",
    "cooperation_modes",
    "visibility",
    "contact_name",
    "contact_phone",
    "contact_email",
    "external_ref",
]


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def demand_row(**values) -> dict:
    row = {
        "title": "高镍三元正极材料循环寿命提升",
        "summary": "寻求提升高镍正极材料高温循环寿命的改性技术。",
        "problem": "现有 NCM811 材料 45℃ 循环 500 次容量保持率低于 80%。",
        "desired_outcome": "形成可在现有产线量产的改性工艺。",
        "technical_indicators": "45℃ 循环 1000 次容量保持率 ≥ 90%；首效 ≥ 90%。",
        "demand_type": "problem_solving",
        "industry_fields": "new-energy-batteries",
        "keywords": "正极材料、循环寿命",
        "min_trl": "4",
        "budget_min_wan": "50",
        "budget_max_wan": "200",
        "budget_negotiable": "",
        "deadline": in_days(90).isoformat(),
        "cooperation_modes": "commissioned_development, cooperative_development",
        "visibility": "public",
        "contact_name": "沈经理",
        "contact_phone": "13912345678",
        "contact_email": "shen@example.com",
        "external_ref": "CZ-001",
    }
    return {**row, **values}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict], *, encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def reason(*pairs: tuple[str, str]) -> str:
    return " ".join(_("%(field)s: %(message)s") % {"field": label, "message": message} for label, message in pairs)


@pytest.fixture
def enterprise():
    return OrganizationFactory(name="常州测试锂电科技有限公司", kind="enterprise")


@pytest.fixture
def enterprise_admin(enterprise):
    return MembershipFactory(organization=enterprise, role=MembershipRole.ADMIN, user__username="lico").user


def test_import_jsonl_creates_submitted_demands_with_the_row_values(enterprise, enterprise_admin, tmp_path):
    path = write_jsonl(tmp_path / "demands.jsonl", [demand_row()])

    result = demands_import_file(path=path, organization=enterprise)

    demand = Demand.objects.get()
    assert result == ImportResult(created=1, unchanged=0, errors=[])
    assert (demand.source, demand.external_ref, demand.status, demand.organization, demand.created_by) == (
        Source.IMPORT,
        "CZ-001",
        Status.SUBMITTED,
        enterprise,
        enterprise_admin,
    )
    assert (demand.title, demand.summary, demand.problem, demand.desired_outcome, demand.technical_indicators) == (
        "高镍三元正极材料循环寿命提升",
        "寻求提升高镍正极材料高温循环寿命的改性技术。",
        "现有 NCM811 材料 45℃ 循环 500 次容量保持率低于 80%。",
        "形成可在现有产线量产的改性工艺。",
        "45℃ 循环 1000 次容量保持率 ≥ 90%；首效 ≥ 90%。",
    )
    assert (demand.demand_type, demand.visibility, demand.min_trl, demand.deadline) == (
        DemandType.PROBLEM_SOLVING,
        Visibility.PUBLIC,
        4,
        in_days(90),
    )
    assert (demand.budget_min, demand.budget_max, demand.budget_negotiable) == (
        Decimal("500000.00"),
        Decimal("2000000.00"),
        False,
    )
    assert demand.keywords == ["正极材料", "循环寿命"]
    assert list(demand.industry_fields.values_list("code", flat=True)) == ["new-energy-batteries"]
    assert sorted(demand.cooperation_modes.values_list("mode", flat=True)) == [
        CooperationMode.COMMISSIONED_DEVELOPMENT,
        CooperationMode.COOPERATIVE_DEVELOPMENT,
    ]
    assert (demand.contact_name, demand.contact_phone, demand.contact_email) == (
        "沈经理",
        "13912345678",
        "shen@example.com",
    )
    assert (demand.region, demand.submitted_at is not None, demand.published_at) == (enterprise.region, True, None)


def test_import_csv_reads_labels_names_and_a_negotiable_budget(enterprise, enterprise_admin, tmp_path):
    row = demand_row(
        demand_type=str(DemandType.JOINT_DEVELOPMENT.label),
        industry_fields="新能源电池，储能",
        cooperation_modes=f"{CooperationMode.TRANSFER.label}、{CooperationMode.LICENSE.label}",
        visibility="匿名",
        budget_min_wan="",
        budget_max_wan="面议",
        deadline=in_days(30).strftime("%Y/%m/%d"),
    )
    path = write_csv(tmp_path / "demands.csv", [row], encoding="utf-8")

    result = demands_import_file(path=path, organization=enterprise)

    demand = Demand.objects.get()
    assert result.created == 1
    assert (demand.demand_type, demand.visibility, demand.deadline) == (
        DemandType.JOINT_DEVELOPMENT,
        Visibility.ANONYMOUS,
        in_days(30),
    )
    assert (demand.budget_min, demand.budget_max, demand.budget_negotiable) == (None, None, True)
    assert sorted(demand.industry_fields.values_list("code", flat=True)) == ["energy-storage", "new-energy-batteries"]
    assert sorted(demand.cooperation_modes.values_list("mode", flat=True)) == ["license", "transfer"]


def test_import_xlsx_reads_date_cells_and_reports_sheet_rows(enterprise, enterprise_admin, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    deadline = datetime.combine(in_days(60), datetime.min.time())
    sheet.append(
        list(demand_row(deadline=deadline, min_trl=5, contact_phone=13912345678, budget_max_wan=120.5).values())
    )
    sheet.append([])
    sheet.append(list(demand_row(deadline=in_days(-1), external_ref="CZ-002").values()))
    workbook.create_sheet("填表说明").append(["这一页不导入"])
    path = tmp_path / "demands.xlsx"
    workbook.save(path)

    result = demands_import_file(path=path, organization=enterprise)

    demand = Demand.objects.get()
    assert (result.created, result.errors) == (1, [(4, reason(("截止日期", "截止日期早于今天。")))])
    assert (demand.deadline, demand.min_trl, demand.contact_phone, demand.budget_max) == (
        in_days(60),
        5,
        "13912345678",
        Decimal("1205000.00"),
    )


def test_import_bad_rows_are_reported_by_line_and_the_others_go_in(enterprise, enterprise_admin, tmp_path):
    rows = [
        demand_row(external_ref="R1"),
        demand_row(deadline=in_days(-3).isoformat(), external_ref="R2"),
        demand_row(budget_min_wan="300", budget_max_wan="100", external_ref="R3"),
        demand_row(budget_min_wan="", budget_max_wan="", external_ref="R4"),
        demand_row(title="", external_ref="R5"),
        demand_row(min_trl="12", external_ref="R6"),
        demand_row(external_ref="R7"),
    ]
    path = write_csv(tmp_path / "demands.csv", rows)

    result = demands_import_file(path=path, organization=enterprise)

    assert result.created == 2
    assert result.errors == [
        (3, reason(("截止日期", "截止日期早于今天。"))),
        (4, reason(("预算下限（元）", "预算下限高于上限。"))),
        (5, reason(("预算上限（元）", "请填写预算范围，或勾选预算面议。"))),
        (6, reason(("标题", _("This field cannot be blank.")))),
        (
            7,
            reason(
                (
                    "最低技术成熟度要求",
                    _("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": 9},
                )
            ),
        ),
    ]
    assert sorted(Demand.objects.values_list("external_ref", flat=True)) == ["R1", "R7"]


def test_import_unknown_codes_and_unreadable_cells_are_reported_together(enterprise, enterprise_admin, tmp_path):
    row = demand_row(
        demand_type="crowdfunding",
        visibility="secret",
        min_trl="五级",
        budget_min_wan="五十",
        deadline="下个月底",
        industry_fields="space-elevator",
        cooperation_modes="rent",
    )
    path = write_csv(tmp_path / "demands.csv", [row])

    result = demands_import_file(path=path, organization=enterprise)

    assert result.created == 0
    assert result.errors == [
        (
            2,
            reason(
                ("需求类型", _("Unknown demand type: %(value)s.") % {"value": "crowdfunding"}),
                ("公开范围", _("Unknown visibility: %(value)s.") % {"value": "secret"}),
                ("最低技术成熟度要求", "技术成熟度应为 1 到 9 的整数。"),
                ("预算下限（元）", _("Enter the budget as a number of 10,000 yuan.")),
                ("截止日期", _("Enter the deadline as a date (YYYY-MM-DD).")),
                ("产业领域", "未知的产业领域代码：space-elevator。"),
                ("合作方式", _("Unknown cooperation mode: %(modes)s.") % {"modes": "rent"}),
            ),
        )
    ]


def test_import_jsonl_line_that_is_not_json_is_reported_with_its_line(enterprise, enterprise_admin, tmp_path):
    path = tmp_path / "demands.jsonl"
    path.write_text(f"{json.dumps(demand_row(), ensure_ascii=False)}\n\n{{broken\n", encoding="utf-8")

    result = demands_import_file(path=path, organization=enterprise)

    assert result.created == 1
    assert result.errors == [
        (
            3,
            _("This line is not valid JSON: %(error)s.")
            % {"error": "Expecting property name enclosed in double quotes"},
        )
    ]


def test_import_again_changes_nothing(enterprise, enterprise_admin, tmp_path):
    rows = [demand_row(external_ref=f"CZ-{n:03d}") for n in range(5)]
    path = write_jsonl(tmp_path / "demands.jsonl", rows)
    demands_import_file(path=path, organization=enterprise, status=Status.PUBLISHED)
    before = (Demand.objects.count(), TransitionLog.objects.count(), Demand.history.count())

    result = demands_import_file(path=path, organization=enterprise, status=Status.PUBLISHED)

    assert result == ImportResult(created=0, unchanged=5, errors=[])
    assert (Demand.objects.count(), TransitionLog.objects.count(), Demand.history.count()) == before


def test_import_same_reference_twice_in_one_file_creates_it_once(enterprise, enterprise_admin, tmp_path):
    path = write_csv(tmp_path / "demands.csv", [demand_row(), demand_row(title="重复的一行")])

    result = demands_import_file(path=path, organization=enterprise)

    assert (result.created, result.unchanged) == (1, 1)
    assert Demand.objects.get().title == "高镍三元正极材料循环寿命提升"


def test_import_reference_held_by_another_enterprise_is_a_bad_row(enterprise, enterprise_admin, tmp_path):
    other = OrganizationFactory(kind="enterprise")
    MembershipFactory(organization=other, role=MembershipRole.ADMIN)
    path = write_csv(tmp_path / "demands.csv", [demand_row()])
    demands_import_file(path=path, organization=other)

    result = demands_import_file(path=path, organization=enterprise)

    assert result.created == 0
    assert result.errors == [(2, reason(("外部编号", "同一来源的需求已使用该外部编号。")))]


def test_import_published_moves_rows_in_bulk_with_transition_logs(enterprise, enterprise_admin, reviewer, tmp_path):
    path = write_jsonl(tmp_path / "demands.jsonl", [demand_row(), demand_row(external_ref="CZ-002")])

    demands_import(
        rows=importing.read_rows(path),
        organization=enterprise,
        user=enterprise_admin,
        status=Status.PUBLISHED,
        published_by=reviewer,
    )

    demand = Demand.objects.get(external_ref="CZ-001")
    assert demand.status == Status.PUBLISHED
    assert demand.published_at is not None and demand.confirmed_at == demand.published_at
    logs = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Demand), object_id=demand.pk
    ).order_by("id")
    assert [(log.field, log.from_status, log.to_status, log.actor, log.reason) for log in logs] == [
        ("status", Status.DRAFT, Status.SUBMITTED, enterprise_admin, "批量导入"),
        ("status", Status.SUBMITTED, Status.PUBLISHED, reviewer, "批量导入"),
    ]
    assert list(demand.history.order_by("history_id").values_list("history_type", "status")) == [
        ("+", Status.DRAFT),
        ("~", Status.PUBLISHED),
    ]
    assert Notification.objects.count() == 0


def test_import_draft_needs_no_industry_field_and_logs_nothing(enterprise, enterprise_admin, tmp_path):
    path = write_jsonl(tmp_path / "demands.jsonl", [demand_row(industry_fields="")])

    result = demands_import_file(path=path, organization=enterprise, status=Status.DRAFT)

    demand = Demand.objects.get()
    assert result == ImportResult(created=1, unchanged=0, errors=[])
    assert (demand.status, demand.submitted_at, demand.industry_fields.count()) == (Status.DRAFT, None, 0)
    assert TransitionLog.objects.count() == 0


def test_import_submitted_without_industry_field_is_a_bad_row(enterprise, enterprise_admin, tmp_path):
    path = write_jsonl(tmp_path / "demands.jsonl", [demand_row(industry_fields="")])

    result = demands_import_file(path=path, organization=enterprise)

    assert (result.created, result.errors) == (0, [(1, reason(("产业领域", "提交前请至少选择一个产业领域。")))])


def test_import_goes_in_batches_through_one_finishing_function(enterprise, enterprise_admin, monkeypatch):
    batches = []
    finish = importing.imported_batch_finish

    def finish_and_count(*, demands, **kwargs):
        batches.append(len(demands))
        finish(demands=demands, **kwargs)

    monkeypatch.setattr(importing, "imported_batch_finish", finish_and_count)
    rows = [SourceRow(line, demand_row(external_ref=f"CZ-{line}")) for line in range(1, 6)]

    result = demands_import(rows=rows, organization=enterprise, user=enterprise_admin, batch_size=2)

    assert (result.created, batches) == (5, [2, 2, 1])
    assert Demand.objects.filter(status=Status.SUBMITTED).count() == 5


def test_import_for_an_unverified_enterprise_is_refused(tmp_path):
    organization = OrganizationFactory(unverified=True)
    MembershipFactory(organization=organization, role=MembershipRole.ADMIN)
    path = write_jsonl(tmp_path / "demands.jsonl", [demand_row()])

    with pytest.raises(DemandImportError) as caught:
        demands_import_file(path=path, organization=organization)

    assert str(caught.value) == "只有已认证机构才能提交需求申请发布。"
    assert Demand.objects.count() == 0


def test_import_for_an_enterprise_without_administrator_creates_nothing(tmp_path):
    organization = OrganizationFactory(name="没有管理员的企业有限公司")
    path = write_jsonl(tmp_path / "demands.jsonl", [demand_row()])

    with pytest.raises(DemandImportError) as caught:
        demands_import_file(path=path, organization=organization)

    assert str(caught.value) == "没有管理员的企业有限公司 没有管理员，请先添加管理员再导入。"
    assert Demand.objects.count() == 0


def test_workflow_apply_in_bulk_refuses_a_path_outside_the_workflow():
    demand = DemandFactory(draft=True)

    with pytest.raises(ValueError):
        LIFECYCLE.apply_in_bulk(objects=[demand], steps=[(Status.DRAFT, Status.PUBLISHED, None)])

    assert Demand.objects.get().status == Status.DRAFT


def test_workflow_apply_in_bulk_refuses_objects_not_in_the_starting_status():
    drafts = [DemandFactory(draft=True), DemandFactory(submitted=True)]

    with pytest.raises(ValidationError):
        LIFECYCLE.apply_in_bulk(objects=drafts, steps=[(Status.DRAFT, Status.SUBMITTED, None)])

    assert sorted(Demand.objects.values_list("status", flat=True)) == [Status.DRAFT, Status.SUBMITTED]
    assert TransitionLog.objects.count() == 0


def test_import_demands_command_prints_the_summary_and_each_bad_row(enterprise, enterprise_admin, tmp_path):
    rows = [demand_row(), demand_row(budget_min_wan="300", budget_max_wan="100", external_ref="CZ-002")]
    path = write_csv(tmp_path / "demands.csv", rows)
    out = StringIO()

    call_command("import_demands", str(path), owner=enterprise.uscc, stdout=out)

    assert out.getvalue() == (
        f"常州测试锂电科技有限公司: created 1, unchanged 0, bad rows 1\n"
        f"line 3: {reason(('预算下限（元）', '预算下限高于上限。'))}\n"
    )


def test_import_demands_command_publishes_by_enterprise_name(enterprise, enterprise_admin, tmp_path):
    path = write_jsonl(tmp_path / "demands.data", [demand_row(), demand_row(external_ref="CZ-002")])
    out = StringIO()

    call_command(
        "import_demands",
        str(path),
        "--owner",
        "常州测试锂电科技有限公司",
        "--status",
        "published",
        "--format",
        "jsonl",
        stdout=out,
    )

    assert out.getvalue() == "常州测试锂电科技有限公司: created 2, unchanged 0, bad rows 0\n"
    assert list(Demand.objects.values_list("status", flat=True)) == [Status.PUBLISHED, Status.PUBLISHED]
    assert sorted(TransitionLog.objects.values_list("to_status", flat=True)) == [
        Status.PUBLISHED,
        Status.PUBLISHED,
        Status.SUBMITTED,
        Status.SUBMITTED,
    ]


def test_import_demands_command_unknown_owner_is_a_command_error(tmp_path):
    path = write_jsonl(tmp_path / "demands.jsonl", [demand_row()])

    with pytest.raises(CommandError) as caught:
        call_command("import_demands", str(path), owner="不存在的企业")

    assert (
        str(caught.value) == "Unknown organization '不存在的企业': give its unified social credit code or exact name."
    )
    assert Demand.objects.count() == 0


def test_import_demands_command_unreadable_file_is_a_command_error(enterprise, enterprise_admin, tmp_path):
    path = tmp_path / "demands.xlsx"
    path.write_text("这不是 Excel 文件", encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("import_demands", str(path), owner=enterprise.uscc)

    assert str(caught.value).startswith(
        _("The file %(name)s cannot be read: %(error)s") % {"name": "demands.xlsx", "error": ""}
    )
    assert Demand.objects.count() == 0

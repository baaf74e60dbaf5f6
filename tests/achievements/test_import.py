import csv
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import gettext as _
from openpyxl import Workbook

from achievements import importing
from achievements.enums import Category, Source, Status, TransferMode
from achievements.importing import (
    AchievementImportError,
    ImportResult,
    SourceRow,
    achievements_import,
    achievements_import_file,
    discipline_fields,
)
from achievements.models import Achievement
from marketplace.enums import MembershipRole
from marketplace.models import IndustryField, Notification, TransitionLog
from marketplace.reference_data import DATA_DIR, industry_field_tree
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

CSL_FILE = DATA_DIR / "csl" / "csl_dev.jsonl"
PLATFORM_COLUMNS = [
    "title",
    "summary",
    "category",
    "trl",
    "keywords",
    "industry_fields",
    "transfer_modes",
    "asking_price_wan",
    "price_negotiable",
    "contact_name",
    "contact_phone",
    "contact_email",
    "external_ref",
]


def csl_records(count: int) -> list[dict]:
    with CSL_FILE.open(encoding="utf-8") as handle:
        return [json.loads(next(handle)) for _ in range(count)]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def platform_row(**values) -> dict:
    row = {
        "title": "一种海水淡化用复合反渗透膜",
        "summary": "通过界面聚合制备高通量复合反渗透膜，脱盐率达99.7%。",
        "category": "industrial",
        "trl": "6",
        "keywords": "反渗透膜、海水淡化",
        "industry_fields": "water-treatment,advanced-polymers",
        "transfer_modes": "assignment, license_exclusive",
        "asking_price_wan": "120.5",
        "price_negotiable": "",
        "contact_name": "王老师",
        "contact_phone": "13912345678",
        "contact_email": "wang@example.edu.cn",
        "external_ref": "QD-001",
    }
    return {**row, **values}


def write_csv(path: Path, rows: list[dict], *, encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PLATFORM_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def reason(*pairs: tuple[str, str]) -> str:
    return " ".join(_("%(field)s: %(message)s") % {"field": label, "message": message} for label, message in pairs)


@pytest.fixture
def owner(organization, org_admin):
    """The fixture university (verified) with its administrator, who imports act as."""
    return organization


def test_import_csl_jsonl_creates_submitted_achievements_with_the_csl_defaults(owner, org_admin, tmp_path):
    records = csl_records(3)
    path = write_jsonl(tmp_path / "csl.jsonl", records)

    result = achievements_import_file(path=path, organization=owner)

    assert result == ImportResult(created=3, unchanged=0, errors=[])
    achievement = Achievement.objects.get(external_ref="csl-dev-0001")
    assert (achievement.source, achievement.title, achievement.summary, achievement.keywords) == (
        Source.CSL,
        records[0]["title"],
        records[0]["abstract"],
        records[0]["keywords"],
    )
    assert (achievement.trl, achievement.category, achievement.price_negotiable, achievement.asking_price) == (
        4,
        Category.INDUSTRIAL,
        True,
        None,
    )
    assert sorted(achievement.transfer_modes.values_list("mode", flat=True)) == [
        TransferMode.ASSIGNMENT,
        TransferMode.LICENSE_NON_EXCLUSIVE,
    ]
    assert list(achievement.industry_fields.values_list("code", flat=True)) == ["aerospace"]  # 兵器科学与技术
    assert (achievement.status, achievement.organization, achievement.created_by) == (
        Status.SUBMITTED,
        owner,
        org_admin,
    )
    assert achievement.submitted_at is not None and achievement.published_at is None


def test_import_csl_row_keeps_what_the_row_says_over_the_defaults(owner, org_admin):
    record = {**csl_records(1)[0], "trl": 7, "asking_price_wan": 50, "transfer_modes": ["equity"]}

    result = achievements_import(rows=[SourceRow(1, record)], organization=owner, user=org_admin)

    achievement = Achievement.objects.get()
    assert result.created == 1
    assert (achievement.trl, achievement.asking_price, achievement.price_negotiable) == (7, Decimal("500000.00"), False)
    assert list(achievement.transfer_modes.values_list("mode", flat=True)) == [TransferMode.EQUITY]


def test_import_csv_with_bom_reads_the_platform_columns(owner, tmp_path):
    path = write_csv(tmp_path / "achievements.csv", [platform_row()])

    result = achievements_import_file(path=path, organization=owner)

    achievement = Achievement.objects.get()
    assert result == ImportResult(created=1, unchanged=0, errors=[])
    assert (achievement.source, achievement.external_ref, achievement.title) == (
        Source.IMPORT,
        "QD-001",
        "一种海水淡化用复合反渗透膜",
    )
    assert (achievement.trl, achievement.asking_price, achievement.price_negotiable) == (
        6,
        Decimal("1205000.00"),
        False,
    )
    assert achievement.keywords == ["反渗透膜", "海水淡化"]
    assert sorted(achievement.industry_fields.values_list("code", flat=True)) == [
        "advanced-polymers",
        "water-treatment",
    ]
    assert sorted(achievement.transfer_modes.values_list("mode", flat=True)) == ["assignment", "license_exclusive"]
    assert (achievement.contact_name, achievement.contact_phone, achievement.contact_email) == (
        "王老师",
        "13912345678",
        "wang@example.edu.cn",
    )


def test_import_csv_without_bom_and_with_a_negotiable_price(owner, tmp_path):
    rows = [platform_row(asking_price_wan="面议", external_ref="QD-002")]
    path = write_csv(tmp_path / "achievements.csv", rows, encoding="utf-8")

    result = achievements_import_file(path=path, organization=owner)

    achievement = Achievement.objects.get()
    assert result.created == 1
    assert (achievement.asking_price, achievement.price_negotiable) == (None, True)


def test_import_xlsx_reads_the_first_sheet_and_reports_sheet_rows(owner, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(PLATFORM_COLUMNS)
    sheet.append(list(platform_row(trl=5, contact_phone=13912345678).values()))
    sheet.append([])
    sheet.append(list(platform_row(trl=12, external_ref="QD-003").values()))
    workbook.create_sheet("说明").append(["这一页不导入"])
    path = tmp_path / "achievements.xlsx"
    workbook.save(path)

    result = achievements_import_file(path=path, organization=owner)

    achievement = Achievement.objects.get()
    assert (result.created, result.errors) == (1, [(4, reason(("技术成熟度", "值 12 不是有效选项。")))])
    assert (achievement.trl, achievement.contact_phone, achievement.asking_price) == (
        5,
        "13912345678",
        Decimal("1205000.00"),
    )


def test_import_bad_rows_are_reported_by_line_and_the_others_go_in(owner, tmp_path):
    rows = [
        platform_row(external_ref="R1"),
        platform_row(trl="12", external_ref="R2"),
        platform_row(asking_price_wan="-3", external_ref="R3"),
        platform_row(title="", external_ref="R4"),
        platform_row(external_ref="R5"),
    ]
    path = write_csv(tmp_path / "achievements.csv", rows)

    result = achievements_import_file(path=path, organization=owner)

    assert result.created == 2
    assert result.errors == [
        (3, reason(("技术成熟度", "值 12 不是有效选项。"))),
        (4, reason(("意向价格（元）", "确保该值大于或等于0。"))),
        (5, reason(("标题", "此字段不能为空。"))),
    ]
    assert sorted(Achievement.objects.values_list("external_ref", flat=True)) == ["R1", "R5"]


def test_import_unknown_codes_and_unreadable_numbers_are_reported_together(owner, tmp_path):
    rows = [platform_row(asking_price_wan="一百", industry_fields="space-elevator", transfer_modes="rent")]
    path = write_csv(tmp_path / "achievements.csv", rows)

    result = achievements_import_file(path=path, organization=owner)

    assert result.created == 0
    assert result.errors == [
        (
            2,
            reason(
                ("意向价格（元）", _("Enter the asking price as a number of 10,000 yuan.")),
                ("产业领域", _("Unknown industry field code: %(codes)s.") % {"codes": "space-elevator"}),
                ("转化方式", _("Unknown transfer mode: %(modes)s.") % {"modes": "rent"}),
            ),
        )
    ]


def test_import_jsonl_line_that_is_not_json_is_reported_with_its_line(owner, tmp_path):
    path = tmp_path / "csl.jsonl"
    record = json.dumps(csl_records(1)[0], ensure_ascii=False)
    path.write_text(f"{record}\n\n{{broken\n", encoding="utf-8")

    result = achievements_import_file(path=path, organization=owner)

    assert result.created == 1
    assert result.errors == [
        (
            3,
            _("This line is not valid JSON: %(error)s.")
            % {"error": "Expecting property name enclosed in double quotes"},
        )
    ]


def test_import_again_changes_nothing(owner, tmp_path):
    path = write_jsonl(tmp_path / "csl.jsonl", csl_records(5))
    achievements_import_file(path=path, organization=owner, status=Status.PUBLISHED)
    before = (Achievement.objects.count(), TransitionLog.objects.count(), Achievement.history.count())

    result = achievements_import_file(path=path, organization=owner, status=Status.PUBLISHED)

    assert result == ImportResult(created=0, unchanged=5, errors=[])
    assert (Achievement.objects.count(), TransitionLog.objects.count(), Achievement.history.count()) == before


def test_import_same_reference_twice_in_one_file_creates_it_once(owner, tmp_path):
    path = write_csv(tmp_path / "achievements.csv", [platform_row(), platform_row(title="重复的一行")])

    result = achievements_import_file(path=path, organization=owner)

    assert (result.created, result.unchanged) == (1, 1)
    assert Achievement.objects.get().title == "一种海水淡化用复合反渗透膜"


def test_import_reference_held_by_another_organization_is_a_bad_row(owner, tmp_path):
    other = OrganizationFactory(kind="university")
    MembershipFactory(organization=other, role=MembershipRole.ADMIN)
    path = write_csv(tmp_path / "achievements.csv", [platform_row()])
    achievements_import_file(path=path, organization=other)

    result = achievements_import_file(path=path, organization=owner)

    assert result.created == 0
    assert result.errors == [
        (2, reason(("外部编号", _("Another organization's achievement already has this external reference."))))
    ]


def test_import_published_moves_rows_in_bulk_with_transition_logs(owner, org_admin, reviewer, tmp_path):
    path = write_jsonl(tmp_path / "csl.jsonl", csl_records(2))

    achievements_import(
        rows=importing.read_rows(path),
        organization=owner,
        user=org_admin,
        status=Status.PUBLISHED,
        published_by=reviewer,
    )

    achievement = Achievement.objects.get(external_ref="csl-dev-0001")
    assert achievement.status == Status.PUBLISHED
    assert achievement.published_at is not None and achievement.confirmed_at == achievement.published_at
    logs = TransitionLog.objects.filter(object_id=achievement.pk).order_by("id")
    assert [(log.from_status, log.to_status, log.actor, log.reason) for log in logs] == [
        (Status.DRAFT, Status.SUBMITTED, org_admin, _("bulk import")),
        (Status.SUBMITTED, Status.PUBLISHED, reviewer, _("bulk import")),
    ]
    assert list(achievement.history.order_by("history_id").values_list("history_type", "status")) == [
        ("+", Status.DRAFT),
        ("~", Status.PUBLISHED),
    ]
    assert Notification.objects.count() == 0


def test_import_goes_in_batches_through_one_finishing_function(owner, org_admin, monkeypatch):
    batches = []
    finish = importing.imported_batch_finish

    def finish_and_count(*, achievements, **kwargs):
        batches.append(len(achievements))
        finish(achievements=achievements, **kwargs)

    monkeypatch.setattr(importing, "imported_batch_finish", finish_and_count)
    rows = [SourceRow(line, record) for line, record in enumerate(csl_records(5), start=1)]

    result = achievements_import(rows=rows, organization=owner, user=org_admin, batch_size=2)

    assert (result.created, batches) == (5, [2, 2, 1])
    assert Achievement.objects.filter(status=Status.SUBMITTED).count() == 5


def test_import_for_an_organization_without_administrator_creates_nothing(tmp_path):
    organization = OrganizationFactory(name="没有管理员的研究院", kind="institute")
    MembershipFactory(organization=organization, role=MembershipRole.MEMBER)
    path = write_jsonl(tmp_path / "csl.jsonl", csl_records(1))

    with pytest.raises(AchievementImportError) as caught:
        achievements_import_file(path=path, organization=organization)

    assert str(caught.value) == "没有管理员的研究院 没有管理员，请先添加管理员再导入。"
    assert Achievement.objects.count() == 0


def test_import_for_an_unverified_organization_is_refused(tmp_path):
    organization = OrganizationFactory(unverified=True)
    MembershipFactory(organization=organization, role=MembershipRole.ADMIN)
    path = write_jsonl(tmp_path / "csl.jsonl", csl_records(1))

    with pytest.raises(AchievementImportError) as caught:
        achievements_import_file(path=path, organization=organization)

    assert str(caught.value) == _("Only verified organizations can submit achievements for publication.")
    assert Achievement.objects.count() == 0


def test_csl_discipline_mapping_covers_every_discipline_of_the_sample():
    with CSL_FILE.open(encoding="utf-8") as handle:
        disciplines = {json.loads(line)["discipline"] for line in handle}
    taxonomy = {node["code"] for node in industry_field_tree()} | {
        child["code"] for node in industry_field_tree() for child in node.get("children", [])
    }

    assert len(disciplines) == 67
    assert sorted(disciplines - discipline_fields().keys()) == []
    assert sorted(set(discipline_fields().values()) - taxonomy) == []
    assert set(discipline_fields().values()) <= set(IndustryField.objects.values_list("code", flat=True))


def test_import_achievements_command_prints_the_summary_and_each_bad_row(owner, tmp_path):
    rows = [platform_row(), platform_row(trl="12", external_ref="QD-002")]
    path = write_csv(tmp_path / "achievements.csv", rows)
    out = StringIO()

    call_command("import_achievements", str(path), owner=owner.uscc, stdout=out)

    assert out.getvalue() == (
        f"青岛测试大学: created 1, unchanged 0, bad rows 1\nline 3: {reason(('技术成熟度', '值 12 不是有效选项。'))}\n"
    )


def test_import_achievements_command_publishes_by_organization_name(owner, org_admin, tmp_path):
    path = write_jsonl(tmp_path / "csl.data", csl_records(2))
    out = StringIO()

    call_command(
        "import_achievements",
        str(path),
        "--owner",
        "青岛测试大学",
        "--status",
        "published",
        "--format",
        "jsonl",
        stdout=out,
    )

    assert out.getvalue() == "青岛测试大学: created 2, unchanged 0, bad rows 0\n"
    assert list(Achievement.objects.values_list("status", flat=True)) == [Status.PUBLISHED, Status.PUBLISHED]
    assert sorted(TransitionLog.objects.values_list("to_status", flat=True)) == [
        Status.PUBLISHED,
        Status.PUBLISHED,
        Status.SUBMITTED,
        Status.SUBMITTED,
    ]


def test_import_achievements_command_unknown_owner_is_a_command_error(tmp_path):
    path = write_jsonl(tmp_path / "csl.jsonl", csl_records(1))

    with pytest.raises(CommandError) as caught:
        call_command("import_achievements", str(path), owner="不存在的大学")

    assert (
        str(caught.value) == "Unknown organization '不存在的大学': give its unified social credit code or exact name."
    )
    assert Achievement.objects.count() == 0


def test_import_achievements_command_unreadable_file_is_a_command_error(owner, tmp_path):
    path = tmp_path / "achievements.xlsx"
    path.write_text("这不是 Excel 文件", encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("import_achievements", str(path), owner=owner.uscc)

    assert str(caught.value).startswith(
        _("The file %(name)s cannot be read: %(error)s") % {"name": "achievements.xlsx", "error": ""}
    )
    assert Achievement.objects.count() == 0

"""Bulk import of achievements from JSONL, CSV or XLSX files (成果批量导入).

Two row shapes are understood, row by row:

* the CSL sample (marketplace/data/csl/): `ref`, `title`, `abstract`, `keywords`, `discipline`
  and `category` (a 门类 such as 工学, not one of ours). Imported with source CSL; the discipline
  becomes an industry field through data/csl_discipline_fields.json, and what the record leaves
  unsaid gets the defaults of CSL_DEFAULTS;
* the platform's own columns: title, summary, description, category, trl, keywords,
  industry_fields (codes), transfer_modes, asking_price_wan (万元) or price_negotiable,
  contact_name, contact_phone, contact_email, external_ref. Imported with source IMPORT.

A CSL row may carry platform columns too (the demo adds TRL, prices and contacts that way).
Every row is created by `achievement_create`, in its own savepoint, so a bad row is reported
with its line and the reason and the others go in. A row whose (source, external_ref) the owner
already has is skipped, so importing a file again changes nothing; rows without an
external_ref cannot be recognised and are created each time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements.enums import TRL, Category, Source, Status, TransferMode
from achievements.models import Achievement, AchievementTransferMode
from achievements.services import LIFECYCLE, achievement_create
from marketplace import rules as market_rules
from marketplace.importing import (
    ImportFileError,
    ImportResult,
    SourceRow,
    cell_boolean,
    cell_choice,
    cell_list,
    cell_text,
    cell_wan_to_yuan,
    importing_user,
    read_rows,
)
from marketplace.importing import describe_error as describe_rows_error
from marketplace.models import IndustryField, Organization, User

# Statuses an import leaves its rows in. Drafts stay with the owner; the others are trusted
# loads that skip the per-row review workflow (see imported_batch_finish).
IMPORT_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.PUBLISHED)
BATCH_SIZE = 500

DISCIPLINE_FIELDS_FILE = Path(__file__).resolve().parent / "data" / "csl_discipline_fields.json"

# Keys only the CSL sample has; a row with any of them is read as a CSL record.
_CSL_KEYS = frozenset({"ref", "abstract", "discipline"})

# What a CSL record (journal-paper metadata) leaves unsaid: a result validated in the
# laboratory (GB/T 22900 level 4), offered for assignment or a non-exclusive license at a
# negotiable price, in the industrial-innovation category.
CSL_DEFAULTS = {
    "trl": TRL.L4,
    "category": Category.INDUSTRIAL,
    "price_negotiable": True,
    "transfer_modes": [TransferMode.ASSIGNMENT, TransferMode.LICENSE_NON_EXCLUSIVE],
}

_NEGOTIABLE_PRICES = {"面议", "negotiable"}


AchievementImportError = ImportFileError


@cache
def discipline_fields() -> dict[str, str]:
    """The CSL discipline (学科) → industry-field code table."""
    return json.loads(DISCIPLINE_FIELDS_FILE.read_text(encoding="utf-8"))["disciplines"]


# Turning a row into service arguments ------------------------------------------------------


def _trl(value, errors: dict) -> int | None:
    text = cell_text(value)
    if not text:
        return None
    try:
        number = Decimal(text)
        if number.is_finite() and number == number.to_integral_value():
            # Out-of-range levels are left to the model, which says so in its own words.
            return int(number)
    except InvalidOperation:
        pass
    errors["trl"] = _("Enter the TRL as a whole number from 1 to 9.")
    return None


def _yuan(value, errors: dict) -> Decimal | None:
    """An asking price in 万元 → 元 (the stored unit)."""
    return cell_wan_to_yuan(value, errors, "asking_price", _("Enter the asking price as a number of 10,000 yuan."))


def _arguments(values: dict, *, field_ids: dict[str, int], require_field: bool) -> dict:
    """The keyword arguments of `achievement_create` for one row; ValidationError if the row
    cannot say what it means (unknown codes, unreadable numbers)."""
    errors: dict[str, str] = {}
    csl = bool(_CSL_KEYS & values.keys())
    defaults = CSL_DEFAULTS if csl else {}

    # A CSL record's `category` is a 门类 (工学…), not one of ours: it falls back to the default.
    given_category = cell_text(values.get("category"))
    category = cell_choice(given_category, Category) or (CSL_DEFAULTS["category"] if csl else given_category)

    trl = _trl(values.get("trl"), errors)
    if trl is None and "trl" not in errors:
        trl = defaults.get("trl")
        if trl is None:
            errors["trl"] = _("This field is required.")

    price_text = cell_text(values.get("asking_price_wan"))
    negotiable = cell_boolean(values.get("price_negotiable"), errors, "price_negotiable")
    asking_price = None
    if price_text.casefold() in _NEGOTIABLE_PRICES:
        negotiable = True
    else:
        asking_price = _yuan(price_text, errors)
    if asking_price is None and negotiable is None:
        negotiable = defaults.get("price_negotiable")

    field_codes = cell_list(values.get("industry_fields"))
    discipline = cell_text(values.get("discipline"))
    if not field_codes and discipline:
        code = discipline_fields().get(discipline)
        if code is None:
            errors["industry_fields"] = _("Unknown discipline “%(discipline)s”; give industry_fields instead.") % {
                "discipline": discipline
            }
        field_codes = [code] if code else []
    unknown_fields = [code for code in field_codes if code not in field_ids]
    if unknown_fields:
        errors["industry_fields"] = _("Unknown industry field code: %(codes)s.") % {"codes": ", ".join(unknown_fields)}
    elif require_field and not field_codes and "industry_fields" not in errors:
        errors["industry_fields"] = _("Choose at least one industry field before submitting.")

    modes = [(text, cell_choice(text, TransferMode)) for text in cell_list(values.get("transfer_modes"))]
    unknown_modes = [text for text, mode in modes if mode is None]
    if unknown_modes:
        errors["transfer_modes"] = _("Unknown transfer mode: %(modes)s.") % {"modes": ", ".join(unknown_modes)}
    transfer_modes = [mode for _given, mode in modes if mode] or list(defaults.get("transfer_modes", []))

    if errors:
        raise ValidationError(errors)
    keywords = values.get("keywords")
    return {
        "source": Source.CSL if csl else Source.IMPORT,
        "external_ref": cell_text(values.get("ref") if csl and values.get("ref") else values.get("external_ref")),
        "title": cell_text(values.get("title")),
        "summary": cell_text(values.get("abstract") if csl and values.get("abstract") else values.get("summary")),
        "description": cell_text(values.get("description")),
        "category": category,
        "trl": trl,
        "keywords": [cell_text(k) for k in keywords] if isinstance(keywords, list | tuple) else cell_text(keywords),
        "asking_price": asking_price,
        "price_negotiable": bool(negotiable),
        "contact_name": cell_text(values.get("contact_name")),
        "contact_phone": cell_text(values.get("contact_phone")),
        "contact_email": cell_text(values.get("contact_email")),
        "industry_fields": [field_ids[code] for code in dict.fromkeys(field_codes)],
        "transfer_modes": transfer_modes,
    }


def _label(name: str) -> str:
    if name == "transfer_modes":
        return str(AchievementTransferMode._meta.verbose_name_plural)
    try:
        return str(Achievement._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return name


def describe_error(error: ValidationError) -> str:
    """One line for a row's errors, with the achievement's field labels."""
    return describe_rows_error(error, _label)


# Importing ---------------------------------------------------------------------------------


def achievements_import(
    *,
    rows: Iterable[SourceRow],
    organization: Organization,
    user: User,
    status: str = Status.SUBMITTED,
    published_by: User | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Create the rows' achievements for `organization`, acting as `user` (one of its members).

    Rows go in batches; each batch is one transaction and each row a savepoint inside it, so a
    bad row is reported (line, reason) and skipped. Rows the owner already has, by (source,
    external_ref), are counted as unchanged. The batch's new achievements are then moved to
    `status` by imported_batch_finish: TransitionLog and history rows are written, no
    notifications are sent. `published_by` is the actor logged for publication (default `user`).
    """
    if status not in IMPORT_STATUSES:
        raise ValueError(f"cannot import into status {status!r}")
    if not market_rules.is_org_member(user, organization):
        raise AchievementImportError(
            _("%(user)s is not a member of %(organization)s.") % {"user": user, "organization": organization.name}
        )
    if status != Status.DRAFT and not organization.is_verified:
        raise AchievementImportError(_("Only verified organizations can submit achievements for publication."))
    field_ids = dict(IndustryField.objects.filter(is_active=True).values_list("code", "pk"))
    rows = list(rows)
    result = ImportResult()
    for start in range(0, len(rows), batch_size):
        with transaction.atomic():
            created = _import_batch(
                rows[start : start + batch_size],
                organization=organization,
                user=user,
                field_ids=field_ids,
                require_field=status != Status.DRAFT,
                result=result,
            )
            imported_batch_finish(achievements=created, status=status, user=user, published_by=published_by)
        result.created += len(created)
    result.errors.sort(key=lambda error: error[0])
    return result


def _import_batch(
    rows: list[SourceRow], *, organization, user, field_ids, require_field: bool, result: ImportResult
) -> list[Achievement]:
    parsed = []
    for row in rows:
        if row.problem:
            result.errors.append((row.line, row.problem))
            continue
        try:
            parsed.append((row, _arguments(row.values, field_ids=field_ids, require_field=require_field)))
        except ValidationError as exc:
            result.errors.append((row.line, describe_error(exc)))
    # Who already holds the batch's references, in one query.
    refs = {arguments["external_ref"] for _row, arguments in parsed if arguments["external_ref"]}
    holders = {
        (source, ref): owner
        for source, ref, owner in Achievement.objects.filter(
            source__in=[Source.CSL, Source.IMPORT], external_ref__in=refs
        ).values_list("source", "external_ref", "organization_id")
    }
    created = []
    for row, arguments in parsed:
        key = (arguments["source"], arguments["external_ref"])
        if arguments["external_ref"] and key in holders:
            if holders[key] == organization.pk:
                result.unchanged += 1
            else:
                error = ValidationError(
                    {"external_ref": _("Another organization's achievement already has this external reference.")}
                )
                result.errors.append((row.line, describe_error(error)))
            continue
        try:
            with transaction.atomic():
                achievement = achievement_create(user=user, organization=organization, **arguments)
        except ValidationError as exc:
            result.errors.append((row.line, describe_error(exc)))
            continue
        if arguments["external_ref"]:
            holders[key] = organization.pk
        created.append(achievement)
    return created


def imported_batch_finish(
    *, achievements: list[Achievement], status: str, user: User, published_by: User | None = None
) -> None:
    """Everything that happens to one batch of freshly imported (draft) achievements.

    Moves them to `status` in bulk — one UPDATE, TransitionLog rows (draft → submitted, and
    submitted → published for published ones, reason "bulk import") and history rows created in
    bulk, by `Workflow.apply_in_bulk` — instead of calling the lifecycle services per row, which
    would notify the bureau's reviewers about every row. The workflow's `on_change` (the search
    index) runs once for the batch.
    """
    if not achievements or status == Status.DRAFT:
        return
    now = timezone.now()
    changes = {"submitted_at": now}
    # Two log rows for publication, so the log never shows a move the lifecycle table forbids.
    steps = [(Status.DRAFT, Status.SUBMITTED, user)]
    if status == Status.PUBLISHED:
        changes |= {"published_at": now, "confirmed_at": now}
        steps.append((Status.SUBMITTED, Status.PUBLISHED, published_by or user))
    LIFECYCLE.apply_in_bulk(objects=achievements, steps=steps, changes=changes, reason=_("bulk import"), user=user)


def achievements_import_file(
    *,
    path: Path,
    organization: Organization,
    status: str = Status.SUBMITTED,
    file_format: str | None = None,
    published_by: User | None = None,
) -> ImportResult:
    """Import a file for `organization`, acting as its first administrator (see achievements_import)."""
    user = importing_user(organization)
    rows = read_rows(Path(path), file_format=file_format)
    return achievements_import(
        rows=rows, organization=organization, user=user, status=status, published_by=published_by
    )

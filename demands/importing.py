"""Bulk import of demands from JSONL, CSV or XLSX files (需求批量导入).

Staff collect enterprise demands by the thousand (demand mining campaigns, partner lists) and
load them for one enterprise with `manage.py import_demands`. The platform's columns are read:
title, summary, problem, desired_outcome, technical_indicators, demand_type (value or label),
industry_fields (codes or names), keywords, min_trl, budget_min_wan / budget_max_wan (万元) or
budget_negotiable, deadline (YYYY-MM-DD, or a date cell in a spreadsheet), cooperation_modes
(values or labels), visibility, contact_name, contact_phone, contact_email and external_ref.

Every row is created by `demand_create` (source IMPORT) in its own savepoint, so a bad row —
a deadline in the past, a lower budget above the upper one, an unknown code — is reported with
its line and the reason and the others go in. A row whose (source, external_ref) the enterprise
already has is skipped, so importing a file again changes nothing; rows without an
external_ref cannot be recognised and are created each time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from demands.enums import CooperationMode, DemandType, Source, Status, Visibility
from demands.models import Demand, DemandCooperationMode
from demands.services import LIFECYCLE, demand_create
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

# Statuses an import leaves its rows in. Drafts stay with the enterprise; the others are
# trusted loads that skip the per-row review workflow (see imported_batch_finish).
IMPORT_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.PUBLISHED)
BATCH_SIZE = 500

_NEGOTIABLE_BUDGETS = {"面议", "negotiable"}
# What collection spreadsheets write besides the choices' values and labels.
_VISIBILITY_ALIASES = {"匿名": Visibility.ANONYMOUS, "保密": Visibility.CONFIDENTIAL}
# 2026-06-30, 2026/6/30, 2026.6.30 or 2026年6月30日, with a midnight time as spreadsheets export it.
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")

DemandImportError = ImportFileError


# Turning a row into service arguments ------------------------------------------------------


def _min_trl(value, errors: dict) -> int | None:
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
    errors["min_trl"] = _("Enter the TRL as a whole number from 1 to 9.")
    return None


def _deadline(value, errors: dict) -> date | None:
    if isinstance(value, datetime):  # an XLSX date cell
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    match = _DATE.match(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    errors["deadline"] = _("Enter the deadline as a date (YYYY-MM-DD).")
    return None


def _budget(values: dict, errors: dict) -> tuple[Decimal | None, Decimal | None, bool]:
    """(budget_min, budget_max) in 元 and whether the budget is negotiable; 面议 in either
    amount column counts as negotiable."""
    negotiable = bool(cell_boolean(values.get("budget_negotiable"), errors, "budget_negotiable"))
    amounts = []
    for column, name in (("budget_min_wan", "budget_min"), ("budget_max_wan", "budget_max")):
        value = values.get(column)
        if cell_text(value).casefold() in _NEGOTIABLE_BUDGETS:
            negotiable = True
            amounts.append(None)
        else:
            message = _("Enter the budget as a number of 10,000 yuan.")
            amounts.append(cell_wan_to_yuan(value, errors, name, message))
    return amounts[0], amounts[1], negotiable


def _choice(values: dict, name: str, choices, errors: dict, message: str, aliases=None) -> str:
    text = cell_text(values.get(name))
    if not text:
        return ""
    value = cell_choice(text, choices) or (aliases or {}).get(text)
    if value is None:
        errors[name] = message % {"value": text}
        return text
    return value


def _arguments(values: dict, *, field_ids: dict[str, int], require_field: bool) -> dict:
    """The keyword arguments of `demand_create` for one row; ValidationError if the row cannot
    say what it means (unknown codes, unreadable numbers or dates). What the service checks
    itself (past deadline, budget min above max, missing fields) it reports in its own words."""
    errors: dict[str, str] = {}
    demand_type = _choice(values, "demand_type", DemandType, errors, _("Unknown demand type: %(value)s."))
    visibility = _choice(
        values, "visibility", Visibility, errors, _("Unknown visibility: %(value)s."), _VISIBILITY_ALIASES
    )
    min_trl = _min_trl(values.get("min_trl"), errors)
    budget_min, budget_max, negotiable = _budget(values, errors)
    deadline = _deadline(values.get("deadline"), errors)

    fields = cell_list(values.get("industry_fields"))
    unknown_fields = [code for code in fields if code not in field_ids]
    if unknown_fields:
        errors["industry_fields"] = _("Unknown industry field code: %(codes)s.") % {"codes": ", ".join(unknown_fields)}
    elif require_field and not fields:
        errors["industry_fields"] = _("Choose at least one industry field before submitting.")

    modes = [(text, cell_choice(text, CooperationMode)) for text in cell_list(values.get("cooperation_modes"))]
    unknown_modes = [text for text, mode in modes if mode is None]
    if unknown_modes:
        errors["cooperation_modes"] = _("Unknown cooperation mode: %(modes)s.") % {"modes": ", ".join(unknown_modes)}

    if errors:
        raise ValidationError(errors)
    return {
        "source": Source.IMPORT,
        "external_ref": cell_text(values.get("external_ref")),
        "title": cell_text(values.get("title")),
        "summary": cell_text(values.get("summary")),
        "problem": cell_text(values.get("problem")),
        "desired_outcome": cell_text(values.get("desired_outcome")),
        "technical_indicators": cell_text(values.get("technical_indicators")),
        "demand_type": demand_type,
        "visibility": visibility or Visibility.PUBLIC,
        "min_trl": min_trl,
        "budget_min": budget_min,
        "budget_max": budget_max,
        "budget_negotiable": negotiable,
        "deadline": deadline,
        "keywords": cell_list(values.get("keywords")),
        "contact_name": cell_text(values.get("contact_name")),
        "contact_phone": cell_text(values.get("contact_phone")),
        "contact_email": cell_text(values.get("contact_email")),
        "industry_fields": list(dict.fromkeys(field_ids[code] for code in fields)),
        "cooperation_modes": [mode for _text, mode in modes],
    }


def _label(name: str) -> str:
    if name == "cooperation_modes":
        return str(DemandCooperationMode._meta.verbose_name_plural)
    try:
        return str(Demand._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return name


def describe_error(error: ValidationError) -> str:
    """One line for a row's errors, with the demand's field labels."""
    return describe_rows_error(error, _label)


# Importing ---------------------------------------------------------------------------------


def demands_import(
    *,
    rows: Iterable[SourceRow],
    organization: Organization,
    user: User,
    status: str = Status.SUBMITTED,
    published_by: User | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Create the rows' demands for the enterprise `organization`, acting as `user` (one of its
    members).

    Rows go in batches; each batch is one transaction and each row a savepoint inside it, so a
    bad row is reported (line, reason) and skipped. Rows already imported, by (source,
    external_ref), are counted as unchanged. The batch's new demands are then moved to `status`
    by imported_batch_finish: TransitionLog and history rows are written, no notifications are
    sent. `published_by` is the actor logged for publication (default `user`).
    """
    if status not in IMPORT_STATUSES:
        raise ValueError(f"cannot import into status {status!r}")
    if not market_rules.is_org_member(user, organization):
        raise DemandImportError(
            _("%(user)s is not a member of %(organization)s.") % {"user": user, "organization": organization.name}
        )
    if status != Status.DRAFT and not organization.is_verified:
        raise DemandImportError(_("Only verified organizations can submit demands for publication."))
    # Rows may name a field by its code or by its Chinese name; codes win.
    field_ids = {}
    for pk, code, name in IndustryField.objects.filter(is_active=True).values_list("pk", "code", "name"):
        field_ids.setdefault(name, pk)
        field_ids[code] = pk
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
            imported_batch_finish(demands=created, status=status, user=user, published_by=published_by)
        result.created += len(created)
    result.errors.sort(key=lambda error: error[0])
    return result


def _import_batch(
    rows: list[SourceRow], *, organization, user, field_ids, require_field: bool, result: ImportResult
) -> list[Demand]:
    parsed = []
    for row in rows:
        if row.problem:
            result.errors.append((row.line, row.problem))
            continue
        try:
            parsed.append((row, _arguments(row.values, field_ids=field_ids, require_field=require_field)))
        except ValidationError as exc:
            result.errors.append((row.line, describe_error(exc)))
    # Who already holds the batch's references, in one query. The reference is unique per
    # source across enterprises (the model's constraint).
    refs = {arguments["external_ref"] for _row, arguments in parsed if arguments["external_ref"]}
    holders = dict(
        Demand.objects.filter(source=Source.IMPORT, external_ref__in=refs).values_list(
            "external_ref", "organization_id"
        )
    )
    created = []
    for row, arguments in parsed:
        ref = arguments["external_ref"]
        if ref and ref in holders:
            if holders[ref] == organization.pk:
                result.unchanged += 1
            else:
                error = ValidationError(
                    {"external_ref": _("A demand from this source already has this external reference.")}
                )
                result.errors.append((row.line, describe_error(error)))
            continue
        try:
            with transaction.atomic():
                demand = demand_create(user=user, organization=organization, **arguments)
        except ValidationError as exc:
            result.errors.append((row.line, describe_error(exc)))
            continue
        if ref:
            holders[ref] = organization.pk
        created.append(demand)
    return created


def imported_batch_finish(*, demands: list[Demand], status: str, user: User, published_by: User | None = None) -> None:
    """Everything that happens to one batch of freshly imported (draft) demands.

    Moves them to `status` in bulk — one UPDATE, TransitionLog rows (draft → submitted, and
    submitted → published for published ones, reason "bulk import") and history rows created
    in bulk, by `Workflow.apply_in_bulk` — instead of calling demand_submit and demand_publish
    per row, which would notify the bureau's reviewers and the enterprise about every row. The
    workflow's `on_change` (the search index) runs once for the batch.
    """
    if not demands or status == Status.DRAFT:
        return
    now = timezone.now()
    changes = {"submitted_at": now}
    # Two log rows for publication, so the log never shows a move the lifecycle table forbids.
    steps = [(Status.DRAFT, Status.SUBMITTED, user)]
    if status == Status.PUBLISHED:
        changes |= {"published_at": now, "confirmed_at": now}
        steps.append((Status.SUBMITTED, Status.PUBLISHED, published_by or user))
    LIFECYCLE.apply_in_bulk(objects=demands, steps=steps, changes=changes, reason=_("bulk import"), user=user)


def demands_import_file(
    *,
    path: Path,
    organization: Organization,
    status: str = Status.SUBMITTED,
    file_format: str | None = None,
    published_by: User | None = None,
) -> ImportResult:
    """Import a file for the enterprise `organization`, acting as its first administrator
    (see demands_import)."""
    user = importing_user(organization)
    rows = read_rows(Path(path), file_format=file_format)
    return demands_import(rows=rows, organization=organization, user=user, status=status, published_by=published_by)

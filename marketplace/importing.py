"""Reading spreadsheets and line files for bulk imports, shared by every app's importer.

An importer reads a file into SourceRows (JSONL, CSV or XLSX, each row with its line number),
turns each row's cells into service arguments with the helpers below, creates records through
its app's service row by row, and reports bad rows as (line, reason) in an ImportResult.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from marketplace.enums import MembershipRole
from marketplace.models import Membership, Organization, User

FORMATS = ("jsonl", "csv", "xlsx")
_FORMAT_BY_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
_SEPARATORS = re.compile(r"[,，、;；\n]+")
_YES = {"1", "true", "yes", "y", "是", "面议", "negotiable"}
_NO = {"0", "false", "no", "n", "否"}
_YUAN_PER_WAN = Decimal(10000)


class ImportFileError(Exception):
    """The import cannot run at all (unreadable file, no administrator…); nothing was created."""


@dataclass(frozen=True)
class SourceRow:
    """One row of the file: its line (JSONL line, CSV line, sheet row) and its values.

    `problem` says why the line could not be read as a row; it is reported like a bad row.
    """

    line: int
    values: dict
    problem: str = ""


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


# Reading files -----------------------------------------------------------------------------


def format_from_name(path: Path) -> str:
    try:
        return _FORMAT_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise ImportFileError(
            _("Cannot tell the format of %(name)s from its name; give the format (jsonl, csv or xlsx).")
            % {"name": path.name}
        ) from None


def read_rows(path: Path, *, file_format: str | None = None) -> list[SourceRow]:
    """Read every row of a JSONL, CSV (UTF-8, with or without BOM) or XLSX file (first sheet,
    header in the first row). The whole file is read before anything is imported, so a file
    that breaks half-way imports nothing."""
    path = Path(path)
    file_format = file_format or format_from_name(path)
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "xlsx": _read_xlsx}
    if file_format not in readers:
        raise ImportFileError(_("Unknown file format %(format)s.") % {"format": file_format})
    try:
        return list(readers[file_format](path))
    except (OSError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile, KeyError, ValueError) as exc:
        # openpyxl reports a file that is no workbook as BadZipFile, KeyError or ValueError.
        raise ImportFileError(
            _("The file %(name)s cannot be read: %(error)s") % {"name": path.name, "error": exc}
        ) from exc


def _header(name) -> str:
    return cell_text(name).lower()


def _read_jsonl(path: Path) -> Iterator[SourceRow]:
    with path.open(encoding="utf-8-sig") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                values = json.loads(text)
            except json.JSONDecodeError as exc:
                yield SourceRow(line, {}, _("This line is not valid JSON: %(error)s.") % {"error": exc.msg})
                continue
            if not isinstance(values, dict):
                yield SourceRow(line, {}, _("Each line must hold one JSON object."))
                continue
            yield SourceRow(line, {_header(name): value for name, value in values.items() if _header(name)})


def _read_csv(path: Path) -> Iterator[SourceRow]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        start = 1
        for record in reader:
            # A quoted cell may span lines: a row is reported by the line it starts on.
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [_header(cell) for cell in record]
                continue
            yield SourceRow(line, {name: cell for name, cell in zip(header, record, strict=False) if name})


def _read_xlsx(path: Path) -> Iterator[SourceRow]:
    from openpyxl import load_workbook

    # A file object, not a name: openpyxl refuses names without an Excel extension.
    with path.open("rb") as handle:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            header: list[str] | None = None
            for line, record in enumerate(workbook.worksheets[0].iter_rows(min_row=1, values_only=True), start=1):
                if not any(cell_text(value) for value in record):
                    continue
                if header is None:
                    header = [_header(value) for value in record]
                    continue
                yield SourceRow(line, {name: value for name, value in zip(header, record, strict=False) if name})
        finally:
            workbook.close()


# Cells ------------------------------------------------------------------------------------------


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets hand over whole numbers (phones, TRLs) as floats.
        value = int(value)
    return str(value).strip()


def cell_list(value) -> list[str]:
    items = value if isinstance(value, list | tuple) else _SEPARATORS.split(cell_text(value))
    return [text for text in (cell_text(item) for item in items) if text]


def cell_choice(text: str, choices) -> str | None:
    """The value of a choice given by value or by label (Chinese in the UI's language)."""
    folded = text.strip().casefold()
    for choice in choices:
        if folded in (choice.value.casefold(), str(choice.label).casefold()):
            return choice.value
    return None


def cell_boolean(value, errors: dict, name: str) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = cell_text(value).casefold()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    errors[name] = _("Enter yes or no.")
    return None


def cell_wan_to_yuan(value, errors: dict, name: str, message: str) -> Decimal | None:
    """An amount entered in 万元 → 元 (the stored unit); `message` is the error for `name`."""
    text = cell_text(value).replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        wan = Decimal(text)
        if wan.is_finite():
            return (wan * _YUAN_PER_WAN).quantize(Decimal("0.01"))
    except InvalidOperation:
        pass
    errors[name] = message
    return None


def describe_error(error: ValidationError, label) -> str:
    """One line for a row's errors: each field's label (label(name)) and its messages."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for name, messages in error.message_dict.items():
        message = " ".join(messages)
        parts.append(
            message
            if name == NON_FIELD_ERRORS
            else _("%(field)s: %(message)s") % {"field": label(name), "message": message}
        )
    return " ".join(parts)


def importing_user(organization: Organization) -> User:
    """Who the import acts as: the owner organization's first active administrator."""
    membership = (
        Membership.objects.filter(organization=organization, role=MembershipRole.ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
    )
    if membership is None:
        raise ImportFileError(
            _("%(organization)s has no administrator; add one before importing.") % {"organization": organization.name}
        )
    return membership.user

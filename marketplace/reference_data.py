"""Loaders for the reference data shipped in marketplace/data (regions, industry fields).

Used by the data migrations with historical models. Idempotent: existing rows are updated,
missing ones created, none deleted, so a later migration can load a revised file.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# Placeholder city-level names in GB/T 2260 that are left out of full names.
_PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def region_rows() -> list[list]:
    return json.loads((DATA_DIR / "regions.json").read_text(encoding="utf-8"))["rows"]


def load_regions(Region) -> int:
    """Create or update every division; returns the number of rows in the data file."""
    rows = region_rows()
    names = {code: name for code, name, _parent, _level in rows}
    existing = set(Region.objects.values_list("code", flat=True))
    to_create, to_update = [], []
    # Parents first: rows are sorted by level so foreign keys always point at saved rows.
    for code, name, parent, level in sorted(rows, key=lambda row: (row[3], row[0])):
        ancestors = [code[:2] + "0000", code[:4] + "00"][: level - 1]
        parts = [names.get(c, "") for c in ancestors if c != code]
        full_name = "".join([*(p for p in parts if p not in _PLACEHOLDER_NAMES), name])
        region = Region(code=code, name=name, parent_id=parent, level=level, full_name=full_name)
        (to_update if code in existing else to_create).append(region)
    for level in (1, 2, 3):
        Region.objects.bulk_create([r for r in to_create if r.level == level], batch_size=500)
    if to_update:
        Region.objects.bulk_update(to_update, ["name", "parent", "level", "full_name"], batch_size=500)
    return len(rows)


def industry_field_tree() -> list[dict]:
    return json.loads((DATA_DIR / "industry_fields.json").read_text(encoding="utf-8"))["fields"]


def load_industry_fields(IndustryField) -> int:
    """Create or update the seeded fields by code; returns how many the file holds."""
    count = 0
    for position, node in enumerate(industry_field_tree()):
        parent, _ = IndustryField.objects.update_or_create(
            code=node["code"], defaults={"name": node["name"], "parent": None, "position": position}
        )
        count += 1
        for child_position, child in enumerate(node.get("children", [])):
            IndustryField.objects.update_or_create(
                code=child["code"], defaults={"name": child["name"], "parent": parent, "position": child_position}
            )
            count += 1
    return count


def ensure_staff_groups(Group) -> None:
    from marketplace.enums import StaffGroup

    for value in StaffGroup.values:
        Group.objects.get_or_create(name=value)

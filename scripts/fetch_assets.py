"""Install the pinned front-end packages listed in assets.lock.json.

Standard library only, so it runs before anything else is installed. Each npm tarball is
checked against its registry integrity hash (Subresource-Integrity format) before any file
is copied; a package whose files are already present at the pinned version is skipped.
Set NPM_REGISTRY to use a mirror (the tarball path is kept).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "assets.lock.json"
TARGET = ROOT / "marketplace" / "static" / "vendor"


def tarball_url(package: dict) -> str:
    mirror = os.environ.get("NPM_REGISTRY")
    if not mirror:
        return package["tarball"]
    return mirror.rstrip("/") + urlsplit(package["tarball"]).path


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise SystemExit(f"integrity check failed for {integrity[:20]}…: got {algorithm}-{digest}")


def install(package: dict) -> None:
    destination = TARGET / package["name"]
    stamp = destination / ".version"
    if stamp.exists() and stamp.read_text().strip() == package["version"]:
        return
    url = tarball_url(package)
    print(f"fetching {package['name']}@{package['version']} from {url}")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 -- https URL from the lock file
        data = response.read()
    check_integrity(data, package["integrity"])
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for relative in package["files"]:
            member = archive.getmember(f"package/{relative}")
            content = archive.extractfile(member)
            if content is None:
                raise SystemExit(f"{relative} is not a file in {package['name']}")
            out = destination / Path(relative).name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(content.read())
    stamp.write_text(package["version"] + "\n")


def main() -> int:
    lock = json.loads(LOCK.read_text())
    for package in lock["packages"]:
        install(package)
    return 0


if __name__ == "__main__":
    sys.exit(main())

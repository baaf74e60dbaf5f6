"""The UI speaks Chinese: every message of the project is translated, and none is missing."""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(path: Path):
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [entry.msgid for entry in _entries(CATALOG) if not entry.translated()]
    fuzzy = [entry.msgid for entry in _entries(CATALOG) if "fuzzy" in entry.flags]

    assert untranslated == []
    assert fuzzy == []


def test_placeholders_survive_translation():
    import re

    placeholder = re.compile(r"%\(\w+\)s")
    for entry in _entries(CATALOG):
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for translation in translations:
            assert sorted(placeholder.findall(translation)) == sorted(placeholder.findall(entry.msgid)), entry.msgid


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"),
    reason="GNU gettext is not installed here; CI installs it and runs this check",
)
def test_the_catalog_holds_every_message_in_the_code(tmp_path):
    # makemessages always merges into the project's own locale/ (it finds it under the working
    # directory), so the committed catalogue is kept aside and put back afterwards.
    kept = tmp_path / "django.po"
    shutil.copyfile(CATALOG, kept)
    try:
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            verbosity=0,
            ignore_patterns=[".venv/*", "staticfiles/*", "media/*", "tests/*", "node_modules/*"],
        )
        extracted = {entry.msgid for entry in _entries(CATALOG)}
    finally:
        shutil.copyfile(kept, CATALOG)

    committed = {entry.msgid for entry in _entries(CATALOG)}
    assert sorted(extracted - committed) == [], "run `make messages` and translate the new messages"

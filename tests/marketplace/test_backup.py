"""`make backup` / `make restore` (marketplace/backup.py): a backup restored into a scratch database has
every table's rows, checked here with an algorithm of the test's own; the verifier catches a tampered
restore and names the table; media files come back byte for byte.

PostgreSQL only (CI's first pass): pg_dump and pg_restore run against the test database.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg2 import sql

from marketplace.backup import BackupError, Database
from marketplace.models import PrivateFile
from marketplace.services.files import private_file_store
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.demands import DemandFactory
from tests.factories.events import RegistrationFactory
from tests.factories.marketplace import UserFactory
from tests.factories.pilots import EquipmentFactory
from tests.files import pdf_upload, png_bytes, upload

TAMPERED_TABLE = "achievements_achievement"


def test_backup_refuses_sqlite_with_a_clear_message():
    with pytest.raises(BackupError) as error:
        Database.from_settings({"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"})
    assert "PostgreSQL" in str(error.value)
    assert "sqlite3 db.sqlite3" in str(error.value)
    with pytest.raises(BackupError, match="postgres://"):
        Database.parse("market_restored", default=None)
    parsed = Database.parse("postgres://ops:secret@db.example.cn:6543/market_restored", default=None)
    assert (parsed.name, parsed.host, parsed.port, parsed.user, parsed.password) == (
        "market_restored",
        "db.example.cn",
        6543,
        "ops",
        "secret",
    )
    assert "secret" not in repr(parsed.environment().get("PGDATABASE"))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite pass")
@pytest.mark.django_db
def test_backup_command_on_sqlite_says_it_needs_postgresql(tmp_path):
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("backup_database", output_dir=str(tmp_path))
    assert not list(tmp_path.iterdir())


def _connect(name: str):
    params = connection.settings_dict
    return psycopg2.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"] or "postgres",
        password=params["PASSWORD"] or None,
        dbname=name,
    )


def _independent_checksums(name: str) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row's text in sorted order — not the manifest's algorithm."""
    result = {}
    conn = _connect(name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET TimeZone = 'UTC'")
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
            )
            for (table,) in cursor.fetchall():
                cursor.execute(
                    sql.SQL(
                        "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text COLLATE \"C\"), '')) "
                        "FROM {} t"
                    ).format(sql.Identifier("public", table))
                )
                result[table] = cursor.fetchone()
        conn.rollback()
    finally:
        conn.close()
    return result


def _drop(name: str) -> None:
    conn = _connect("postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        conn.close()


def _media_path(private_file) -> str:
    return Path(private_file.file.path).relative_to(settings.MEDIA_ROOT).as_posix()


def _data() -> dict:
    """Rows in several apps, Chinese text, a file of each kind on disk."""
    uploader = UserFactory(username="uploader")
    achievements = AchievementFactory.create_batch(3)
    AchievementFactory(draft=True, title="草稿：海水淡化反渗透膜")
    demands = DemandFactory.create_batch(2)
    RegistrationFactory.create_batch(2)
    BrokerProfileFactory()
    EquipmentFactory()
    pdf = private_file_store(
        uploaded=pdf_upload("成果证明.pdf"), uploaded_by=uploader, organization=achievements[0].organization
    )
    png = private_file_store(
        uploaded=upload("样品照片.png", png_bytes((32, 16)), "image/png"),
        uploaded_by=uploader,
        organization=demands[0].organization,
    )
    return {"files": [pdf, png]}


@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL")
def test_backup_restores_into_a_scratch_database_and_the_verifier_catches_tampering(tmp_path):
    data = _data()
    source = connection.settings_dict["NAME"]
    scratch = f"market_ops_restore_{uuid.uuid4().hex[:10]}"
    backups = tmp_path / "backups"
    restored_media = tmp_path / "restored-media"
    try:
        call_command("backup_database", output_dir=str(backups))
        (dump,) = backups.glob("market-*.dump")
        manifest = json.loads(dump.with_suffix(".json").read_text(encoding="utf-8"))
        assert (backups / f"{dump.stem}.media.tar").is_file()

        # The manifest covers every table of the source, with its true row count.
        source_sums = _independent_checksums(source)
        assert set(manifest["tables"]) == set(source_sums)
        for table, (rows, _) in source_sums.items():
            assert manifest["tables"][table]["rows"] == rows, table
        for table in (
            "achievements_achievement",
            "demands_demand",
            "events_registration",
            "brokers_brokerprofile",
            "pilots_equipment",
            "marketplace_privatefile",
            "marketplace_searchdocument",
        ):
            assert source_sums[table][0] > 0, table
        assert "0001_initial" in manifest["migrations"]["achievements"]
        assert manifest["database"]["name"] == source
        listed = {entry["path"]: entry for entry in manifest["media"]["files"]}
        for private_file in data["files"]:
            assert listed[_media_path(private_file)]["sha256"] == private_file.sha256

        call_command("restore_database", str(dump), target=scratch, media_root=str(restored_media))

        # Every table, every row: the test's own checksum agrees between source and scratch.
        scratch_sums = _independent_checksums(scratch)
        assert scratch_sums == source_sums
        # The media files are back, byte for byte.
        assert PrivateFile.objects.count() == 2
        for private_file in PrivateFile.objects.all():
            restored = restored_media / _media_path(private_file)
            assert restored.read_bytes() == Path(private_file.file.path).read_bytes()

        # A non-empty target is refused without --force.
        with pytest.raises(CommandError, match="not empty"):
            call_command("restore_database", str(dump), target=scratch, media_root=str(restored_media))
        call_command("restore_database", str(dump), target=scratch, verify_only=True)

        # One changed row in the scratch: the verifier fails and names the table.
        conn = _connect(scratch)
        with conn, conn.cursor() as cursor:
            cursor.execute(
                sql.SQL("UPDATE {} SET title = title || '（篡改）' WHERE id = (SELECT min(id) FROM {})").format(
                    sql.Identifier(TAMPERED_TABLE), sql.Identifier(TAMPERED_TABLE)
                )
            )
            assert cursor.rowcount == 1
        conn.close()
        with pytest.raises(CommandError) as error:
            call_command("restore_database", str(dump), target=scratch, verify_only=True)
        message = str(error.value)
        assert TAMPERED_TABLE in message
        assert "checksum" in message
        assert "demands_demand" not in message

        # A deleted row is a row-count mismatch, named as such.
        conn = _connect(scratch)
        with conn, conn.cursor() as cursor:
            cursor.execute("DELETE FROM events_registration WHERE id = (SELECT max(id) FROM events_registration)")
        conn.close()
        with pytest.raises(CommandError) as error:
            call_command("restore_database", str(dump), target=scratch, verify_only=True)
        assert "events_registration" in str(error.value)
        assert f"{source_sums['events_registration'][0] - 1} rows" in str(error.value)

        # --force replaces the tampered database, and the restore verifies again.
        call_command("restore_database", str(dump), target=scratch, media_root=str(restored_media), force=True)
        assert _independent_checksums(scratch) == source_sums

        # A damaged dump is refused before anything is restored.
        damaged = backups / "damaged.dump"
        damaged.write_bytes(dump.read_bytes()[:-16] + b"\0" * 16)
        damaged.with_suffix(".json").write_text(json.dumps({**manifest, "dump": damaged.name}), encoding="utf-8")
        with pytest.raises(CommandError, match="SHA-256"):
            call_command("restore_database", str(damaged), target=f"{scratch}_never", no_media=True)
    finally:
        _drop(scratch)
        _drop(f"{scratch}_never")

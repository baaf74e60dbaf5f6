"""Backups of the database and the uploaded files, and their verified restore (`make backup`, `make restore`).

A backup is three files side by side in BACKUP_DIR:

- `market-<Asia/Shanghai time>.dump`: `pg_dump --format=custom` of the database;
- `market-<…>.media.tar`: every file under MEDIA_ROOT (uploads are already compressed PDFs and images,
  so the archive is not gzipped);
- `market-<…>.json`: the manifest — for every table of the public schema its row count and a checksum,
  every sequence's position, the applied migrations, the database's encoding and locale, the dump's and
  the archive's SHA-256, and every media file with its size and SHA-256.

The manifest and the dump describe the same moment: a read-only REPEATABLE READ transaction exports its
snapshot, `pg_dump --snapshot` dumps exactly that snapshot while the checksums are computed inside the
transaction. The media archive is written after the snapshot, so every file a dumped row refers to is in
it (files are never changed in place: each upload has its own UUID name).

Table checksums are computed by PostgreSQL in one streaming pass, in constant memory whatever the size of
the table: md5 of each row's text, the two 64-bit halves of those hashes summed as exact numerics (an
order-independent multiset hash, so no sort and no 1 GB string aggregate), and the md5 of
"rows:sum1:sum2". The row text is made session-independent first (UTC, ISO dates, fixed float digits).
It detects any changed, missing or extra row; it is not a signature against a deliberate forger — the
manifest records the dump's SHA-256 for that, checked before a restore.

Only PostgreSQL is supported: SQLite is the development database (copy `db.sqlite3` with
`sqlite3 db.sqlite3 ".backup copy.sqlite3"` if a development database is worth keeping).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import environ
import psycopg2
from psycopg2 import extensions, sql

MANIFEST_FORMAT = 1
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHUNK = 1024 * 1024
# Settings that make `row::text` the same in every session (timestamptz follows TimeZone, dates DateStyle).
STABLE_TEXT_SETTINGS = (
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why in Chinese and English."""


@dataclass(frozen=True)
class Database:
    """Where a PostgreSQL database is (no password in logs or on command lines)."""

    name: str
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict) -> Database:
        engine = settings_dict.get("ENGINE", "")
        if "postgresql" not in engine and "postgis" not in engine:
            raise BackupError(
                "备份与恢复需要 PostgreSQL（设置 DATABASE_URL=postgres://…）。 / Backup and restore need PostgreSQL "
                f"(DATABASE_URL=postgres://…); this database is {engine or 'unknown'}. SQLite is the development "
                'database: copy it with `sqlite3 db.sqlite3 ".backup copy.sqlite3"`.'
            )
        return cls(
            name=settings_dict["NAME"],
            host=settings_dict.get("HOST") or "127.0.0.1",
            port=int(settings_dict.get("PORT") or 5432),
            user=settings_dict.get("USER") or "postgres",
            password=settings_dict.get("PASSWORD") or "",
        )

    @classmethod
    def parse(cls, target: str, default: Database | None) -> Database:
        """A postgres:// URL, or a bare database name on the server of `default`."""
        if "://" in target:
            return cls.from_settings(environ.Env.db_url_config(target))
        if default is None:
            raise BackupError(
                f"目标 {target} 不是完整的 postgres:// 地址。 / The target {target!r} is a bare name but the "
                "configured database is not PostgreSQL: give a full postgres://user@host:port/name URL."
            )
        return cls(name=target, host=default.host, port=default.port, user=default.user, password=default.password)

    def connect(self, dbname: str | None = None):
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname or self.name,
            application_name="market-backup",
        )

    def environment(self) -> dict[str, str]:
        """libpq variables for pg_dump and pg_restore (the password never appears in `ps`)."""
        env = {
            **os.environ,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGDATABASE": self.name,
        }
        env.pop("PGOPTIONS", None)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def postgres_tool(name: str) -> str:
    """pg_dump / pg_restore: PG_BIN_DIR, then PATH, then the newest Debian cluster binaries."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(os.environ["PG_BIN_DIR"]) / name)
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        f"找不到 {name}。 / {name} was not found: install the PostgreSQL client (Debian postgresql-client-15) "
        "or set PG_BIN_DIR."
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- what the manifest records ---------------------------------------------------------------


def _stable(cursor) -> None:
    for statement in STABLE_TEXT_SETTINGS:
        cursor.execute(statement)


def public_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [row[0] for row in cursor.fetchall()]


def table_checksum(cursor, table: str) -> dict:
    """Row count and order-independent checksum of one table, computed by the server in one pass."""
    cursor.execute(
        sql.SQL(
            "SELECT count(*), "
            "coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0), "
            "coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0) "
            "FROM (SELECT md5(t::text) AS h FROM {} AS t) AS hashed"
        ).format(sql.Identifier("public", table))
    )
    rows, first, second = cursor.fetchone()
    checksum = hashlib.md5(f"{rows}:{first}:{second}".encode(), usedforsecurity=False).hexdigest()
    return {"rows": rows, "checksum": checksum}


def table_checksums(cursor) -> dict[str, dict]:
    _stable(cursor)
    return {table: table_checksum(cursor, table) for table in public_tables(cursor)}


def sequence_positions(cursor) -> dict[str, dict]:
    """Each column sequence (serial or identity): its position and the largest value in its column.

    Sequences are not transactional, so a backup of a live site may read a position ahead of the
    snapshot's rows; what a restore must keep is that no sequence is behind its column (the next insert
    would collide), which `behind` records for the source."""
    cursor.execute(
        "SELECT s.relname, t.relname, a.attname, ps.last_value "
        "FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace "
        "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
        "JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = s.relname "
        "WHERE s.relkind = 'S' AND n.nspname = 'public' ORDER BY s.relname"
    )
    positions = {}
    for sequence, table, column, last_value in cursor.fetchall():
        cursor.execute(
            sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(column), sql.Identifier("public", table))
        )
        column_max = cursor.fetchone()[0]
        positions[sequence] = {
            "table": table,
            "column": column,
            "last_value": last_value,
            "column_max": column_max,
            "behind": column_max is not None and (last_value is None or last_value < column_max),
        }
    return positions


def applied_migrations(cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(app, []).append(name)
    return migrations


def database_facts(cursor) -> dict:
    cursor.execute(
        "SELECT current_database(), pg_encoding_to_char(encoding), datcollate, datctype, "
        "current_setting('server_version') FROM pg_database WHERE datname = current_database()"
    )
    name, encoding, collate, ctype, version = cursor.fetchone()
    cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
    return {
        "name": name,
        "encoding": encoding,
        "lc_collate": collate,
        "lc_ctype": ctype,
        "server_version": version,
        "extensions": [row[0] for row in cursor.fetchall()],
    }


def media_listing(root: Path) -> list[dict]:
    if not root.is_dir():
        return []
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        files.append(
            {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": sha256_file(path)}
        )
    return files


# -- backup -----------------------------------------------------------------------------------


def _backup_stem(directory: Path, now: datetime) -> str:
    stem = f"market-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}"
    candidate, n = stem, 1
    while any((directory / f"{candidate}{suffix}").exists() for suffix in (".dump", ".json", ".media.tar")):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def backup(database: Database, directory: Path, media_root: Path | None, *, now: datetime, log=print) -> Path:
    """Dump `database` and the media files into `directory`; returns the manifest's path."""
    pg_dump = postgres_tool("pg_dump")
    directory.mkdir(parents=True, exist_ok=True)
    # The dump holds every person's data, password hashes and second-factor keys: owner only.
    directory.chmod(0o700)
    previous_umask = os.umask(0o077)
    try:
        return _backup(pg_dump, database, directory, media_root, now=now, log=log)
    finally:
        os.umask(previous_umask)


def _backup(pg_dump, database: Database, directory: Path, media_root: Path | None, *, now: datetime, log) -> Path:
    stem = _backup_stem(directory, now)
    dump_path = directory / f"{stem}.dump"
    manifest_path = directory / f"{stem}.json"
    connection = database.connect()
    try:
        connection.set_session(isolation_level=extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            log(f"pg_dump {database.name} → {dump_path}")
            result = subprocess.run(  # noqa: S603 (fixed argument list, no shell)
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump_path}", database.name],
                env=database.environment(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                dump_path.unlink(missing_ok=True)
                raise BackupError(f"pg_dump 失败 / pg_dump failed ({result.returncode}): {result.stderr.strip()}")
            facts = database_facts(cursor)
            tables = table_checksums(cursor)
            sequences = sequence_positions(cursor)
            migrations = applied_migrations(cursor)
        connection.rollback()
    finally:
        connection.close()

    media = None
    if media_root is not None:
        files = media_listing(media_root)
        archive = directory / f"{stem}.media.tar"
        with tarfile.open(archive, "w") as tar:
            for entry in files:
                tar.add(media_root / entry["path"], arcname=entry["path"], recursive=False)
        media = {
            "archive": archive.name,
            "archive_sha256": sha256_file(archive),
            "root": str(media_root),
            "files": files,
        }
        log(f"media: {len(files)} files → {archive}")

    manifest = {
        "format": MANIFEST_FORMAT,
        "created_at": now.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "dump": dump_path.name,
        "dump_bytes": dump_path.stat().st_size,
        "dump_sha256": sha256_file(dump_path),
        "database": facts,
        "tables": tables,
        "sequences": sequences,
        "migrations": migrations,
        "media": media,
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"manifest: {len(tables)} tables, {sum(t['rows'] for t in tables.values())} rows → {manifest_path}")
    return manifest_path


# -- restore ----------------------------------------------------------------------------------


def manifest_for(dump: Path) -> tuple[Path, dict]:
    path = dump.with_suffix(".json") if dump.suffix == ".dump" else dump
    if not path.is_file():
        raise BackupError(f"找不到清单 {path}。 / The manifest {path} is missing (it is written beside the dump).")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"清单格式不支持 / Unsupported manifest format: {manifest.get('format')!r}")
    return path, manifest


def _database_exists(maintenance, name: str) -> bool:
    with maintenance.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _is_empty(database: Database) -> bool:
    connection = database.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
                "AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname NOT LIKE 'pg_toast_temp%%' "
                "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                # tables of extensions (none of ours have any) do not make a database non-empty
                "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
            )
            return cursor.fetchone()[0] == 0
    finally:
        connection.close()


def prepare_target(target: Database, manifest: dict, *, force: bool, log=print) -> None:
    """Create the target database (the source's encoding and locale) or check that it is empty."""
    maintenance = target.connect(dbname="postgres")
    maintenance.autocommit = True
    try:
        exists = _database_exists(maintenance, target.name)
        if exists and not _is_empty(target):
            if not force:
                raise BackupError(
                    f"目标数据库 {target.name} 不是空的，拒绝覆盖（确需覆盖请加 --force）。 / The target database "
                    f"{target.name} is not empty; refusing to overwrite it (--force drops and recreates it)."
                )
            log(f"--force: dropping {target.name}")
            with maintenance.cursor() as cursor:
                cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(target.name)))
            exists = False
        if not exists:
            facts = manifest["database"]
            with maintenance.cursor() as cursor:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
                        sql.Identifier(target.name),
                        sql.Literal(facts.get("encoding") or "UTF8"),
                        sql.Literal(facts.get("lc_collate") or "C.UTF-8"),
                        sql.Literal(facts.get("lc_ctype") or "C.UTF-8"),
                    )
                )
            log(f"created {target.name} ({facts.get('encoding')}, LC_CTYPE {facts.get('lc_ctype')})")
    finally:
        maintenance.close()


def verify_database(target: Database, manifest: dict) -> list[str]:
    """Every difference between the target and the manifest, one line each, naming the table."""
    problems: list[str] = []
    connection = target.connect()
    try:
        connection.set_session(isolation_level=extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        with connection.cursor() as cursor:
            actual = table_checksums(cursor)
            sequences = sequence_positions(cursor)
            migrations = applied_migrations(cursor)
        connection.rollback()
    finally:
        connection.close()
    expected = manifest["tables"]
    for table in sorted(set(expected) | set(actual)):
        want, have = expected.get(table), actual.get(table)
        if have is None:
            problems.append(f"表 {table} 缺失 / table {table} is missing")
        elif want is None:
            problems.append(f"表 {table} 不在备份中 / table {table} is not in the backup")
        elif want["rows"] != have["rows"]:
            problems.append(f"表 {table} 行数不符 / table {table}: {have['rows']} rows, the backup has {want['rows']}")
        elif want["checksum"] != have["checksum"]:
            problems.append(
                f"表 {table} 校验和不符 / table {table}: checksum {have['checksum']} differs from the backup's "
                f"{want['checksum']} (same {have['rows']} rows, changed content)"
            )
    for name, want in manifest.get("sequences", {}).items():
        have = sequences.get(name)
        if have is None:
            problems.append(f"序列 {name} 缺失 / sequence {name} is missing")
        elif have["behind"] and not want["behind"]:
            problems.append(
                f"序列 {name} 落后于表 {have['table']} / sequence {name} is at {have['last_value']}, behind "
                f"{have['table']}.{have['column']} = {have['column_max']}: the next insert would collide"
            )
    if migrations != manifest.get("migrations", {}):
        problems.append("迁移记录不符 / the applied migrations (django_migrations) differ from the backup's")
    return problems


def restore_media(manifest: dict, directory: Path, media_root: Path, *, force: bool, log=print) -> list[str]:
    """Extract the media archive into `media_root`, then check every file; returns the problems."""
    media = manifest.get("media")
    if not media:
        log("media: none in this backup")
        return []
    archive = directory / media["archive"]
    if not archive.is_file():
        return [f"媒体归档缺失 / the media archive {archive} is missing"]
    if sha256_file(archive) != media["archive_sha256"]:
        return [f"媒体归档已损坏 / the media archive {archive} does not match its SHA-256 in the manifest"]
    conflicts = [
        entry["path"]
        for entry in media["files"]
        if (media_root / entry["path"]).is_file() and sha256_file(media_root / entry["path"]) != entry["sha256"]
    ]
    if conflicts and not force:
        raise BackupError(
            f"媒体目录 {media_root} 中有 {len(conflicts)} 个同名但内容不同的文件，拒绝覆盖（--force 覆盖）。 / "
            f"{len(conflicts)} files in {media_root} differ from the backup's (first: {conflicts[0]}); "
            "refusing to overwrite them without --force."
        )
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r") as tar:
        tar.extractall(media_root, filter="data")
    problems = []
    for entry in media["files"]:
        path = media_root / entry["path"]
        if not path.is_file():
            problems.append(f"媒体文件缺失 / media file {entry['path']} is missing")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"媒体文件不符 / media file {entry['path']} differs from the backup")
    log(f"media: {len(media['files'])} files → {media_root}")
    return problems


def restore(dump: Path, target: Database, *, media_root: Path | None, force: bool, log=print) -> tuple[dict, list[str]]:
    """Restore the dump into `target` (created when missing), then verify; returns (manifest, problems)."""
    _, manifest = manifest_for(dump)
    dump_path = dump if dump.suffix == ".dump" else dump.parent / manifest["dump"]
    if not dump_path.is_file():
        raise BackupError(f"找不到备份文件 / The dump {dump_path} is missing.")
    if sha256_file(dump_path) != manifest["dump_sha256"]:
        raise BackupError(f"备份文件已损坏 / The dump {dump_path} does not match its SHA-256 in the manifest.")
    pg_restore = postgres_tool("pg_restore")
    prepare_target(target, manifest, force=force, log=log)
    log(f"pg_restore {dump_path} → {target.name}")
    result = subprocess.run(  # noqa: S603 (fixed argument list, no shell)
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={target.name}",
            str(dump_path),
        ],
        env=target.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败 / pg_restore failed ({result.returncode}): {result.stderr.strip()}")
    problems = verify_database(target, manifest)
    if media_root is not None:
        problems += restore_media(manifest, dump_path.parent, media_root, force=force, log=log)
    return manifest, problems

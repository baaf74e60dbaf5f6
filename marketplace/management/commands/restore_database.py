"""Restore a backup of `backup_database` into a database, then verify it table by table.

    manage.py restore_database backups/market-20261125-080000.dump --target market_restored [--force]
    manage.py restore_database backups/market-….dump --target postgres://user@host:5432/name --verify-only

The target is a postgres:// URL or a database name on the configured server. A missing target is
created with the backup's encoding and locale; a non-empty one is refused unless --force (which drops
and recreates it). After `pg_restore --no-owner --no-privileges --exit-on-error --single-transaction`
every table's row count and checksum is compared with the manifest, and the media files are extracted
into --media-root (default MEDIA_ROOT) and checked by SHA-256. Any difference fails the command,
naming the table or file. --verify-only compares an existing database with the manifest and restores
nothing.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from marketplace.backup import BackupError, Database, manifest_for, restore, verify_database


class Command(BaseCommand):
    help = "Restore a backup_database dump into --target and verify every table (and the media) against its manifest."

    def add_arguments(self, parser):
        parser.add_argument("dump", help="The .dump file (its .json manifest and .media.tar lie beside it).")
        parser.add_argument("--target", required=True, help="postgres:// URL, or a database name on the same server.")
        parser.add_argument(
            "--force", action="store_true", help="Drop and recreate a non-empty target; overwrite media."
        )
        parser.add_argument("--media-root", help="Where to restore the media files (default: settings.MEDIA_ROOT).")
        parser.add_argument("--no-media", action="store_true", help="Restore the database only.")
        parser.add_argument("--verify-only", action="store_true", help="Compare the target with the manifest only.")

    def handle(self, *args, **options):
        dump = Path(options["dump"])
        try:
            try:
                default = Database.from_settings(connections["default"].settings_dict)
            except BackupError:
                default = None
            target = Database.parse(options["target"], default)
            if options["verify_only"]:
                _, manifest = manifest_for(dump)
                problems = verify_database(target, manifest)
            else:
                media_root = None if options["no_media"] else Path(options["media_root"] or settings.MEDIA_ROOT)
                manifest, problems = restore(
                    dump, target, media_root=media_root, force=options["force"], log=self.stdout.write
                )
        except BackupError as error:
            raise CommandError(str(error)) from error
        if problems:
            raise CommandError(
                f"校验失败：{target.name} 与备份不一致（{len(problems)} 处）。 / Verification failed: {target.name} "
                f"differs from the backup in {len(problems)} place(s):\n" + "\n".join(problems)
            )
        tables = manifest["tables"]
        self.stdout.write(
            self.style.SUCCESS(
                f"校验通过 / verified: {target.name} matches the backup ({len(tables)} tables, "
                f"{sum(t['rows'] for t in tables.values())} rows)"
            )
        )

"""Back up the database (pg_dump custom format) and the uploaded files, with a verification manifest.

    manage.py backup_database [--output-dir DIR] [--no-media]

Writes `market-<Asia/Shanghai time>.dump`, `.media.tar` and `.json` into BACKUP_DIR (`backups/` by
default); `marketplace/backup.py` explains the manifest and its checksums. PostgreSQL only.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from marketplace.backup import BackupError, Database, backup


class Command(BaseCommand):
    help = "pg_dump the database (custom format) and tar the media files into BACKUP_DIR, with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", help="Where to write the backup (default: settings.BACKUP_DIR).")
        parser.add_argument("--database", default="default", help="Django database alias.")
        parser.add_argument("--no-media", action="store_true", help="Leave the media files out.")

    def handle(self, *args, **options):
        directory = Path(options["output_dir"] or getattr(settings, "BACKUP_DIR", Path(settings.BASE_DIR) / "backups"))
        media_root = None if options["no_media"] else Path(settings.MEDIA_ROOT)
        try:
            database = Database.from_settings(connections[options["database"]].settings_dict)
            manifest = backup(database, directory, media_root, now=timezone.now(), log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"备份完成 / backup written: {manifest.with_suffix('.dump')}"))
        self.stdout.write(str(manifest))

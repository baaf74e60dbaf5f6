"""Bulk-load achievements from a JSONL, CSV or XLSX file for one owner organization."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from achievements.enums import Status
from achievements.importing import AchievementImportError, achievements_import_file
from marketplace.importing import FORMATS
from marketplace.models import Organization
from marketplace.validators import normalize_uscc


class Command(BaseCommand):
    help = (
        "Import achievements from FILE (the CSL sample's JSONL or the platform's columns in CSV/XLSX) for the "
        "organization given by --owner. Rows the owner already has (same source and external_ref) are skipped; "
        "bad rows are reported by line and do not stop the others."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .jsonl, .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--owner", required=True, help="the owner organization's unified social credit code or exact name"
        )
        parser.add_argument(
            "--status",
            choices=[Status.SUBMITTED.value, Status.PUBLISHED.value],
            default=Status.SUBMITTED.value,
            help="submitted (for the bureau's review, the default) or published (trusted loads by staff)",
        )
        parser.add_argument("--format", dest="file_format", choices=FORMATS, help="default: from the file name")

    def handle(self, *args, file, owner, status, file_format, **options):
        organization = Organization.objects.filter(Q(uscc=normalize_uscc(owner)) | Q(name=owner.strip())).first()
        if organization is None:
            raise CommandError(f"Unknown organization {owner!r}: give its unified social credit code or exact name.")
        try:
            result = achievements_import_file(
                path=Path(file), organization=organization, status=status, file_format=file_format
            )
        except AchievementImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{organization.name}: created {result.created}, unchanged {result.unchanged}, "
            f"bad rows {len(result.errors)}"
        )
        for line, message in result.errors:
            self.stdout.write(f"line {line}: {message}")

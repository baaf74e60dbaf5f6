"""Bulk-load demands from a JSONL, CSV or XLSX file for one enterprise."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from demands.enums import Status
from demands.importing import IMPORT_STATUSES, DemandImportError, demands_import_file
from marketplace.importing import FORMATS
from marketplace.models import Organization
from marketplace.validators import normalize_uscc


class Command(BaseCommand):
    help = (
        "Import demands from FILE (the platform's columns in JSONL, CSV or XLSX) for the enterprise given by "
        "--owner. Rows already imported (same external_ref) are skipped; bad rows are reported by line and do not "
        "stop the others."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .jsonl, .csv (UTF-8) or .xlsx file")
        parser.add_argument("--owner", required=True, help="the enterprise's unified social credit code or exact name")
        parser.add_argument(
            "--status",
            choices=[status.value for status in IMPORT_STATUSES],
            default=Status.SUBMITTED.value,
            help="draft (left with the enterprise), submitted (for the bureau's review, the default) or published "
            "(trusted loads by staff)",
        )
        parser.add_argument("--format", dest="file_format", choices=FORMATS, help="default: from the file name")

    def handle(self, *args, file, owner, status, file_format, **options):
        organization = Organization.objects.filter(Q(uscc=normalize_uscc(owner)) | Q(name=owner.strip())).first()
        if organization is None:
            raise CommandError(f"Unknown organization {owner!r}: give its unified social credit code or exact name.")
        try:
            result = demands_import_file(
                path=Path(file), organization=organization, status=status, file_format=file_format
            )
        except DemandImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{organization.name}: created {result.created}, unchanged {result.unchanged}, "
            f"bad rows {len(result.errors)}"
        )
        for line, message in result.errors:
            self.stdout.write(f"line {line}: {message}")

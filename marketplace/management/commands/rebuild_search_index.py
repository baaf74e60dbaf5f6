"""Rewrite the search index from the listings (after a dictionary change, a restore, a bulk load)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from marketplace import search
from marketplace.search import schema


class Command(BaseCommand):
    help = "Rebuild the search documents of every public listing, in batches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", action="append", help="Only this kind (repeatable): " + ", ".join(search.adapters())
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--workers", type=int, default=1, help="Processes that segment and write batches.")
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Bulk load: empty the index of these kinds, insert, then build the ranking indexes "
            "(searches find fewer results until it ends).",
        )
        parser.add_argument(
            "--indexes",
            action="store_true",
            help="First (re)create the database's search index objects; switches GIN to RUM once the extension is installed.",
        )

    def handle(self, *args, kind=None, batch_size=1000, indexes=False, workers=1, fresh=False, verbosity=1, **options):
        unknown = set(kind or ()) - set(search.adapters())
        if unknown:
            raise CommandError(f"Unknown kind: {', '.join(sorted(unknown))}. Known: {', '.join(search.adapters())}.")
        if batch_size < 1:
            raise CommandError("--batch-size must be positive.")
        if indexes:
            self.stdout.write(f"search index: {schema.install(connection)}")
        started = time.perf_counter()
        last = [started]

        def progress(kind_name, total):
            now = time.perf_counter()
            if verbosity > 1 or now - last[0] > 5:
                self.stdout.write(f"  {kind_name}: {total} documents, {total / (now - started):.0f}/s")
                last[0] = now

        total = search.rebuild(kind, batch_size=batch_size, progress=progress, fresh=fresh, workers=max(1, workers))
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Indexed {total} documents in {elapsed:.1f} s ({total / max(elapsed, 1e-9):.0f}/s).")
        )

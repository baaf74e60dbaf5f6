"""Recompute stored matches (the nightly Celery job, run by hand)."""

import time

from django.core.management.base import BaseCommand

from marketplace.services.matching import recompute_all


class Command(BaseCommand):
    help = (
        "Recount the corpus statistics, then recompute the matches of every public demand (and, with "
        "--achievements, of every public achievement); each pair found joins the other side's list too."
    )

    def add_arguments(self, parser):
        parser.add_argument("--achievements", action="store_true", help="Also rank demands for every achievement.")
        parser.add_argument("--keep-statistics", action="store_true", help="Do not recount the corpus statistics.")

    def handle(self, *args, **options):
        kinds = ["demand", "achievement"] if options["achievements"] else ["demand"]
        started = time.perf_counter()
        last = [started]

        def progress(kind, count):
            if time.perf_counter() - last[0] > 10:
                last[0] = time.perf_counter()
                self.stdout.write(f"  {kind}: {count}")

        done = recompute_all(kinds=kinds, refresh_statistics=not options["keep_statistics"], progress=progress)
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{kind} {count}" for kind, count in done.items())
        self.stdout.write(self.style.SUCCESS(f"Matches recomputed: {summary} in {elapsed:.1f} s."))

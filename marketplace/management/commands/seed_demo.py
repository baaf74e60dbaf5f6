"""Load the demo data (idempotent) and print the demo log-ins."""

from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from marketplace.demo import DEMO_PASSWORD
from marketplace.services.matching import deferred as matching_deferred

# Each app adds its step; a step returns lines to print.
STEPS = [
    "marketplace.demo.seed_parties",
    "achievements.demo.seed_achievements",
    "achievements.demo.seed_showcase",
    "achievements.demo.seed_evaluations",
    "demands.demo.seed_demands",
    "demands.demo_challenges.seed_challenges",
    "marketplace.demo_deals.seed_deals",
    "brokers.demo.seed_brokers",
    "brokers.demo.seed_broker_programme",
    "marketplace.demo.seed_partners",
    "achievements.demo_featured.seed_featured",
    "pilots.demo.seed_pilots",
    "events.demo.seed_events",
    "marketplace.demo.seed_targets",
    "marketplace.demo.seed_search",  # indexes everything seeded before
    "marketplace.demo.seed_matches",  # last: matches over the whole index
]


class Command(BaseCommand):
    help = "Create the demo organizations, users and listings (safe to run again)."

    def handle(self, *args, **options):
        lines = []
        # The demo's notification mails go to made-up addresses: keep them off the console.
        # Matches are computed once at the end, not after each listing the steps publish.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), matching_deferred():
            for step in STEPS:
                lines.extend(import_string(step)() or [])
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/accounts/login/"))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for line in lines:
            self.stdout.write(line)

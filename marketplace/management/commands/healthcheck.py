"""Exit 0 when database, cache and broker answer (the compose beat/worker health check)."""

import json

from django.core.management.base import BaseCommand, CommandError

from marketplace.health import service_status


class Command(BaseCommand):
    help = "Check the database, cache and Celery broker; exit non-zero if one is down."

    def handle(self, *args, **options):
        healthy, checks = service_status()
        self.stdout.write(json.dumps(checks))
        if not healthy:
            raise CommandError("unhealthy")

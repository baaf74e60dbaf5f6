"""Run a featured-achievements digest period by hand: plan it and send it in this process."""

import os
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from achievements.enums import DigestFrequency
from achievements.services_digest import digest_plan, digest_send_all, digest_sweep


class Command(BaseCommand):
    help = (
        "Plan the digest of a period (idempotent: a period planned before gains only new subscribers) and "
        "send what is due over SMTP (EMAIL_URL). Without --frequency both the weekly and the monthly digest run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--frequency", choices=DigestFrequency.values, help="weekly or monthly")
        parser.add_argument("--date", help="the run's date, YYYY-MM-DD (default: today, Asia/Shanghai)")
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, frequency=None, date=None, batch_size=200, **options):
        try:
            day = _parse(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        swept = digest_sweep()
        if any(swept.values()):
            self.stdout.write(f"swept: {swept['requeued']} claims back to the queue, {swept['ambiguous']} ambiguous")
        for name in [frequency] if frequency else DigestFrequency.values:
            period, queued = digest_plan(frequency=name, day=day)
            self.stdout.write(f"{period.key}: {queued} deliveries queued")
        worker = f"send_digests:{os.getpid()}:{timezone.now():%Y%m%dT%H%M%S.%f}"
        totals = digest_send_all(worker=worker, batch_size=batch_size)
        self.stdout.write(
            self.style.SUCCESS(
                "sent {sent}, to retry later {retry}, failed {failed}, ambiguous {ambiguous}".format(**totals)
            )
        )


def _parse(value: str) -> date:
    return date.fromisoformat(value)

"""Create a partner system's API credentials: its organization (reused when it exists) and an
OAuth2 client-credentials application with the scopes given. Prints client_id and client_secret
(the secret is shown only here; the database keeps its hash). Run again for the same application
name, it rotates the secret and sets the scopes."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from marketplace.models import PartnerApplication
from marketplace.scopes import SCOPES
from marketplace.services.partners import (
    partner_application_create,
    partner_application_rotate,
    partner_application_set_scopes,
    partner_organization,
)


class Command(BaseCommand):
    help = "Create (or reuse) a partner organization and an OAuth2 application; print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The partner system's name, e.g. 山东科技大市场")
        parser.add_argument("--uscc", default="", help="Its unified social credit code")
        parser.add_argument("--scopes", required=True, help=f"Space-separated scopes, from: {' '.join(SCOPES)}")
        parser.add_argument("--application", default="", help="Application name (default: '<name> API')")
        parser.add_argument(
            "--publishes-directly",
            action="store_true",
            help="Listings it sends as published go on the market without the bureau's review",
        )

    @transaction.atomic
    def handle(self, *args, name, uscc, scopes, application, publishes_directly, **options):
        application_name = application or f"{name} API"
        try:
            organization = partner_organization(name=name, uscc=uscc)
            existing = (
                PartnerApplication.objects.select_related("application")
                .filter(organization=organization, application__name=application_name, revoked_at__isnull=True)
                .first()
            )
            if existing is None:
                credentials = partner_application_create(
                    organization=organization, name=application_name, scopes=scopes
                )
                verb = "Created"
            else:
                partner_application_set_scopes(partner_application=existing, scopes=scopes)
                credentials = partner_application_rotate(partner_application=existing)
                verb = "Rotated the secret of"
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        partner_application = credentials.partner_application
        if publishes_directly != partner_application.publishes_directly:
            partner_application.publishes_directly = publishes_directly
            partner_application.save(update_fields=["publishes_directly", "updated_at"])
        self.stdout.write(f"{verb} {application_name} for {organization.name} (scopes: {partner_application.scopes})")
        self.stdout.write(f"client_id={credentials.client_id}")
        self.stdout.write(f"client_secret={credentials.client_secret}")
        self.stdout.write("The secret is shown only now. Tokens: POST /o/token/ with grant_type=client_credentials.")

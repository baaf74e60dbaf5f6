"""How the evaluation machinery reads a challenge bid (registered in DemandsConfig.ready):
blind review shows the proposal, never the bidder."""

from __future__ import annotations

from django.utils.translation import gettext as _

from marketplace.money import format_wan
from marketplace.services.evaluation import Presentation, SubjectAdapter, register_subject


def _present(bid, *, blind: bool) -> Presentation:
    from marketplace.models import PrivateFile

    facts = [
        (_("Challenge"), bid.challenge.title),
        (_("Budget"), _("%(amount)s 10k yuan") % {"amount": format_wan(bid.budget)}),
    ]
    if not blind:
        facts.insert(0, (_("Bidder"), bid.organization.name))
    files = list(
        PrivateFile.objects.filter(parent_type__model="bid", parent_type__app_label="demands", parent_id=bid.pk)
    )
    return Presentation(
        title=_("Bid for %(title)s") % {"title": bid.challenge.title},
        facts=facts,
        sections=[(_("Technical proposal"), bid.proposal), (_("Team"), bid.team), (_("Work plan"), bid.plan)],
        files=files,
    )


def _identity(bid) -> list[str]:
    organization = bid.organization
    names = [organization.name, organization.short_name]
    if bid.created_by:
        names.append(bid.created_by.name)
    return [name for name in names if name]


def register() -> None:
    from demands.models import Bid

    register_subject(
        Bid,
        SubjectAdapter(
            owner=lambda bid: bid.organization,
            fields=lambda bid: bid.challenge.industry_fields.all(),
            present=_present,
            identity=_identity,
            interested=lambda bid: [bid.challenge.organization],
            prefetch=("organization", "created_by", "challenge__industry_fields"),
        ),
    )

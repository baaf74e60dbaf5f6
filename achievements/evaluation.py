"""How the evaluation machinery reads an achievement (registered in AchievementsConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from marketplace.services.evaluation import Presentation, SubjectAdapter, register_subject


def _present(achievement, *, blind: bool) -> Presentation:
    from achievements.selectors import achievement_files

    price = (
        _("%(amount)s 10k yuan") % {"amount": f"{achievement.asking_price / 10000:,.2f}".rstrip("0").rstrip(".")}
        if achievement.asking_price is not None
        else _("Negotiable")
    )
    ip_rights = "；".join(
        f"{right.get_kind_display()}：{right.title}（{right.get_status_display()}）"
        + ("" if blind or not right.number else f" {right.number}")
        for right in achievement.ip_rights.all()
    )
    facts = [
        (_("Category"), achievement.get_category_display()),
        (_("Technology readiness"), achievement.get_trl_display()),
        (_("Industry fields"), "、".join(str(f) for f in achievement.industry_fields.all())),
        (_("Transfer modes"), "、".join(m.get_mode_display() for m in achievement.transfer_modes.all())),
        (_("Asking price"), price),
        (_("Intellectual property"), ip_rights or "—"),
    ]
    if not blind:
        facts.insert(0, (_("Owner organization"), achievement.organization.name))
        completers = "、".join(c.name for c in achievement.completers.all())
        if completers:
            facts.append((_("Completers"), completers))
    sections = [
        (_("Summary"), achievement.summary),
        (_("Detailed description"), _strip_tags(achievement.description)),
        (_("Innovation points"), achievement.innovation_points),
        (_("Technical indicators"), achievement.technical_indicators),
        (_("Application scenarios"), achievement.application_scenarios),
    ]
    return Presentation(
        title=achievement.title,
        facts=facts,
        sections=[(heading, text) for heading, text in sections if text],
        files=list(achievement_files(achievement)),
    )


def _strip_tags(html: str) -> str:
    from django.utils.html import strip_tags

    return strip_tags(html or "").strip()


def _identity(achievement) -> list[str]:
    organization = achievement.organization
    names = [organization.name, organization.short_name, achievement.contact_name]
    for completer in achievement.completers.all():
        names.extend([completer.name, completer.affiliation])
    return [name for name in names if name]


def register() -> None:
    from achievements.models import Achievement

    register_subject(
        Achievement,
        SubjectAdapter(
            owner=lambda achievement: achievement.organization,
            fields=lambda achievement: achievement.industry_fields.all(),
            present=_present,
            identity=_identity,
            prefetch=("organization", "completers", "ip_rights", "industry_fields__parent", "transfer_modes"),
        ),
    )

"""Forms of the broker pages: the filing, level upgrades, the agency's refusal, and the broker's
work on an engagement (activities, the deal, dropping)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _

from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement
from brokers.enums import ActivityKind, Level
from brokers.models import BrokerProfile
from brokers.selectors import AGENCY_KINDS
from marketplace.enums import DealStage, RegionLevel
from marketplace.forms.base import MarketForm, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField
from marketplace.models import Deal, Organization, Region

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
OTHER_ACHIEVEMENTS = 50  # options besides the listing's matches; a search narrows them


def _regions_grouped():
    """Provinces, each with its cities: where a broker works is a province or a city."""
    rows = Region.objects.filter(level__in=(RegionLevel.PROVINCE, RegionLevel.CITY)).order_by("code")
    groups: dict[str, tuple[str, list]] = {}
    for region in rows.only("code", "name", "level", "parent_id"):
        if region.level == RegionLevel.PROVINCE:
            groups[region.code] = (region.name, [(region.code, _("%(name)s (whole province)") % {"name": region.name})])
        elif region.parent_id in groups:
            groups[region.parent_id][1].append((region.code, region.name))
    return list(groups.values())


class RegionsServedField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Region.objects.filter(level__in=(RegionLevel.PROVINCE, RegionLevel.CITY)))
        kwargs.setdefault("label", _("Regions served"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 10}))
        kwargs.setdefault("help_text", _("Provinces or cities you work in (hold Ctrl to choose several)."))
        super().__init__(**kwargs)

    def _get_choices(self):
        return CallableChoiceIterator(_regions_grouped)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)


class ProfileForm(MarketModelForm):
    """The filing (with the agency and the level held) or, for a filed broker, the profile
    the broker keeps: the agency and the level change only through the bureau."""

    agency = forms.ModelChoiceField(
        label=_("Transfer or service agency"),
        queryset=Organization.objects.verified().filter(kind__in=AGENCY_KINDS).order_by("name"),
        help_text=_("Its administrators confirm that you work for it; the bureau approves next."),
    )
    specialities = IndustryFieldsField(label=_("Specialities"), required=False)
    regions = RegionsServedField()

    class Meta:
        model = BrokerProfile
        fields = [
            "agency",
            "level",
            "certificate_number",
            "certificate_issuer",
            "certificate_issued_on",
            "certificate_expires_on",
            "specialities",
            "regions",
            "introduction",
        ]
        widgets = {
            "certificate_issued_on": forms.DateInput(**DATE_WIDGET),
            "certificate_expires_on": forms.DateInput(**DATE_WIDGET),
            "introduction": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"level": _("Level held (T/CASTEM 1007-2022)")}
        help_texts = {
            "certificate_expires_on": _("Leave empty if the certificate does not expire."),
            "introduction": _("Your experience and the deals you have brokered; shown in the public directory."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["agency"]
            del self.fields["level"]
            served = "、".join(region.name for region in self.instance.regions.all())
            if served:
                # A long list scrolls: say what is chosen now.
                self.fields["regions"].help_text = _(
                    "Provinces or cities you work in (hold Ctrl to choose several). Chosen now: %(regions)s."
                ) % {"regions": served}
        else:
            self.fields["level"].choices = Level.choices

    def _post_clean(self):
        # The service validates the profile (certificate dates, the agency); the model's own
        # checks would stop at the missing user first.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        return {name: value for name, value in data.items() if name in self.fields}


class UpgradeForm(MarketForm):
    training_hours = forms.IntegerField(
        label=_("Training hours"), min_value=0, max_value=10000, help_text=_("Hours of broker training completed.")
    )
    deal_count = forms.IntegerField(label=_("Deals brokered"), min_value=0, max_value=10000)
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Training certificates, contracts brokered, awards: what the bureau should check."),
    )


class ReasonForm(MarketForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DropForm(MarketForm):
    reason = forms.CharField(label=_("Reason for dropping"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ActivityForm(MarketForm):
    """One activity; a proposal names the achievements proposed, chosen among the listing's
    matches first, then among published achievements (narrowed by a search)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(**DATE_WIDGET))
    note = forms.CharField(label=_("Note"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))
    proposed_achievements = forms.ModelMultipleChoiceField(
        label=_("Proposed achievements"),
        queryset=Achievement.objects.filter(status=AchievementStatus.PUBLISHED),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Required for a proposal (hold Ctrl to choose several)."),
    )

    def __init__(self, *args, engagement, search: str = "", **kwargs):
        kwargs.setdefault("initial", {"occurred_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["proposed_achievements"].choices = self._grouped_choices(engagement, search)

    @staticmethod
    def _grouped_choices(engagement, search: str):
        from marketplace.models import Match

        published = Achievement.objects.filter(status=AchievementStatus.PUBLISHED).select_related("organization")
        matched: list[Achievement] = []
        if engagement.demand_id:
            ids = list(Match.objects.for_demand(engagement.demand_id).values_list("achievement_id", flat=True)[:20])
            found = published.in_bulk(ids)
            matched = [found[pk] for pk in ids if pk in found]
        elif engagement.achievement_id and engagement.achievement.status == AchievementStatus.PUBLISHED:
            matched = [engagement.achievement]
        others = published.exclude(pk__in=[a.pk for a in matched])
        if search:
            others = others.filter(Q(title__icontains=search) | Q(organization__name__icontains=search))
        others = others.order_by("-published_at", "-pk")[:OTHER_ACHIEVEMENTS]

        def label(achievement):
            return f"#{achievement.pk} {achievement.title}（{achievement.organization.name}）"

        groups = []
        if matched:
            groups.append((_("Matched to this listing"), [(a.pk, label(a)) for a in matched]))
        groups.append(
            (
                _("Found by the search") if search else _("Recently published achievements"),
                [(a.pk, label(a)) for a in others],
            )
        )
        return groups


class DealChoiceForm(MarketForm):
    deal = forms.ModelChoiceField(label=_("The deal"), queryset=Deal.objects.none(), empty_label=None)

    def __init__(self, *args, engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal"].queryset = deals_for(engagement)
        self.fields["deal"].label_from_instance = lambda deal: f"{deal.title} · {deal.get_stage_display()}"


def deals_for(engagement):
    """The deals on the engagement's demand or achievement that have not failed."""
    key = {"demand_id": engagement.demand_id} if engagement.demand_id else {"achievement_id": engagement.achievement_id}
    return Deal.objects.filter(**key).exclude(stage=DealStage.FAILED).order_by("-created_at", "-pk")

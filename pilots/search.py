"""Pilot bases in the market's search (kind "pilot_base"): filed bases and what they can run."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from marketplace import search
from pilots.enums import BaseKind
from pilots.models import Equipment, PilotBase, PilotService


class PilotBaseSearch(search.SearchAdapter):
    kind = "pilot_base"
    model = PilotBase
    label = _("Pilot base")
    categories = dict(BaseKind.choices)

    def queryset(self):
        return (
            PilotBase.objects.filed()
            .select_related("operator")
            .prefetch_related(
                "industry_fields",
                Prefetch("equipment", queryset=Equipment.objects.filter(is_shared=True)),
                Prefetch("services", queryset=PilotService.objects.all()),
            )
        )

    def document(self, base: PilotBase) -> search.DocumentData:
        return search.DocumentData(
            title=base.name,
            body=[
                base.processes,
                base.introduction,
                base.scale,
                base.qualifications,
                " ".join(f"{e.name} {e.model_number} {e.parameters}" for e in base.equipment.all()),
                " ".join(f"{s.name} {s.description}" for s in base.services.all()),
                base.operator.name,
            ],
            snippet=base.processes,
            url=base.get_absolute_url(),
            category=base.kind,
            # The lowest level served: matching reads it as what the base takes on.
            trl=base.trl_min,
            region_code=base.region_id or "",
            organization_id=base.operator_id,
            published_at=base.approved_at,
            field_ids=search.field_ids_with_parents(base.industry_fields.all()),
        )


def register() -> None:
    search.register(PilotBaseSearch())

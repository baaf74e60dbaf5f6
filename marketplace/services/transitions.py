"""Status lifecycles: the allowed transitions of a model written once, and the log of each change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.models import TransitionLog


@dataclass(frozen=True)
class Workflow:
    """The lifecycle of one status field.

    `transitions` maps each status to the statuses it may move to; `reason_required` lists
    the target statuses that need a reason (rejections, withdrawals). `apply` is the only way
    services change the status: it re-reads the current value under a row lock, refuses a
    transition that is not in the table, saves, and writes a TransitionLog row. `on_change(model,
    pks)` runs after each change in the same transaction (the search index follows publication).
    """

    choices: type
    transitions: Mapping[str, Iterable[str]]
    status_field: str = "status"
    reason_required: frozenset[str] = field(default_factory=frozenset)
    on_change: Callable[[type, list], object] | None = None

    def allowed_targets(self, current: str) -> set[str]:
        return set(self.transitions.get(current, ()))

    def can(self, current: str, target: str) -> bool:
        return target in self.allowed_targets(current)

    def label(self, value: str) -> str:
        try:
            return str(self.choices(value).label)
        except ValueError:
            return value

    def check(self, current: str, target: str) -> None:
        """Refuse (ValidationError, code invalid_transition) a move the table does not allow."""
        if not self.can(current, target):
            raise ValidationError(
                {
                    self.status_field: _("The status cannot change from “%(current)s” to “%(target)s”.")
                    % {"current": self.label(current), "target": self.label(target)}
                },
                code="invalid_transition",
            )

    def record_start(self, obj, *, actor=None) -> TransitionLog:
        """Log the status a new object starts in (from nothing), so its history begins there."""
        return TransitionLog.objects.create(
            content_type=ContentType.objects.get_for_model(type(obj)),
            object_id=obj.pk,
            field=self.status_field,
            from_status="",
            to_status=getattr(obj, self.status_field),
            actor=actor if getattr(actor, "pk", None) else None,
        )

    @transaction.atomic
    def apply(
        self, obj, target: str, *, actor=None, reason: str = "", update_fields: Iterable[str] = ()
    ) -> TransitionLog:
        model = type(obj)
        current = (
            model._default_manager.select_for_update().filter(pk=obj.pk).values_list(self.status_field, flat=True).get()
        )
        self.check(current, target)
        reason = (reason or "").strip()
        if target in self.reason_required and not reason:
            raise ValidationError({"reason": _("Please give a reason.")}, code="reason_required")
        setattr(obj, self.status_field, target)
        fields = {self.status_field, *update_fields}
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            fields.add("updated_at")
        if getattr(actor, "pk", None):
            # The history row names the actor also outside a request (API clients, Celery,
            # management commands), where HistoryRequestMiddleware knows no user.
            obj._history_user = actor
        obj.save(update_fields=sorted(fields))
        if self.on_change is not None:
            self.on_change(model, [obj.pk])
        return TransitionLog.objects.create(
            content_type=ContentType.objects.get_for_model(model),
            object_id=obj.pk,
            field=self.status_field,
            from_status=current,
            to_status=target,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=reason,
        )

    @transaction.atomic
    def apply_in_bulk(
        self,
        *,
        objects: Sequence,
        steps: Sequence[tuple[str, str, object]],
        changes: Mapping | None = None,
        reason: str = "",
        user=None,
    ) -> None:
        """Move `objects` (all of one model, all in the first step's status) through `steps`,
        (from, to, actor) each, in bulk: one UPDATE of the status and `changes` (updated_at
        too), one TransitionLog row per object and step, and one history row per object
        (simple_history, attributed to `user`) when the model keeps history. The objects get
        the new values, and `on_change` runs once for the batch. No signals and no notifications:
        for trusted bulk loads, where `apply` would cost a row lock, a save and the services'
        notifications per object.

        A path outside the table is a programming error (ValueError); objects no longer in the
        starting status are refused (ValidationError) and nothing is changed.
        """
        if not objects or not steps:
            return
        for (source, target, _actor), following in zip(steps, [*steps[1:], None], strict=True):
            if not self.can(source, target) or (following and following[0] != target):
                raise ValueError(f"not a path of the workflow: {[step[:2] for step in steps]}")
        model = type(objects[0])
        start, end = steps[0][0], steps[-1][1]
        values = {**(changes or {}), self.status_field: end}
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            values.setdefault("updated_at", timezone.now())
        pks = [obj.pk for obj in objects]
        moved = model._default_manager.filter(pk__in=pks, **{self.status_field: start}).update(**values)
        if moved != len(set(pks)):
            # The UPDATE ran inside this atomic block: raising rolls it back.
            raise ValidationError(
                _("The status cannot change from “%(current)s” to “%(target)s”.")
                % {"current": self.label(start), "target": self.label(end)},
                code="invalid_transition",
            )
        for obj in objects:
            for name, value in values.items():
                setattr(obj, name, value)
        if self.on_change is not None:
            self.on_change(model, pks)
        content_type = ContentType.objects.get_for_model(model)
        TransitionLog.objects.bulk_create(
            [
                TransitionLog(
                    content_type=content_type,
                    object_id=obj.pk,
                    field=self.status_field,
                    from_status=source,
                    to_status=target,
                    actor=actor if getattr(actor, "pk", None) else None,
                    reason=reason,
                )
                for obj in objects
                for source, target, actor in steps
            ]
        )
        history = getattr(model, "history", None)
        if history is not None:
            history.bulk_history_create(objects, update=True, default_user=user, default_change_reason=reason)


def update_with_history(queryset, *, user=None, reason: str = "", **values) -> int:
    """`queryset.update(**values)` that also writes each row's history entry with the actor: a plain
    bulk update bypasses django-simple-history, and every status change must be audited. Three
    queries whatever the number of rows (read, update, history insert); returns the rows changed."""
    from simple_history.utils import bulk_update_with_history

    rows = list(queryset)
    if not rows:
        return 0
    for row in rows:
        for name, value in values.items():
            setattr(row, name, value)
    bulk_update_with_history(
        rows,
        queryset.model,
        list(values),
        default_user=user if getattr(user, "pk", None) else None,
        default_change_reason=reason[:100] or None,
    )
    return len(rows)

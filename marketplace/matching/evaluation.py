"""How well the weights in settings.MATCHING rank what people found useful (`evaluate_match_weights`).

Feedback labels the stored matches: useful or contacted is a good match, not useful a bad one (a
match judged both ways counts as good when most said so). Each stored explanation keeps every
component's fit, so the score any other weights would have given is recomputed exactly
(scoring.explain's formula). The measure is ROC AUC — the chance that a good match outscores a bad
one — for the current weights and for each weight halved and doubled; staff change the settings
if an alternative is clearly better on enough feedback.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings

from marketplace.enums import MatchVerdict
from marketplace.matching.scoring import COMPONENTS

GOOD = {MatchVerdict.USEFUL, MatchVerdict.CONTACTED}


def rescore(components: list[dict], weights: dict[str, float]) -> float:
    """The score of a stored explanation under other weights (same formula as scoring.explain)."""
    fits = {c["name"]: c["fit"] for c in components}
    if "lexical" not in fits:
        return 0.0
    applying = [name for name in fits if weights.get(name, 0) > 0]
    total = sum(weights[name] for name in applying)
    if not total:
        return 0.0
    structured = sum(weights[name] / total * fits[name] for name in applying if name != "lexical")
    lexical_share = weights.get("lexical", 0) / total
    return fits["lexical"] * lexical_share + fits["lexical"] * structured


def auc(scored: list[tuple[float, bool]]) -> float | None:
    """ROC AUC by ranks (ties count half); None without both kinds of label."""
    good = [s for s, label in scored if label]
    bad = [s for s, label in scored if not label]
    if not good or not bad:
        return None
    wins = sum(1.0 if g > b else 0.5 if g == b else 0.0 for g in good for b in bad)
    return wins / (len(good) * len(bad))


@dataclass
class Evaluation:
    labelled: int
    good: int
    current: dict
    current_auc: float | None
    alternatives: list[tuple[str, dict, float | None]] = field(default_factory=list)
    mean_fit: dict = field(default_factory=dict)  # component → (mean fit of good, of bad)

    @property
    def best(self) -> tuple[str, dict, float | None]:
        candidates = [("current", self.current, self.current_auc), *self.alternatives]
        return max(candidates, key=lambda c: -1 if c[2] is None else c[2])


def labelled_matches():
    """(components, good?) for every match with feedback, by the majority of its verdicts."""
    from marketplace.models import MatchFeedback

    verdicts: dict[int, Counter] = {}
    components = {}
    for match_id, verdict, stored in MatchFeedback.objects.values_list("match_id", "verdict", "match__components"):
        verdicts.setdefault(match_id, Counter())[verdict in GOOD] += 1
        components[match_id] = stored
    return [(components[pk], counts[True] >= counts[False]) for pk, counts in verdicts.items()]


def evaluate(labelled=None, weights: dict[str, float] | None = None) -> Evaluation:
    labelled = labelled_matches() if labelled is None else labelled
    weights = dict(weights or settings.MATCHING["WEIGHTS"])

    def measure(candidate: dict) -> float | None:
        return auc([(rescore(components, candidate), good) for components, good in labelled])

    evaluation = Evaluation(
        labelled=len(labelled),
        good=sum(1 for _, good in labelled if good),
        current=weights,
        current_auc=measure(weights),
    )
    for name in COMPONENTS:
        if name == "lexical" or name not in weights:
            continue
        for factor, label in ((0.5, "halved"), (2.0, "doubled")):
            candidate = {**weights, name: weights[name] * factor}
            evaluation.alternatives.append((f"{name} {label}", candidate, measure(candidate)))
    for name in COMPONENTS:
        good = [c["fit"] for components, ok in labelled if ok for c in components if c["name"] == name]
        bad = [c["fit"] for components, ok in labelled if not ok for c in components if c["name"] == name]
        evaluation.mean_fit[name] = (
            sum(good) / len(good) if good else None,
            sum(bad) / len(bad) if bad else None,
        )
    return evaluation

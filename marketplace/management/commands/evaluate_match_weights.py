"""Report how well the matching weights rank what people marked useful (see matching.evaluation)."""

from django.core.management.base import BaseCommand

from marketplace.matching.evaluation import evaluate


def _auc(value) -> str:
    return "—" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "Evaluate settings.MATCHING['WEIGHTS'] against the feedback on stored matches (ROC AUC)."

    def handle(self, *args, **options):
        result = evaluate()
        self.stdout.write(
            f"Matches with feedback: {result.labelled} ({result.good} good, {result.labelled - result.good} bad)"
        )
        if result.current_auc is None:
            self.stdout.write("Not enough feedback yet: AUC needs both good and bad matches.")
            return
        self.stdout.write(f"Current weights {result.current}: AUC {_auc(result.current_auc)}")
        for name, _weights, value in sorted(result.alternatives, key=lambda a: -(a[2] or 0)):
            self.stdout.write(f"  {name:<22} AUC {_auc(value)}")
        self.stdout.write("Mean fit of each component, good vs bad matches:")
        for name, (good, bad) in result.mean_fit.items():
            self.stdout.write(f"  {name:<10} {_auc(good)} vs {_auc(bad)}")
        best_name, best_weights, best_auc = result.best
        if best_name == "current":
            self.stdout.write(self.style.SUCCESS("The current weights rank the feedback best."))
        else:
            self.stdout.write(
                self.style.WARNING(f"Better on this feedback: {best_name} (AUC {_auc(best_auc)}): {best_weights}")
            )

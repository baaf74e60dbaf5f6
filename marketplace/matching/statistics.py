"""How rare each word is across the search index: the weights of the matcher's keywords.

The counts come from the search backend (SQLite: the FTS5 vocabulary, live; PostgreSQL: the
TermStatistic table filled from ts_stat by `manage.py recompute_matches`). One `Statistics` object
serves one matching run and remembers what it looked up, so a run of many listings asks the
database for each word once.
"""

from __future__ import annotations

import math

from marketplace.search.backends import get_backend


class Statistics:
    def __init__(self):
        self.backend = get_backend()
        documents, terms = self.backend.corpus_totals()
        self.documents = max(documents, 1)
        # Distinct words per document, on average: the length a document is measured against.
        self.average_terms = max(terms / self.documents, 1.0)
        self._documents_holding: dict[str, int] = {}

    def load(self, terms) -> None:
        """Look up every term not yet known, in one query."""
        missing = [term for term in set(terms) if term not in self._documents_holding]
        if not missing:
            return
        found = self.backend.term_documents(missing)
        for term in missing:
            self._documents_holding[term] = found.get(term, 0)

    def documents_holding(self, term: str) -> int:
        if term not in self._documents_holding:
            self.load([term])
        return self._documents_holding[term]

    def idf(self, term: str) -> float:
        """Inverse document frequency (BM25's, never negative): rare words weigh most. A word the
        statistics have not counted yet (newer than the last count) is taken as rare."""
        held = min(self.documents_holding(term), self.documents)
        return math.log(1 + (self.documents - held + 0.5) / (held + 0.5))


def refresh() -> int:
    """Recount the statistics (where they are kept apart from the index)."""
    return get_backend().refresh_term_statistics()

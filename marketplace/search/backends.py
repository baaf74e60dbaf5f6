"""The two databases' full-text search behind one interface.

Both index the same thing: `SearchDocument.title_tokens` and `body_tokens`, the jieba tokens
joined by spaces. The database keeps its own index from those columns (a trigger on PostgreSQL,
FTS5 external-content triggers on SQLite; see migration marketplace 0007), so writing a document
row is all the indexing code does. Callers use `get_backend()` and never look at the vendor.
"""

from __future__ import annotations

from functools import cache

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db import connections, transaction
from django.db.models import Expression, F, FloatField, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from marketplace.search.text import FILTER_PREFIX, ParsedQuery

FTS_TABLE = "marketplace_searchdocument_fts"
FTS_VOCABULARY = "marketplace_searchdocument_vocabulary"
RUM_INDEX = "search_document_vector_rum"
TABLE = "marketplace_searchdocument"
TERM_TABLE = "marketplace_termstatistic"
# TermStatistic rows holding the corpus totals ("#" never survives segmentation, so no word clashes).
DOCUMENTS_ROW, TERMS_ROW = "#documents", "#terms"

# How many documents hold each of a list of words, counted in the index, up to LIVE_COUNT_CAP.
LIVE_COUNT_CAP, LIVE_COUNT_TERMS, LIVE_COUNT_BELOW = 1000, 200, 100
PG_LIVE_COUNT_SQL = f"""
SELECT term, (
    SELECT count(*) FROM (
        SELECT 1 FROM {TABLE} WHERE search_vector @@ plainto_tsquery('simple', term) LIMIT {LIVE_COUNT_CAP}
    ) AS held
) FROM unnest(%s::text[]) AS term
"""  # noqa: S608

# Words and how many documents hold each, from the tsvectors; then the two totals.
PG_TERM_STATISTICS_SQL = f"""
WITH words AS (
    SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM {TABLE}') WHERE word NOT LIKE %s
)
INSERT INTO {TERM_TABLE} (term, documents)
SELECT word, ndoc FROM words WHERE length(word) <= 100
UNION ALL SELECT %s, (SELECT count(*) FROM {TABLE})
UNION ALL SELECT %s, coalesce(sum(ndoc), 0) FROM words
"""  # noqa: S608

# Weights of a title match over a body match: ts_rank's A and B; bm25's column weights.
TITLE_WEIGHT, BODY_WEIGHT = 1.0, 0.4

# SQLite statements: constant names; the match string is always a parameter.
FTS_WORDS_SQL = f"SELECT coalesce(sum(doc), 0) FROM {FTS_VOCABULARY} WHERE term NOT LIKE %s"  # noqa: S608
FTS_MATCH_SQL = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
FTS_RANK_SQL = (
    f"(SELECT -bm25({FTS_TABLE}, {TITLE_WEIGHT * 10}, {BODY_WEIGHT * 10}, 0) FROM {FTS_TABLE} "  # noqa: S608
    f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = {{alias}}.id)"
)


class Backend:
    vendor = ""

    def match(self, documents: QuerySet, query: ParsedQuery) -> QuerySet:
        """The documents matching every term of the query."""
        raise NotImplementedError

    def rank(self, query: ParsedQuery) -> Expression:
        """Relevance of a matching document; higher is better."""
        raise NotImplementedError

    def ranked(self, documents: QuerySet, query: ParsedQuery) -> QuerySet:
        """The matching documents, most relevant first."""
        return self.match(documents, query).annotate(relevance=self.rank(query)).order_by("-relevance", "-id")

    def similar_titles(self, documents: QuerySet, text: str) -> QuerySet:
        """Documents whose title looks like `text` (a misspelt name), most alike first."""
        raise NotImplementedError

    # Corpus statistics for the matcher (marketplace.matching.statistics). Filter tokens
    # (text.FILTER_PREFIX) are not words and are left out of both.

    def term_documents(self, terms: list[str]) -> dict[str, int]:
        """How many documents hold each of `terms` (terms held by none are left out)."""
        raise NotImplementedError

    def corpus_totals(self) -> tuple[int, int]:
        """(documents, the sum over documents of their distinct words)."""
        raise NotImplementedError

    def refresh_term_statistics(self) -> int:
        """Recount the statistics where they are kept apart from the index; returns the words counted."""
        return 0


class PostgresBackend(Backend):
    """A weighted tsvector in the 'simple' configuration (title A, body B), kept by a trigger.

    Ranked by the RUM index's distance operator when the `rum` extension was installed at
    migration time (the index returns the top rows in order, without ranking every match), else by
    ts_rank over the GIN index's matches.
    """

    vendor = "postgresql"

    def __init__(self, alias: str = "default"):
        self.alias = alias

    @staticmethod
    def tsquery(query: ParsedQuery) -> str:
        def token(value: str) -> str:
            return "'" + value.replace("'", "''").replace("\\", "") + "'"

        def group(tokens: tuple[str, ...]) -> str:
            return token(tokens[0]) if len(tokens) == 1 else "(" + " & ".join(map(token, tokens)) + ")"

        return " & ".join("(" + " | ".join(map(group, term.alternatives)) + ")" for term in query.all_terms)

    def search_query(self, query: ParsedQuery) -> SearchQuery:
        return SearchQuery(self.tsquery(query), search_type="raw", config="simple")

    def match(self, documents, query):
        return documents.filter(search_vector=self.search_query(query))

    def rank(self, query):
        # Normalisation 1: divide by 1 + log(length), so long bodies do not win by size alone.
        return SearchRank(
            F("search_vector"), self.search_query(query), weights=[0.1, 0.2, BODY_WEIGHT, TITLE_WEIGHT], normalization=1
        )

    def ranked(self, documents, query):
        if not has_rum(self.alias):
            return super().ranked(documents, query)
        # Ordered by the distance alone: a second sort key would stop RUM from returning rows in order.
        return (
            self.match(documents, query)
            .annotate(distance=RumDistance(F("search_vector"), self.search_query(query)))
            .order_by("distance")
        )

    def term_documents(self, terms):
        from marketplace.models import TermStatistic

        self._ensure_statistics()
        found = {}
        for start in range(0, len(terms), 5000):
            found.update(
                TermStatistic.objects.filter(term__in=terms[start : start + 5000]).values_list("term", "documents")
            )
        # Rare words, and words newer than the last count, are counted in the index itself: the
        # count of a rare word goes stale fastest (one new listing doubles it), and counting it
        # is a short index scan (stopping at LIVE_COUNT_CAP).
        missing = [term for term in terms if found.get(term, 0) < LIVE_COUNT_BELOW][:LIVE_COUNT_TERMS]
        if missing:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(PG_LIVE_COUNT_SQL, [missing])
                for term, n in cursor.fetchall():
                    if n:
                        found[term] = n
                    else:
                        found.pop(term, None)
        return found

    def corpus_totals(self):
        from marketplace.models import TermStatistic

        self._ensure_statistics()
        totals = dict(
            TermStatistic.objects.filter(term__in=[DOCUMENTS_ROW, TERMS_ROW]).values_list("term", "documents")
        )
        return totals.get(DOCUMENTS_ROW, 0), totals.get(TERMS_ROW, 0)

    def _ensure_statistics(self) -> None:
        """Count on first use (a new or restored database); `recompute_matches` recounts nightly."""
        from marketplace.models import TermStatistic

        if not TermStatistic.objects.filter(term=DOCUMENTS_ROW).exists():
            self.refresh_term_statistics()

    def refresh_term_statistics(self):
        with transaction.atomic(using=self.alias), connections[self.alias].cursor() as cursor:
            cursor.execute(f"DELETE FROM {TERM_TABLE}")  # noqa: S608
            cursor.execute(PG_TERM_STATISTICS_SQL, [FILTER_PREFIX + "%", DOCUMENTS_ROW, TERMS_ROW])
            return cursor.rowcount

    def similar_titles(self, documents, text):
        return (
            documents.annotate(similarity=TrigramSimilarity("title", text))
            .filter(title__trigram_similar=text)
            .order_by("-similarity", "-id")
        )


class RumDistance(Func):
    """`tsvector <=> tsquery`: RUM's distance, smaller is more relevant, served by the index."""

    arg_joiner = " <=> "
    template = "(%(expressions)s)"
    output_field = FloatField()


@cache
def has_rum(alias: str = "default") -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [RUM_INDEX])
        return cursor.fetchone() is not None


class FtsRank(Expression):
    """bm25 of the FTS5 row of the document on the current row (negated: higher is better)."""

    output_field = FloatField()
    contains_aggregate = False

    def __init__(self, match: str):
        super().__init__()
        self.match = match

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return FTS_RANK_SQL.format(alias=alias), [self.match]


class SQLiteBackend(Backend):
    """An FTS5 table over the token columns (external content, kept by triggers), ranked by bm25."""

    vendor = "sqlite"

    @staticmethod
    def fts_query(query: ParsedQuery) -> str:
        def token(value: str) -> str:
            return '"' + value.replace('"', '""') + '"'

        def group(tokens: tuple[str, ...]) -> str:
            return token(tokens[0]) if len(tokens) == 1 else "(" + " AND ".join(map(token, tokens)) + ")"

        return " AND ".join("(" + " OR ".join(map(group, term.alternatives)) + ")" for term in query.all_terms)

    def match(self, documents, query):
        return documents.filter(id__in=RawSQL(FTS_MATCH_SQL, [self.fts_query(query)]))  # noqa: S611

    def rank(self, query):
        return FtsRank(self.fts_query(query))

    def term_documents(self, terms):
        found = {}
        with connections["default"].cursor() as cursor:
            for start in range(0, len(terms), 500):
                chunk = terms[start : start + 500]
                cursor.execute(
                    f"SELECT term, doc FROM {FTS_VOCABULARY} WHERE term IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                    chunk,
                )
                found.update(cursor.fetchall())
        return found

    def corpus_totals(self):
        with connections["default"].cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
            documents = cursor.fetchone()[0]
            cursor.execute(FTS_WORDS_SQL, [FILTER_PREFIX + "%"])
            return documents, cursor.fetchone()[0]

    def similar_titles(self, documents, text):
        # No trigram index here: titles containing any three-character window of the text.
        windows = {text[i : i + 3] for i in range(max(len(text) - 2, 1))}
        condition = Q()
        for window in windows:
            condition |= Q(title__contains=window)
        return documents.filter(condition).order_by("-published_at", "-id")


def get_backend(alias: str = "default") -> Backend:
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        return PostgresBackend(alias)
    if vendor == "sqlite":
        return SQLiteBackend()
    raise NotImplementedError(f"No search backend for {vendor}.")

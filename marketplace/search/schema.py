"""The database objects behind the search backends, created by migration marketplace 0007.

`install(connection)` is idempotent: `manage.py rebuild_search_index --indexes` runs it again, so a
server that gets the `rum` extension later switches from the GIN index to the RUM index.
"""

# ruff: noqa: S608  (the statements name module constants, never input)
from __future__ import annotations

from django.db import transaction

from marketplace.search.backends import FTS_TABLE, FTS_VOCABULARY, RUM_INDEX, TABLE, has_rum

GIN_INDEX = "search_document_vector_gin"
# RUM ranks every document that matches the words before it returns the first, so a frequent word
# narrowed to demands (a sixth of the documents) paid for ranking the achievements too: a demand
# search reads this index of demands alone (试验研究 + TRL ≥ 3 at 1.2 million documents: 229 → 28 ms).
RUM_DEMAND_INDEX = "search_document_vector_rum_demand"
TRIGRAM_INDEX = "search_document_title_trgm"
ORGANIZATION_TRIGRAM_INDEX = "organization_name_trgm"

POSTGRES_TRIGGER = f"""
CREATE OR REPLACE FUNCTION {TABLE}_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('simple'::regconfig, coalesce(NEW.title_tokens, '')), 'A') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(NEW.body_tokens, '')), 'B') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(NEW.filter_tokens, '')), 'D');
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS {TABLE}_vector ON {TABLE};
CREATE TRIGGER {TABLE}_vector BEFORE INSERT OR UPDATE OF title_tokens, body_tokens, filter_tokens ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_vector();
"""

SQLITE_FTS = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title_tokens, body_tokens, filter_tokens, content='{TABLE}', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0'
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title_tokens, body_tokens, filter_tokens)
            VALUES (new.id, new.title_tokens, new.body_tokens, new.filter_tokens);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_tokens, body_tokens, filter_tokens)
            VALUES ('delete', old.id, old.title_tokens, old.body_tokens, old.filter_tokens);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF title_tokens, body_tokens, filter_tokens ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_tokens, body_tokens, filter_tokens)
            VALUES ('delete', old.id, old.title_tokens, old.body_tokens, old.filter_tokens);
        INSERT INTO {FTS_TABLE}(rowid, title_tokens, body_tokens, filter_tokens)
            VALUES (new.id, new.title_tokens, new.body_tokens, new.filter_tokens);
    END""",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
    # How many documents hold each token: the matcher's corpus statistics (matching.statistics).
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_VOCABULARY} USING fts5vocab({FTS_TABLE}, 'row')",
]

SQLITE_DROP = [
    f"DROP TABLE IF EXISTS {FTS_VOCABULARY}",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def _try_extension(cursor, name: str) -> bool:
    """Create an extension if the server has it and we may; report whether it is there."""
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", [name])
    if cursor.fetchone() is None:
        return False
    try:
        with transaction.atomic(using=cursor.db.alias):
            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
    except Exception:  # not allowed (no superuser): fall back to what needs no extension
        return False
    return True


def install(connection) -> str:
    """Create the trigger/FTS table and the best index this server allows; return its kind."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in SQLITE_FTS:
                cursor.execute(statement)
            return "fts5"
        if connection.vendor != "postgresql":
            return ""
        cursor.execute(POSTGRES_TRIGGER)
        if _try_extension(cursor, "pg_trgm"):
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON {TABLE} USING gin (title gin_trgm_ops)")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {ORGANIZATION_TRIGRAM_INDEX} ON marketplace_organization "
                "USING gin (name gin_trgm_ops)"
            )
        if _try_extension(cursor, "rum"):
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {RUM_INDEX} ON {TABLE} USING rum (search_vector rum_tsvector_ops)"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {RUM_DEMAND_INDEX} ON {TABLE} "
                "USING rum (search_vector rum_tsvector_ops) WHERE kind = 'demand'"
            )
            cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
            kind = "rum"
        else:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {TABLE} USING gin (search_vector)")
            kind = "gin"
    has_rum.cache_clear()
    return kind


def drop_search_indexes(connection) -> None:
    """Drop the ranking and trigram indexes for a bulk load (install() builds them again)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for index in (RUM_INDEX, RUM_DEMAND_INDEX, GIN_INDEX, TRIGRAM_INDEX):
            cursor.execute(f"DROP INDEX IF EXISTS {index}")
    has_rum.cache_clear()


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in SQLITE_DROP:
                cursor.execute(statement)
        elif connection.vendor == "postgresql":
            for index in (RUM_INDEX, RUM_DEMAND_INDEX, GIN_INDEX, TRIGRAM_INDEX, ORGANIZATION_TRIGRAM_INDEX):
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_vector ON {TABLE}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_vector()")
    has_rum.cache_clear()

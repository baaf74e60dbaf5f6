"""The permission matrix: every route × every actor of design.md × method, with the expected status.

Each `tests/security/test_matrix_*.py` module holds `ROWS`, a list of `Row`s: a URL name, how to fill its
arguments from the `World` (the shared actors and the records a row needs, built lazily), the method,
and what each of the thirteen actors must get back. `run_rows` requests each row as each actor, each
request inside a savepoint that is rolled back, so a POST by one actor never changes what the next one
sees, and returns the cells that differ. `test_matrix_core.py` fails when a project route has no row.

Expected values: an HTTP status (200, 302, 403, 404, 405, …) or `LOGIN` — a redirect to the log-in page,
which is what an anonymous visitor gets from a page that needs an account. `302` means a redirect
anywhere else (a POST that did its work, or a page sending the user on).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

LOGIN = "login"

ACTORS: tuple[str, ...] = (
    "anon",  # visitor, no session
    "owner",  # admin of the organization that owns the row's record (w.home)
    "member",  # plain member of that organization
    "foreign",  # admin of another, verified organization (w.foreign_org)
    "broker",  # an active broker (assigned where the row's record has brokers)
    "expert",  # a user with an expert profile (assigned where the row's record has an assignment)
    "reviewer",
    "registrar",
    "statistician",
    "organizer",
    "administrator",
    "partner",  # a partner application's token holding every scope
    "partner_noscope",  # a valid partner token holding no scope
)
STAFF = ("reviewer", "registrar", "statistician", "organizer", "administrator")
PARTNERS = ("partner", "partner_noscope")
ORG = ("owner", "member")


def expect(default: Any = None, *, staff: Any = None, partners: Any = None, org: Any = None, **actors: Any) -> dict:
    """actor → expected status. Group keywords (`staff`, `partners`, `org`) set several actors at
    once; named actors override them; `default` fills the rest. Every actor must end up decided."""
    unknown = set(actors) - set(ACTORS)
    if unknown:
        raise ValueError(f"unknown actors {sorted(unknown)}")
    table: dict[str, Any] = {}
    for group, value in ((STAFF, staff), (PARTNERS, partners), (ORG, org)):
        if value is not None:
            table.update(dict.fromkeys(group, value))
    table.update(actors)
    for actor in ACTORS:
        if actor not in table:
            if default is None:
                raise ValueError(f"no expectation for {actor}")
            table[actor] = default
    return table


# Presets for the common shapes of HTML pages. Partner tokens mean nothing to the session-based
# pages: their bearer header is ignored there and they are visitors.
PUBLIC = expect(200)
SIGNED_IN = expect(200, anon=LOGIN, partners=LOGIN)
STAFF_ONLY_404 = expect(404, anon=LOGIN, partners=LOGIN, staff=200)


@dataclass(frozen=True)
class Row:
    route: str
    expect: dict
    method: str = "GET"
    kwargs: dict | Callable[[World], dict] = field(default_factory=dict)
    data: dict | Callable[[World], dict] | None = None
    query: str | Callable[[World], str] = ""
    note: str = ""
    # The request ends the session (log-out, account deletion): send it from a throwaway client.
    fresh_client: bool = False

    @property
    def is_api(self) -> bool:
        return self.route.startswith("v1:")

    def url(self, world: World) -> str:
        kwargs = self.kwargs(world) if callable(self.kwargs) else self.kwargs
        query = self.query(world) if callable(self.query) else self.query
        return reverse(self.route, kwargs=kwargs) + query

    def payload(self, world: World) -> dict | None:
        return self.data(world) if callable(self.data) else self.data


BUILDERS: dict[str, Callable[[World], Any]] = {}


def thing(builder: Callable[[World], Any]) -> Callable[[World], Any]:
    """Register a lazily built record of the world under the function's name (unique project-wide:
    prefix it with your part, e.g. `pilots_draft_base`)."""
    existing = BUILDERS.get(builder.__name__)
    if existing is not None and existing.__qualname__ != builder.__qualname__:
        raise ValueError(f"world record {builder.__name__!r} registered twice")
    BUILDERS[builder.__name__] = builder
    return builder


class World:
    """The actors and, on first use, the records rows point at (`w.<builder name>`)."""

    def __init__(self, login: Callable):
        self._login = login
        self._clients: dict[str, Client] = {}

    def __getattr__(self, name: str) -> Any:
        builder = BUILDERS.get(name)
        if builder is None:
            raise AttributeError(name)
        value = builder(self)
        self.__dict__[name] = value
        return value

    def user(self, actor: str):
        return getattr(self, f"actor_{actor}")

    def client(self, actor: str, *, fresh: bool = False) -> Client:
        if fresh:
            return self._new_client(actor)
        if actor not in self._clients:
            self._clients[actor] = self._new_client(actor)
        return self._clients[actor]

    def _new_client(self, actor: str) -> Client:
        if actor == "anon":
            return Client()
        if actor in PARTNERS:
            return Client(headers={"Authorization": f"Bearer {getattr(self, f'token_{actor}')}"})
        return self._login(self.user(actor))


def _request(client: Client, row: Row, url: str, data: dict | None):
    method = row.method.upper()
    if method in ("GET", "HEAD", "OPTIONS", "DELETE") and not data:
        return client.generic(method, url)
    if row.is_api or method in ("PUT", "PATCH", "DELETE"):
        return client.generic(method, url, json.dumps(data or {}), content_type="application/json")
    return client.post(url, data or {})


def _matches(expected: Any, response) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL))
    if expected == 302:
        return response.status_code == 302 and not response["Location"].startswith(reverse(settings.LOGIN_URL))
    return response.status_code == expected


def _shown(response) -> str:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        return LOGIN if location.startswith(reverse(settings.LOGIN_URL)) else f"302→{location[:40]}"
    return str(response.status_code)


def run_rows(world: World, rows: list[Row], actors: tuple[str, ...] = ACTORS) -> list[tuple]:
    """Request every row as every actor; the cells whose status differs from the table."""
    failures = []
    # Refusals are the expected outcome of most cells: keep django.request's warnings out of the report.
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        _run(world, rows, actors, failures)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    return failures


def _run(world: World, rows: list[Row], actors: tuple[str, ...], failures: list) -> None:
    for row in rows:
        # Resolve the URL and payload before the savepoint: records built on first use must outlive it.
        url = row.url(world)
        data = row.payload(world)
        for actor in actors:
            client = world.client(actor, fresh=row.fresh_client)
            with transaction.atomic():
                cache.clear()  # abuse limits and cached fragments must not depend on the order
                response = _request(client, row, url, data)
                transaction.set_rollback(True)
            if not _matches(row.expect[actor], response):
                failures.append((row.route, row.method, actor, row.expect[actor], _shown(response), url))


def format_failures(failures: list[tuple]) -> str:
    lines = [f"{len(failures)} cells differ from the matrix (route, method, actor: expected → got, url):"]
    lines += [f"  {r} {m} {a}: {e} → {g}  {u}" for r, m, a, e, g, u in failures]
    return "\n".join(lines)


def assert_rows(world: World, rows: list[Row]) -> None:
    failures = run_rows(world, rows)
    assert not failures, format_failures(failures)

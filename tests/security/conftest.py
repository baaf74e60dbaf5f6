"""The permission matrix's world: the actors of design.md and the records its rows point at."""

import pytest

import tests.security.world  # noqa: F401 -- registers the actors' builders
from tests.security.matrix import World


@pytest.fixture
def world(db, login):
    return World(login)

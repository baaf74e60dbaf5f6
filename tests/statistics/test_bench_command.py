"""manage.py bench_stats (make bench-stats) writes 1.4 million rows: it refuses any database
whose name lacks "bench", and any database that is not PostgreSQL, before it writes anything."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from achievements.models import Achievement
from marketplace.models import ContractRegistration, Organization

pytestmark = pytest.mark.django_db


def test_refuses_a_database_without_bench_in_its_name(tmp_path):
    if "bench" in str(connection.settings_dict["NAME"]):
        pytest.skip("the test database itself is a bench database")
    organizations = Organization.objects.count()
    with pytest.raises(CommandError, match="bench"):
        call_command("bench_stats", "--contracts", "10", "--achievements", "10", "--output", str(tmp_path / "s.json"))
    assert not ContractRegistration.objects.exists()
    assert not Achievement.objects.exists()
    assert Organization.objects.count() == organizations
    assert not (tmp_path / "s.json").exists()


def test_refuses_sqlite_even_when_named_bench(monkeypatch, tmp_path):
    if connection.vendor == "postgresql":
        pytest.skip("the PostgreSQL refusal is the SQLite case")
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "market_bench_stats.sqlite3"))
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench_stats", "--contracts", "10", "--achievements", "10", "--output", str(tmp_path / "s.json"))
    assert not ContractRegistration.objects.exists()
    assert not (tmp_path / "s.json").exists()

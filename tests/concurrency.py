"""Races on PostgreSQL: real row locks (SQLite serialises writers and has no SELECT … FOR UPDATE)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (CI's first pass)"
)


def run_together(functions):
    """Call the functions at the same moment, each in its own thread and connection; their
    results (or the ValidationError / PermissionDenied each raised), in completion order."""
    barrier = threading.Barrier(len(functions))
    results = []

    def run(function):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(function())
        except (ValidationError, PermissionDenied) as exc:
            results.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(function,)) for function in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results

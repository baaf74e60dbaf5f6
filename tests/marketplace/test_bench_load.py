"""scripts/bench_load.py turns locust's final statistics into docs/bench/load.json: per-endpoint and total
requests per second and percentiles, and the failures with their reasons (which fail the run)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench_load():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "scripts" / "bench_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _entry(name: str, times: dict[int, int], failures: int, start: float, last: float) -> dict:
    requests = sum(times.values())
    return {
        "name": name,
        "method": "GET",
        "last_request_timestamp": last,
        "start_time": start,
        "num_requests": requests,
        "num_none_requests": 0,
        "num_failures": failures,
        "total_response_time": sum(ms * count for ms, count in times.items()),
        "max_response_time": max(times),
        "min_response_time": min(times),
        "total_content_length": 1000 * requests,
        "response_times": {str(ms): count for ms, count in times.items()},
        "num_reqs_per_sec": {},
        "num_fail_per_sec": {},
    }


def test_read_stats_per_endpoint_and_total(bench_load, tmp_path):
    # 100 list requests: 90 at 20 ms, 5 at 40, 5 at 300; 100 detail requests: all at 10 ms; 50 s measured.
    entries = [
        _entry("/achievements/ (library)", {20: 90, 40: 5, 300: 5}, 0, 1000.0, 1050.0),
        _entry("/achievements/<id>/", {10: 100}, 2, 1001.0, 1049.0),
    ]
    (tmp_path / "stats.json").write_text(json.dumps(entries), encoding="utf-8")
    (tmp_path / "errors.json").write_text(
        json.dumps([{"name": "/achievements/<id>/", "error": "the title missing from the page", "occurrences": 2}]),
        encoding="utf-8",
    )
    endpoints, total, failures = bench_load.read_stats(tmp_path / "stats.json")

    library = endpoints["/achievements/ (library)"]
    assert library["requests"] == 100
    assert library["rps"] == 2.0
    assert (library["p50_ms"], library["p95_ms"], library["p99_ms"]) == (20.0, 40.0, 300.0)
    assert library["mean_ms"] == (90 * 20 + 5 * 40 + 5 * 300) / 100
    detail = endpoints["/achievements/<id>/"]
    assert (detail["p50_ms"], detail["p95_ms"], detail["failures"]) == (10.0, 10.0, 2)

    assert total["requests"] == 200
    assert total["failures"] == 2
    assert total["rps"] == 4.0
    assert total["measured_s"] == 50.0
    # Of 200 answers, 100 took 10 ms, 90 took 20, 5 took 40 and 5 took 300: p50 10, p95 20, p99 300.
    assert (total["p50_ms"], total["p95_ms"], total["p99_ms"]) == (10.0, 20.0, 300.0)
    assert total["max_ms"] == 300
    assert failures == [{"name": "/achievements/<id>/", "error": "the title missing from the page", "occurrences": 2}]


def test_limits_are_lifted_by_the_settings_names(bench_load):
    """The variables the benchmark sets are the ones settings.py reads (a renamed limit would throttle the run)."""
    settings_source = (ROOT / "marketplace" / "settings.py").read_text(encoding="utf-8")
    for variable in bench_load.LIFTED_LIMITS:
        assert f'"{variable}"' in settings_source, variable

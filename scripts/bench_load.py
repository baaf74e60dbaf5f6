"""`make bench-load`: a bounded load test of the public site against gunicorn on loopback with PostgreSQL.

    .venv/bin/python scripts/bench_load.py [--database-url postgres://…/market_bench_load] [--users 50]
        [--spawn-rate 10] [--run-time 60s] [--achievements 20000] [--demands 5000] [--workers N]

1. creates the database (scripts/create_database.py: UTF-8, its name must contain "bench"), migrates it,
   loads the demo (`seed_demo`) and adds CSL-recombined achievements and demands with bench_search's
   generator and index build (`bench_search --build-only`) — each step only when its rows are missing;
2. collects the static files into a directory of its own and starts gunicorn on 127.0.0.1:<free port>
   with DEBUG=0 (sync workers, 2 × CPUs + 1 by default), Redis as the cache (database 12, flushed before
   and after), and the abuse limits lifted for the one loopback address the load comes from;
3. waits for /healthz, runs locust headless (scripts/locustfile.py) with the given users, spawn rate and
   duration, then stops gunicorn;
4. writes docs/bench/load.json (requests per second, p50/p95/p99 per endpoint and in total, failures,
   users, duration, the machine) and prints a summary. Exits non-zero on any failed request.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Limits of marketplace/ratelimits.py (ABUSE_LIMITS) and the DRF scoped throttles, lifted for the run:
# every simulated visitor comes from 127.0.0.1, which a real site would see as one abusive client.
LIFTED_LIMITS = {
    "ABUSE_LIMIT_API_ANON": "1000000/m",
    "ABUSE_LIMIT_API_USER": "1000000/m",
    "ABUSE_LIMIT_LOGIN": "1000000/m",
    "ABUSE_LIMIT_SUBSCRIPTION": "1000000/m",
    "MATCH_ANON_RATE": "1000000/minute",
    "MATCH_USER_RATE": "1000000/minute",
}


def log(message: str) -> None:
    print(f"[bench-load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(command: list[str], env: dict, timeout: float) -> float:
    started = time.perf_counter()
    log(" ".join(command[1:] if command[0] == sys.executable else command))
    subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=timeout)  # noqa: S603 (fixed arguments)
    return round(time.perf_counter() - started, 1)


def connect(url: str):
    parts = urlparse(url)
    return psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=parts.path.lstrip("/"),
    )


def counts(url: str) -> dict:
    connection = connect(url)
    try:
        with connection.cursor() as cursor:
            result = {}
            for key, table in (
                ("achievements", "achievements_achievement"),
                ("demands", "demands_demand"),
                ("search_documents", "marketplace_searchdocument"),
                ("users", "marketplace_user"),
            ):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
                result[key] = cursor.fetchone()[0]
            cursor.execute("SELECT current_setting('server_version')")
            result["server_version"] = cursor.fetchone()[0]
            return result
    finally:
        connection.close()


def static_up_to_date(static_root: Path) -> bool:
    """The collected files (DEBUG=0: hashed and compressed) are newer than the project's static sources
    and the locked dependencies (whose packages bring the admin's and the API browser's files)."""
    manifest = static_root / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [ROOT / "requirements.lock", *ROOT.glob("*/static/**/*")]
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    return manifest.stat().st_mtime > newest


APPLICATION_NAME = "market-bench-load"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (/proc/<pid>/stat), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def server_processes(master: int, database_url: str) -> dict[str, list[int]]:
    """gunicorn's master and workers, and the PostgreSQL backends their connections use."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == master:
            workers.append(int(stat.parent.name))
    connection = connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME])
            backends = [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()
    return {"gunicorn": [master, *workers], "postgresql": backends}


def cpu_by_party(processes: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    return {party: {pid: cpu_seconds(pid) for pid in pids} for party, pids in processes.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} before /healthz answered")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return round(time.perf_counter() - started, 1)
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"/healthz did not answer 200 within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def flush_redis(url: str) -> None:
    if not url:
        return
    import redis

    redis.Redis.from_url(url).flushdb()


def machine(note: str) -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        memory_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average_before": None,
        "load_average_after": None,
        "note": note,
    }


def milliseconds(value: str) -> float | None:
    return None if value in ("", "N/A") else round(float(value), 1)


def _percentile(histogram: dict, share: float) -> float | None:
    """Locust's own percentile over its response-time histogram (keys: rounded milliseconds)."""
    total = sum(histogram.values())
    if not total:
        return None
    needed = total * share
    seen = 0
    for value in sorted(histogram, key=float):
        seen += histogram[value]
        if seen >= needed:
            return float(value)
    return float(max(histogram, key=float))


def _entry(stats: dict, seconds: float) -> dict:
    requests = stats["num_requests"]
    histogram = stats["response_times"]
    return {
        "requests": requests,
        "failures": stats["num_failures"],
        "rps": round(requests / seconds, 1) if seconds else None,
        "p50_ms": _percentile(histogram, 0.50),
        "p95_ms": _percentile(histogram, 0.95),
        "p99_ms": _percentile(histogram, 0.99),
        "mean_ms": round(stats["total_response_time"] / requests, 1) if requests else None,
        "max_ms": round(stats["max_response_time"], 1),
        "mean_bytes": round(stats["total_content_length"] / requests) if requests else 0,
    }


def read_stats(path: Path) -> tuple[dict, dict, list]:
    """Final statistics from `locust --json-file`: per endpoint, the total, the failures."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    start = min(entry["start_time"] for entry in entries)
    end = max(entry["last_request_timestamp"] or entry["start_time"] for entry in entries)
    seconds = end - start
    endpoints = {entry["name"]: _entry(entry, seconds) for entry in entries}
    merged = {"num_requests": 0, "num_failures": 0, "total_response_time": 0.0, "max_response_time": 0.0,
              "total_content_length": 0, "response_times": {}}  # fmt: skip
    for entry in entries:
        for key in ("num_requests", "num_failures", "total_response_time", "total_content_length"):
            merged[key] += entry[key]
        merged["max_response_time"] = max(merged["max_response_time"], entry["max_response_time"])
        for value, count in entry["response_times"].items():
            merged["response_times"][value] = merged["response_times"].get(value, 0) + count
    total = _entry(merged, seconds) | {"measured_s": round(seconds, 1)}
    errors_file = path.with_name("errors.json")
    failures = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.exists() else []
    return endpoints, total, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/market_bench_load"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--wait", default=os.environ.get("BENCH_LOAD_WAIT", "0"), help='think time: "0" or "1-3" s')
    parser.add_argument("--achievements", type=int, default=20_000, help="achievements in the database, demo included")
    parser.add_argument("--demands", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn sync workers")
    parser.add_argument("--output", default=str(ROOT / "docs" / "bench" / "load.json"))
    parser.add_argument("--note", default="", help="a line about the machine's state, kept in the JSON")
    parser.add_argument("--prepare-only", action="store_true", help="create, migrate and fill the database; no load")
    parser.add_argument("--collectstatic", action="store_true", help="collect the static files even if up to date")
    options = parser.parse_args()

    name = urlparse(options.database_url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"use a dedicated database whose name contains 'bench' (got {name!r})")
    python = sys.executable
    base_env = {**os.environ, "DATABASE_URL": options.database_url}
    for variable in ("REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "STATIC_ROOT"):
        base_env.pop(variable, None)
    started = time.perf_counter()
    setup: dict[str, float] = {}

    # 1. The data.
    setup["create_database_s"] = run([python, "scripts/create_database.py", options.database_url], base_env, timeout=60)
    setup["migrate_s"] = run([python, "manage.py", "migrate", "--noinput", "-v0"], base_env, timeout=900)
    before = counts(options.database_url)
    if before["users"] == 0:
        setup["seed_demo_s"] = run([python, "manage.py", "seed_demo"], base_env, timeout=900)
        before = counts(options.database_url)
    if before["achievements"] < options.achievements or before["demands"] < options.demands:
        setup["generate_and_index_s"] = run(
            [
                python, "manage.py", "bench_search", "--build-only",
                "--achievements", str(options.achievements), "--demands", str(options.demands),
                "--workers", str(max(2, os.cpu_count() or 1)), "--online-sample", "1",
                "--output", os.devnull,
            ],
            base_env,
            timeout=1800,
        )  # fmt: skip
    data = counts(options.database_url)
    log(f"data: {data['achievements']} achievements, {data['demands']} demands, {data['search_documents']} documents")
    if options.prepare_only:
        log(f"prepared in {time.perf_counter() - started:.0f} s: {setup}")
        return 0

    # 2. The server.
    work = Path(tempfile.mkdtemp(prefix="market-bench-load-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server_env = {
        **base_env,
        **LIFTED_LIMITS,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": url,
        "HTTPS": "0",
        "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "market-bench-load-static"),
        "LOG_LEVEL": "WARNING",
        "PGAPPNAME": APPLICATION_NAME,  # libpq: the workers' PostgreSQL backends, found for their CPU time
    }
    if options.redis_url:
        server_env["REDIS_URL"] = options.redis_url
        server_env["CACHE_KEY_PREFIX"] = "bench-load"
    if options.collectstatic or not static_up_to_date(Path(server_env["STATIC_ROOT"])):
        setup["collectstatic_s"] = run(
            [python, "manage.py", "collectstatic", "--noinput", "-v0"], server_env, timeout=900
        )
    flush_redis(options.redis_url)
    gunicorn_log = work / "gunicorn.log"
    command = [
        str(BIN / "gunicorn"), "marketplace.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(options.workers), "--worker-class", "sync", "--timeout", "60",
        "--graceful-timeout", "10", "--log-level", "warning", "--error-logfile", str(gunicorn_log),
    ]  # fmt: skip
    log(f"gunicorn on {url}, {options.workers} sync workers, DEBUG=0")
    server = subprocess.Popen(command, env=server_env, cwd=ROOT, start_new_session=True)  # noqa: S603
    report: dict = {}
    try:
        setup["gunicorn_ready_s"] = wait_healthy(url, server, timeout=90)
        # Every worker imports the project; one request each warms its URL resolver and templates.
        for path in ("/", "/achievements/", "/api/v1/achievements/"):
            for _ in range(options.workers):
                urllib.request.urlopen(f"{url}{path}", timeout=60).read()  # noqa: S310 (loopback)

        cpu_before = cpu_by_party(server_processes(server.pid, options.database_url))

        # 3. The load.
        info = machine(options.note)
        info["load_average_before"] = [round(value, 2) for value in os.getloadavg()]
        prefix = work / "stats"
        locust = [
            str(BIN / "locust"), "-f", str(ROOT / "scripts" / "locustfile.py"), "--headless", "--host", url,
            "--users", str(options.users), "--spawn-rate", str(options.spawn_rate), "--run-time", options.run_time,
            "--json-file", str(prefix), "--exit-code-on-error", "1", "--stop-timeout", "10", "--only-summary",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        log(
            f"locust: {options.users} users, spawn rate {options.spawn_rate}/s, {options.run_time}, wait {options.wait}"
        )
        measured = time.perf_counter()
        result = subprocess.run(  # noqa: S603 (fixed arguments)
            locust,
            env={**os.environ, "BENCH_LOAD_WAIT": options.wait, "BENCH_LOAD_ERRORS_FILE": str(work / "errors.json")},
            cwd=ROOT,
            timeout=900,
            check=False,
        )
        duration = round(time.perf_counter() - measured, 1)
        info["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
        # Persistent connections (CONN_MAX_AGE) keep the same backends for the run; new ones count from zero.
        cpu_after = cpu_by_party(server_processes(server.pid, options.database_url))
        cpu = {
            party: round(sum(seconds - cpu_before[party].get(pid, 0.0) for pid, seconds in pids.items()), 2)
            for party, pids in cpu_after.items()
        }
        endpoints, total, failures = read_stats(Path(f"{prefix}.json"))
        report = {
            "date": datetime.now(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds"),
            "command": "make bench-load",
            "users": options.users,
            "spawn_rate": options.spawn_rate,
            "run_time": options.run_time,
            "wall_s": duration,
            "think_time": options.wait,
            "locust_exit_code": result.returncode,
            "server": {
                "gunicorn_workers": options.workers,
                "worker_class": "sync",
                "debug": False,
                "cache": "redis" if options.redis_url else "local memory",
                "postgresql": data["server_version"],
                "lifted_limits": sorted(LIFTED_LIMITS),
            },
            "data": {key: data[key] for key in ("achievements", "demands", "search_documents")},
            "server_cpu": {
                "gunicorn_s": cpu["gunicorn"],
                "postgresql_s": cpu["postgresql"],
                "postgresql_backends": len(cpu_after["postgresql"]),
                "per_request_ms": {
                    party: round(seconds * 1000 / max(total["requests"], 1), 1) for party, seconds in cpu.items()
                },
                "requests_per_second_on_idle_cpus": round(
                    (os.cpu_count() or 1) * total["requests"] / max(sum(cpu.values()), 1e-9), 1
                ),
                "note": "CPU time of gunicorn's processes and of their PostgreSQL backends during the run, per "
                "request; the rate two otherwise idle CPUs would sustain for them is an estimate that leaves out "
                "locust's own CPU and the kernel's networking",
            },
            "total": total,
            "endpoints": endpoints,
            "failures": failures,
            "setup_s": setup,
            "machine": info,
            "note": "percentiles from locust's histograms (rounded to two significant digits above 100 ms); rps over "
            "the first to the last request; every simulated user "
            "sends its next request as soon as the last one answered unless think_time says otherwise",
        }
    finally:
        stop(server)
        flush_redis(options.redis_url)
    if gunicorn_log.exists() and gunicorn_log.stat().st_size:
        log(f"gunicorn's error log ({gunicorn_log}):\n" + gunicorn_log.read_text(errors="replace")[-3000:])

    output = Path(options.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n{'endpoint':<32} {'requests':>8} {'fail':>5} {'rps':>7} {'p50':>7} {'p95':>7} {'p99':>7}")
    for name, entry in [*sorted(report["endpoints"].items()), ("TOTAL", report["total"])]:
        print(
            f"{name:<32} {entry['requests']:>8} {entry['failures']:>5} {entry['rps']:>7} "
            f"{entry['p50_ms']:>7} {entry['p95_ms']:>7} {entry['p99_ms']:>7}"
        )
    server_cpu = report["server_cpu"]
    log(
        f"server CPU per request: gunicorn {server_cpu['per_request_ms']['gunicorn']} ms, PostgreSQL "
        f"{server_cpu['per_request_ms']['postgresql']} ms → ≈ {server_cpu['requests_per_second_on_idle_cpus']} "
        f"requests/s on {os.cpu_count()} idle CPUs"
    )
    log(f"written {output}; whole run {time.perf_counter() - started:.0f} s")
    failed = bool(report["total"].get("failures") or result.returncode != 0 or not report["total"].get("requests"))
    if not failed:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        for failure in report["failures"]:
            print(f"FAILED {failure['occurrences']}× {failure['name']}: {failure['error']}", file=sys.stderr)
        log("errors: exit 1")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

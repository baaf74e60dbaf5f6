"""The project's setup: settings from the environment, deploy checks, Celery, compose, demo data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "market.example.cn",
    "SITE_URL": "https://market.example.cn",
}


def _manage(*args, env=None):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(  # noqa: S603 -- fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings(names, env=None):
    code = f"import json; from django.conf import settings as s; print(json.dumps({{n: str(getattr(s, n)) for n in {names!r}}}))"
    result = _manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_passes_with_the_documented_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = _manage("check", env={"DEBUG": "0"})

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_defaults_run_on_sqlite_with_eager_tasks_and_console_mail():
    values = _settings(
        [
            "DEBUG",
            "LANGUAGE_CODE",
            "TIME_ZONE",
            "USE_TZ",
            "CELERY_TASK_ALWAYS_EAGER",
            "EMAIL_BACKEND",
            "DATABASES",
            "MARKET_REGION_CODE",
        ]
    )

    assert values["DEBUG"] == "True"
    assert (values["LANGUAGE_CODE"], values["TIME_ZONE"], values["USE_TZ"]) == ("zh-hans", "Asia/Shanghai", "True")
    assert values["CELERY_TASK_ALWAYS_EAGER"] == "True"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert "sqlite3" in values["DATABASES"]
    assert values["MARKET_REGION_CODE"] == "370200"


def test_environment_switches_to_postgresql_redis_and_smtp():
    values = _settings(
        ["DATABASES", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CACHES", "EMAIL_BACKEND", "EMAIL_HOST"],
        env={
            "DATABASE_URL": "postgres://u:p@db:5432/market",
            "REDIS_URL": "redis://redis:6379/0",
            "EMAIL_URL": "smtp://mail.example.cn:25",
        },
    )

    assert "postgresql" in values["DATABASES"] and "'NAME': 'market'" in values["DATABASES"]
    assert values["CELERY_TASK_ALWAYS_EAGER"] == "False"
    assert values["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert "RedisCache" in values["CACHES"]
    assert (values["EMAIL_BACKEND"], values["EMAIL_HOST"]) == (
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.cn",
    )


def test_celery_acks_late_and_every_beat_task_exists():
    from marketplace.celery import app

    app.loader.import_default_modules()
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.broker_transport_options["visibility_timeout"] >= 3600
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks


def test_compose_stack_runs_web_worker_beat_postgresql_and_redis_with_health_checks():
    # No Docker engine on CI machines: the file is parsed and checked, not started.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    assert all("healthcheck" in service for service in services.values())
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "gunicorn marketplace.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A marketplace worker")
    assert services["beat"]["command"].startswith("celery -A marketplace beat")
    assert "deploy" not in services["beat"]  # exactly one beat, never scaled
    assert "--locale=C.UTF-8" in services["db"]["environment"]["POSTGRES_INITDB_ARGS"]
    environment = services["web"]["environment"]
    assert environment["DEBUG"] == "0"
    assert environment["DATABASE_URL"].startswith("postgres://") and environment["REDIS_URL"].startswith("redis://")
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    assert (ROOT / "Dockerfile").exists()


def test_healthcheck_command_reports_services(capsys, db):
    call_command("healthcheck")

    status = json.loads(capsys.readouterr().out)
    assert status == {"database": "ok", "cache": "ok", "broker": status["broker"]}
    assert status["broker"] == ("ok" if os.environ.get("REDIS_URL") else "eager")


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_log_ins(capsys):
    from marketplace.models import Membership, Organization, User

    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count())
    call_command("seed_demo")

    assert (Organization.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert "Market-Demo-2026" in first and "reviewer" in first and "vland_admin" in first
    assert Organization.objects.filter(
        name="中国科学院青岛生物能源与过程研究所", verification_status="verified"
    ).exists()
    assert User.objects.get(username="reviewer").has_perm(
        "marketplace.review_organization", Organization.objects.first()
    )
    assert User.objects.get(username="ocean_admin").memberships.get().organization.verification_status == "pending"


def test_project_keeps_its_own_copy_of_the_csl_sample_with_its_notice():
    data = ROOT / "marketplace" / "data" / "csl"
    lines = (data / "csl_dev.jsonl").read_text(encoding="utf-8").splitlines()

    assert len(lines) == 1000 and json.loads(lines[0])["ref"] == "csl-dev-0001"
    assert "Apache License 2.0" in (data / "NOTICE.md").read_text()

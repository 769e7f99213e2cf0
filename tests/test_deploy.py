"""No Docker engine runs here, so the compose file is checked by reading it: the stack the README
promises (web, worker, beat, PostgreSQL, Redis, volumes) and `--scale worker=N` must stay possible."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_promised_services():
    services = compose()["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "workers", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "workers", "beat"]


def test_worker_can_be_scaled():
    worker = compose()["services"]["worker"]
    # A fixed container name or a published port would make `--scale worker=N` fail.
    assert "container_name" not in worker
    assert "ports" not in worker


def test_apps_use_postgres_redis_and_keep_media_and_database_in_volumes():
    data = compose()
    for name in ("web", "worker", "beat"):
        env = data["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert "media:/data" in data["services"][name]["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in data["services"]["db"]["volumes"]
    assert {"media", "pgdata"} <= set(data["volumes"])


def test_dockerfile_runs_the_locked_install_and_collects_static():
    text = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in text
    assert "collectstatic" in text
    assert "gunicorn" in text


def test_procfile_starts_web_worker_and_beat():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert "gunicorn" in lines["web"]
    assert "worker" in lines["worker"] and "--beat" in lines["worker"]


def test_ci_script_sets_services_and_calls_make_test():
    text = (ROOT / ".ci" / "run").read_text()
    assert "export CI=true" in text
    assert "postgres://" in text and "redis://" in text
    assert text.rstrip().endswith("make test")

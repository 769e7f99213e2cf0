"""No Docker engine runs here, so the compose file and the Dockerfile are checked by reading them: the stack the
README promises (web, worker, beat, PostgreSQL, Redis, volumes) and `--scale worker=N` must stay possible.
Each check reads the commands themselves (Dockerfile instructions, compose ``command``, Procfile and CI script
lines), so a word that stands only in a comment never satisfies it."""

import json
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments): continuation lines joined, comment lines (also
    those between continuation lines) and blank lines dropped, as Docker reads them."""
    instructions, pending = [], ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip() + " "
            continue
        keyword, _, arguments = pending.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, f"the Dockerfile ends inside a continued instruction: {pending!r}"
    return instructions


def shell_commands(arguments: str) -> list[list[str]]:
    """The simple commands of an instruction's command: exec form (a JSON list) is one; shell form is split at
    ``&&``, ``||``, ``;`` and ``|``, each without its leading ``NAME=value`` assignments (``SECRET_KEY=x python
    manage.py …`` is the command ``python manage.py …``)."""
    if arguments.startswith("["):
        return [json.loads(arguments)]
    lexer = shlex.shlex(arguments, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands, current = [], []
    for token in lexer:
        if set(token) <= set(";&|"):
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    stripped = [
        command[next((i for i, t in enumerate(command) if not ASSIGNMENT.match(t)), len(command)) :]
        for command in commands
    ]
    return [command for command in stripped if command]


def docker_commands(text: str, keyword: str) -> list[list[str]]:
    """Every simple command the Dockerfile gives under ``keyword`` (RUN, CMD, ENTRYPOINT or HEALTHCHECK, whose
    options before ``CMD`` are left out)."""
    found = []
    for name, arguments in dockerfile_instructions(text):
        if name != keyword:
            continue
        if keyword == "HEALTHCHECK":
            _options, _, arguments = arguments.partition("CMD ")
            if not arguments:  # HEALTHCHECK NONE
                continue
        found += shell_commands(arguments.strip())
    return found


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def runs(command: list[str], program: list[str], *arguments: str) -> bool:
    """``command`` starts with ``program`` and has each of ``arguments`` (a pair "-r x" as two adjacent words)."""
    if command[: len(program)] != program:
        return False
    rest = command[len(program) :]
    for argument in arguments:
        words = argument.split()
        if not any(rest[i : i + len(words)] == words for i in range(len(rest))):
            return False
    return True


def code_lines(text: str) -> list[str]:
    """The lines of a shell script or Procfile that are not blank and not comments."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_compose_has_the_promised_services():
    services = compose()["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    assert services["web"]["command"][:2] == ["gunicorn", "portal.wsgi"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "workers", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "workers", "beat"]
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]


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
    text = dockerfile()
    run = docker_commands(text, "RUN")
    assert any(runs(command, ["pip", "install"], "-r requirements.lock") for command in run), run
    assert any(runs(command, ["python", "manage.py", "collectstatic"], "--no-input") for command in run), run
    copied = [arguments.split() for name, arguments in dockerfile_instructions(text) if name == "COPY"]
    assert any("requirements.lock" in sources[:-1] for sources in copied), copied
    assert [command[:2] for command in docker_commands(text, "CMD")] == [["gunicorn", "portal.wsgi"]]
    assert not docker_commands(text, "ENTRYPOINT")  # an entrypoint would wrap the CMD and the compose commands


def test_dockerfile_reader_ignores_comments():
    """The reader above must not take a commented-out command for one (the checks would pass on a comment)."""
    commented = (
        "FROM python:3.11-slim\n"
        "# RUN pip install -r requirements.lock\n"
        "RUN pip install wheel \\\n"
        "# && python manage.py collectstatic --no-input\n"
        " && echo collectstatic gunicorn\n"
        '# CMD ["gunicorn", "portal.wsgi"]\n'
        "HEALTHCHECK --interval=30s CMD curl -f http://localhost:8000/ || exit 1\n"
    )
    run = docker_commands(commented, "RUN")
    assert run == [["pip", "install", "wheel"], ["echo", "collectstatic", "gunicorn"]]
    assert not any(runs(command, ["pip", "install"], "-r requirements.lock") for command in run)
    assert not any(runs(command, ["python", "manage.py", "collectstatic"]) for command in run)
    assert docker_commands(commented, "CMD") == []
    assert docker_commands(commented, "HEALTHCHECK") == [["curl", "-f", "http://localhost:8000/"], ["exit", "1"]]


def test_procfile_starts_web_worker_and_beat():
    lines = dict(line.split(":", 1) for line in code_lines((ROOT / "Procfile").read_text()))
    web, worker = shlex.split(lines["web"]), shlex.split(lines["worker"])
    assert web[:2] == ["gunicorn", "portal.wsgi"]
    assert worker[:4] == ["celery", "-A", "workers", "worker"] and "--beat" in worker


def test_ci_script_sets_services_and_calls_make_test():
    lines = code_lines((ROOT / ".ci" / "run").read_text())
    assert "export CI=true" in lines
    exports = " ".join(line for line in lines if line.startswith("export "))
    assert "DATABASE_URL=" in exports and "postgres://" in exports
    assert "REDIS_URL=" in exports and "redis://" in exports
    # The suite first; after it only the quick benchmark smoke run (which keeps bench/ from rotting).
    assert "make test" in lines
    assert lines[lines.index("make test") + 1 :] == ["make bench ARGS=--quick"]


def healthcheck_script(service: str) -> str:
    test = compose()["services"][service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test  # python:slim has no curl
    return test[3]


def run_against(script: str, answers: dict[str, tuple[int, bytes]], host: str) -> tuple[int, list[str]]:
    """Run a healthcheck script against a local server answering ``answers`` (path → status, body)."""
    import http.server
    import subprocess
    import sys
    import threading

    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.path)
            status, body = answers.get(self.path.split("?")[0], (404, b""))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = script.replace(host, f"127.0.0.1:{server.server_address[1]}")
        return subprocess.run([sys.executable, "-c", code], timeout=60).returncode, seen
    finally:
        server.shutdown()


def test_web_healthcheck_is_liveness_and_pokes_readyz():
    script = healthcheck_script("web")
    ok, seen = run_against(script, {"/healthz": (200, b"ok\n"), "/readyz": (503, b"error\n")}, "127.0.0.1:8000")
    assert ok == 0 and seen == ["/healthz", "/readyz"]  # a failing readiness does not make web unhealthy
    down, _ = run_against(script, {"/healthz": (500, b"")}, "127.0.0.1:8000")
    assert down != 0


def test_beat_healthcheck_reads_the_beat_tick_from_readyz():
    script = healthcheck_script("beat")
    body = b'{"status": "error", "checks": {"beat": {"ok": true}, "worker": {"ok": false}}}'
    assert run_against(script, {"/readyz": (503, body)}, "web:8000")[0] == 0
    stale = b'{"status": "error", "checks": {"beat": {"ok": false}}}'
    assert run_against(script, {"/readyz": (503, stale)}, "web:8000")[0] != 0


def test_worker_healthcheck_pings_its_own_node():
    test = compose()["services"]["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert runs(shlex.split(test[1]), ["celery", "-A", "workers", "inspect", "ping"], "-d celery@$$HOSTNAME")


def test_backups_have_a_volume_of_their_own():
    data = compose()
    for name in ("web", "worker", "beat"):
        service = data["services"][name]
        assert "backups:/data/backups" in service["volumes"]
        assert service["environment"]["BACKUP_DIR"] == "/data/backups"
    assert "backups" in data["volumes"]

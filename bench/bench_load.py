"""The load test of issue #18: locust against the real stack on loopback, as ``make run`` starts it from the
Procfile (gunicorn with a few sync workers, a Celery worker with embedded beat) on PostgreSQL and Redis.

- 50 kecamatan users browse home pages, the monev board, a desa's page, today's attendance and the recaps;
- 17 desa operators view their home page and obligations and hand in documents (a real 150 kB PDF each time);
- 200 push machines (ADMS / iclock) greet, poll ``getrequest`` every 30 s and post an ATTLOG batch every minute;
- a probe requests the baseline (``/healthz``; the login page where the portal has none) once a second.

Full: 5 minutes at those counts. ``--quick``: 35 s with 10 / 5 / 40 (what CI affords). Printed: throughput,
p95 per page group as a ratio to the baseline's p95 under the same load, and errors, which must be 0: any
failed request, any upload or batch not stored, a (desa, day) the worker left unrecomputed or a silent beat
raises after the figures.

The stack gets a database of its own (``<bench db>_load``), cloned from a template built once a day with
``migrate``, ``load_demo`` and the load's accounts and machines (``bench/load/stack.py``), so runs neither see
each other's uploads nor the other benchmarks' rows. Locust runs in a subprocess: importing it patches the
standard library with gevent. Every process started here is stopped in a ``finally``; logs stay in a temporary
folder, printed when something failed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SETTINGS = "bench.load.settings"
LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"
CACHE = Path(tempfile.gettempdir()) / "pantau-bench-load"
WORKER_WAIT = 60  # seconds the worker gets, after the load, to recompute what the punches marked


class LoadFailed(RuntimeError):
    """The load run saw an error: a failed request, a lost upload, or a worker that did not keep up."""


# PostgreSQL -------------------------------------------------------------------------------------------------


def _admin():
    import psycopg
    from dj_database_url import parse

    from bench.common import BENCH_DATABASE_URL

    cfg = parse(BENCH_DATABASE_URL)
    return psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _database_url(name: str) -> str:
    from bench.common import BENCH_DATABASE_URL

    parts = urlsplit(BENCH_DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop(conn, name: str) -> None:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _template_key() -> str:
    """What the template depends on: the schema, the demo, the load's seed, the pinned packages, and the day
    (the demo's deadlines and attendance are relative to today)."""
    digest = hashlib.sha256()
    paths = sorted(
        [
            *ROOT.glob("*/migrations/*.py"),
            *ROOT.glob("*/demo.py"),
            *ROOT.glob("*/data/*"),
            ROOT / "requirements.lock",
            ROOT / "bench" / "load" / "stack.py",
            ROOT / "bench" / "load" / "scenario.py",
        ]
    )
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    digest.update(dt.datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat().encode())
    return digest.hexdigest()[:16]


def _stack_env(database: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_FILE") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=_database_url(database),
        REDIS_URL=os.environ["REDIS_URL"],
        SECRET_KEY=os.environ["SECRET_KEY"],
        VAR_DIR=str(var_dir),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _stack(command: list[str], env: dict[str, str], log: Path, timeout: float) -> str:
    """``python -m bench.load.stack …`` with the load stack's settings; its stdout, or LoadFailed with the log."""
    with open(log, "a", encoding="utf-8") as errors:
        done = subprocess.run(
            [sys.executable, "-m", "bench.load.stack", *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            timeout=timeout,
        )
    if done.returncode != 0:
        raise LoadFailed(f"bench.load.stack {command[0]} failed (exit {done.returncode}); see {log}")
    return done.stdout


def _prepare_database(database: str, log_dir: Path) -> tuple[Path, str]:
    """The run's database, cloned from the day's template (built first when missing or stale); returns the
    template's media folder and what was done."""
    key = _template_key()
    template = f"{database}_tpl"
    media = CACHE / key / "media"
    with _admin() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
        ).fetchone()
        fresh = row is not None and row[0] == key and media.parent.is_dir()
        _drop(conn, database)
        if not fresh:
            started = time.perf_counter()
            _drop(conn, template)
            conn.execute(f'CREATE DATABASE "{template}"')
            for old in CACHE.glob("*"):
                shutil.rmtree(old, ignore_errors=True)
            media.mkdir(parents=True)
            env = _stack_env(template, media.parent, MEDIA_ROOT=str(media), LOG_LEVEL="WARNING")
            _stack(["build"], env, log_dir / "build.log", timeout=900)
            conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{key}'")
            how = f"template built (migrate, load_demo, seed) in {time.perf_counter() - started:.0f} s"
        else:
            how = "template of today reused"
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    return media, how


# Processes --------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.startswith("#"):
            entries[name.strip()] = command.strip()
    return entries


def _start(command: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """A Procfile line through the shell (it expands ``${WEB_BIND:-…}``), in a process group of its own."""
    with open(log, "w", encoding="utf-8") as stream:
        return subprocess.Popen(
            ["sh", "-c", f"exec {command}"],
            cwd=ROOT,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LoadFailed(f"gunicorn exited ({process.returncode}) before answering")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise LoadFailed(f"{url} did not answer 200 within {timeout:.0f} s")


def _wait_log(log: Path, text: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LoadFailed(f"the Celery worker exited ({process.returncode}) before it was ready")
        if text in log.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.3)
    raise LoadFailed(f"the Celery worker did not log {text!r} within {timeout:.0f} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (to the login page: the session was not accepted) is an error, not a page."""

    def redirect_request(self, *args, **kwargs):
        return None


def _warm_up(url: str, scenario_file: Path, workers: int) -> None:
    """A server that has been up for a while: every page rendered a few times (each gunicorn worker compiles its
    templates and opens its connections on first use), so the figures are of a warm stack, not of its start."""
    data = json.loads(scenario_file.read_text(encoding="utf-8"))
    kecamatan, operator = data["kecamatan"][0], data["operators"][0]
    desa = data["desa"][0]
    pages = [
        (kecamatan, p)
        for p in ("/", "/monev/", f"/monev/desa/{desa}/", "/absensi/", "/absensi/rekap/", f"/absensi/rekap/{desa}/")
    ]
    pages += [(operator, "/"), (operator, f"/monev/kewajiban/{operator['obligations'][0]}/")]
    pages += [(None, data["baseline"]), (None, f"/iclock/getrequest?SN={data['devices'][0]['serial']}")]
    opener = urllib.request.build_opener(_NoRedirect)
    for _round in range(2 * workers):
        for who, path in pages:
            request = urllib.request.Request(f"{url}{path}")
            if who is not None:
                request.add_header("Cookie", f"{data['session_cookie']}={who['session']}")
            with opener.open(request, timeout=60) as response:
                if response.status != 200:
                    raise LoadFailed(f"warm-up: {path} answered {response.status}")


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


def _tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# The run ----------------------------------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    from bench.common import sized
    from bench.load import scenario

    return {
        "LOAD_KECAMATAN": sized(scenario.KECAMATAN_USERS, 10),
        "LOAD_OPERATORS": sized(scenario.OPERATORS, 5),
        "LOAD_DEVICES": sized(scenario.PUSH_DEVICES, 40),
        "LOAD_PROBES": 2,
    }


def _locust(url: str, scenario_file: Path, run_dir: Path, duration: int, counts: dict[str, int]) -> int:
    users = sum(counts.values())
    spawn_seconds = 10 if duration > 60 else 5
    env = {
        **os.environ,
        "LOAD_SCENARIO": str(scenario_file),
        "PYTHONPATH": str(ROOT),
        **{k: str(v) for k, v in counts.items()},
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # nothing in the locust process may set Django up
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(1, users // spawn_seconds)),
        "--run-time",
        f"{duration}s",
        "--host",
        url,
        "--csv",
        str(run_dir / "locust"),
        "--stop-timeout",
        "15",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with open(run_dir / "locust.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            return process.wait(timeout=duration + 120)
        finally:
            _stop(process)


def _check_store(stats, verified: dict, counts: dict[str, int], duration: int) -> list[str]:
    """What the machines and operators sent must be in the database, and the worker must have taken it up."""
    from bench.load import scenario

    posts = stats.get("iclock ATTLOG (POST)")
    uploads = stats.get("monev upload (POST)")
    sent = posts.requests if posts else 0
    problems = []
    if sent == 0:
        problems.append("no ATTLOG batch was posted")
    # A request still in flight when locust stops is stored by the server but missing from locust's figures: at
    # most one per simulated user. Fewer stored than answered is a loss.
    if not sent <= verified["attlog_requests"] <= sent + counts["LOAD_DEVICES"]:
        problems.append(f"{sent} ATTLOG posts answered, {verified['attlog_requests']} stored")
    if set(verified["outcomes"]) - {"processed"}:
        problems.append(f"uploads not processed: {verified['outcomes']}")
    expected = verified["attlog_requests"] * scenario.PUNCHES_PER_BATCH
    if not (verified["lines_ok"] == verified["lines_new"] == verified["punches"] == expected):
        problems.append(
            f"{expected} punches sent, {verified['lines_ok']} read, {verified['lines_new']} new, "
            f"{verified['punches']} stored"
        )
    if verified["lines_bad"]:
        problems.append(f"{verified['lines_bad']} punch lines refused")
    if verified["devices_seen"] != counts["LOAD_DEVICES"]:
        problems.append(f"{verified['devices_seen']} of {counts['LOAD_DEVICES']} machines recorded as seen")
    if verified["dirty_left"]:
        problems.append(f"{verified['dirty_left']} (desa, day) still waiting for the worker after {WORKER_WAIT} s")
    if not verified["statuses_today"]:
        problems.append("the worker recomputed no status of today")
    # Beat sends the first heartbeat a minute after it starts: a --quick run is over before that.
    if duration >= 90 and not verified["heartbeat_fresh"]:
        problems.append(f"no heartbeat from beat and the worker during the run (last: {verified['heartbeat']})")
    accepted = uploads.requests if uploads else 0
    if not accepted <= verified["submissions"] <= accepted + counts["LOAD_OPERATORS"]:
        problems.append(f"{accepted} documents accepted, {verified['submissions']} submissions stored")
    return problems


def _print_results(stats, duration: int, baseline_group: str) -> None:
    from bench.common import report
    from bench.load import scenario

    total = stats["Aggregated"]
    machines = sum(r.requests for name, r in stats.items() if name.startswith("iclock"))
    print(
        f"throughput: {total.requests} requests in {duration} s = {total.requests / duration:.1f} requests/s "
        f"(machines {machines / duration:.1f}/s, pages and uploads {(total.requests - machines) / duration:.1f}/s)"
    )
    print(f"errors: {total.failures}")
    base = stats[baseline_group]
    base_p95 = base.p95_ms / 1000
    report(f"p95 {baseline_group} (baseline)", base_p95, base_p95, note=f"{base.requests} requests")
    order = [group for _m, _p, group in scenario.PAGE_GROUPS if group in stats and group != baseline_group]
    for group in order:
        row = stats[group]
        note = f"{row.requests} requests, median {row.median_ms:.0f} ms, max {row.max_ms:.0f} ms"
        # No goal yet: on a saturated server every request waits in the same queue as the baseline, so the
        # ratio says little; the absolute p95 and the errors are the figures to watch.
        report(f"p95 {group}", row.p95_ms / 1000, base_p95, note=note)


def run() -> None:
    from bench.common import BENCH_DATABASE_URL, quick, sized
    from bench.load import scenario

    duration = sized(300, 35)
    counts = _counts()
    web_workers = sized(4, 2)
    database = f"{urlsplit(BENCH_DATABASE_URL).path.lstrip('/')}_load"
    run_dir = Path(tempfile.mkdtemp(prefix="pantau-load-"))
    print(
        f"== load: {counts['LOAD_KECAMATAN']} kecamatan users, {counts['LOAD_OPERATORS']} operators, "
        f"{counts['LOAD_DEVICES']} push machines, {duration} s{' (--quick)' if quick() else ''} =="
    )
    processes: list[subprocess.Popen] = []
    ok = False
    try:
        _flush_redis()
        media, how = _prepare_database(database, run_dir)
        shutil.copytree(media, run_dir / "media")
        port = _free_port()
        env = _stack_env(
            database,
            run_dir,
            WEB_BIND=f"127.0.0.1:{port}",
            WEB_WORKERS=str(web_workers),
            WORKER_CONCURRENCY="2",
            LOG_LEVEL="WARNING",
        )
        procfile = _procfile()
        # The Procfile keeps beat's schedule file in the project's var/; the run keeps it in its own folder.
        worker_command = procfile["worker"].replace(" var/", f" {run_dir}/")
        web = _start(procfile["web"], env, run_dir / "gunicorn.log")
        processes.append(web)
        worker = _start(worker_command, {**env, "LOG_LEVEL": "INFO"}, run_dir / "worker.log")
        processes.append(worker)
        scenario_file = run_dir / "scenario.json"
        _stack(["prepare", str(scenario_file)], env, run_dir / "stack.log", timeout=300)
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/akun/login/", web, timeout=90)
        _wait_log(run_dir / "worker.log", " ready.", worker, timeout=90)
        baseline_path = json.loads(scenario_file.read_text())["baseline"]
        _wait_http(f"{url}{baseline_path}", web, timeout=10)
        baseline_group = scenario.page_group("GET", baseline_path)
        # The run's start is taken before the warm-up: the warm-up polls as the first machine, and a machine's
        # last contact is written at most every 20 s (attendance.push.contact_record), so a start taken after
        # it left that machine "not seen" whenever the run's own contact came within those 20 s.
        since = dt.datetime.now(dt.UTC).isoformat()
        _warm_up(url, scenario_file, web_workers)
        print(
            f"stack: gunicorn ×{web_workers} and Celery worker + beat (the Procfile's lines), PostgreSQL "
            f"{database}, Redis {os.environ['REDIS_URL']}; {how}; baseline {baseline_path}"
        )
        _locust(url, scenario_file, run_dir, duration, counts)
        stats_file = run_dir / "locust_stats.csv"
        if not stats_file.exists():
            raise LoadFailed(f"locust wrote no statistics:\n{_tail(run_dir / 'locust.log')}")
        stats = scenario.parse_stats(stats_file.read_text(encoding="utf-8"))
        failures = []
        for name in ("locust_failures.csv", "locust_exceptions.csv"):
            path = run_dir / name
            if path.exists():
                failures += scenario.parse_failures(path.read_text(encoding="utf-8"))
        verified = json.loads(_stack(["verify", since, str(WORKER_WAIT)], env, run_dir / "stack.log", timeout=180))
        _print_results(stats, duration, baseline_group)
        print(
            f"push: {verified['attlog_requests']} ATTLOG batches stored and processed "
            f"({verified['outcomes']}), {verified['punches']} punches stored "
            f"({verified['lines_ok']} lines read, {verified['lines_bad']} refused) from "
            f"{verified['devices_seen']} machines"
        )
        print(
            f"worker: {verified['statuses_today']} statuses of today recomputed in {verified['desa_recomputed']} desa "
            f"({verified['statuses_from_punches']} with an arrival or departure), {verified['dirty_left']} (desa, day) "
            f"left; heartbeat {verified['heartbeat'] or 'not due yet'}; {verified['submissions']} documents handed in"
        )
        problems = _check_store(stats, verified, counts, duration)
        exceptions = sum(n for method, _name, _error, n in failures if method == "-")
        total_errors = stats["Aggregated"].failures + exceptions
        if total_errors or failures or problems:
            for method, name, error, occurrences in failures:
                print(f"  FAILED {occurrences:>5} × {method} {name}: {error}")
            for problem in problems:
                print(f"  FAILED {problem}")
            raise LoadFailed(f"the load run had {total_errors} failed requests and {len(problems)} other problems")
        ok = True
    finally:
        for process in reversed(processes):
            _stop(process)
        try:
            _flush_redis()
        except Exception as exc:  # cleaning up must not hide the run's own error
            print(f"(redis not flushed: {exc})")
        if ok:
            with _admin() as conn:
                _drop(conn, database)
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            print(f"load run failed: logs in {run_dir}, database {database} kept for inspection")
            for name in ("gunicorn.log", "worker.log", "locust.log", "stack.log", "build.log"):
                tail = _tail(run_dir / name)
                if tail:
                    print(f"--- {name} (last lines) ---\n{tail}")

"""The load test's plain parts (bench/load/): the page groups, locust's CSV readers, and that the locustfile
parses. Locust itself never runs here: importing it patches the standard library with gevent, and the load
runs only under ``python -m bench load``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bench.load import scenario

ROOT = Path(__file__).resolve().parent.parent

STATS = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
GET,baseline /healthz,66,0,9,12.5,2,41,15.0,1.9,0.0,9,11,13,14,20,22,30,41,41,41,41
POST,iclock ATTLOG (POST),40,2,77,90.1,30,289,6.0,1.1,0.06,77,90,110,120,160,190,250,289,289,289,289
GET,monev board,0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
,Aggregated,106,2,40,42.0,2,289,10.0,3.0,0.06,40,60,80,90,120,180,240,289,289,289,289
"""

FAILURES = """\
Method,Name,Error,Occurrences
POST,iclock ATTLOG (POST),"CatchResponseError('HTTP 500: \\'ERROR\\'')",2
"""

EXCEPTIONS = """\
Count,Message,Traceback,Nodes
1,KeyError('obligations'),"Traceback …",local
"""


@pytest.mark.parametrize(
    ("method", "url", "group"),
    [
        ("GET", "/", "home"),
        ("GET", "http://127.0.0.1:8000/monev/", "monev board"),
        ("GET", "/monev/desa/35.24.13.2005/", "monev desa page"),
        ("GET", "/monev/kewajiban/12/", "monev obligation page"),
        ("POST", "/monev/kewajiban/12/kirim/", "monev upload (POST)"),
        ("GET", "/absensi/", "absensi today"),
        ("GET", "/absensi/rekap/", "absensi month recap"),
        ("GET", "/absensi/rekap/35.24.13.2005/", "absensi desa recap"),
        ("GET", "/iclock/cdata?SN=BEBAN0001&options=all", "iclock handshake"),
        ("POST", "/iclock/cdata?SN=BEBAN0001&table=ATTLOG&Stamp=3", "iclock ATTLOG (POST)"),
        ("get", "/iclock/getrequest?SN=BEBAN0001", "iclock getrequest"),
        ("GET", "/healthz", "baseline /healthz"),
        ("GET", "/akun/login/", "baseline login page"),
    ],
)
def test_it_names_a_request_by_its_page_not_its_url(method, url, group):
    assert scenario.page_group(method, url) == group


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/perangkat/"), ("POST", "/monev/kewajiban/12/"), ("GET", "/monev/kewajiban/12/kirim/")],
)
def test_it_refuses_a_request_without_a_group(method, url):
    with pytest.raises(ValueError, match="no page group"):
        scenario.page_group(method, url)


def test_it_reads_locust_stats():
    rows = scenario.parse_stats(STATS)
    assert rows["baseline /healthz"].p95_ms == 22
    attlog = rows["iclock ATTLOG (POST)"]
    assert (attlog.method, attlog.requests, attlog.failures, attlog.median_ms, attlog.max_ms) == (
        "POST",
        40,
        2,
        77,
        289,
    )
    assert rows["monev board"].p95_ms is None  # nothing measured: "N/A", not 0
    assert rows["Aggregated"].requests == 106
    assert rows["Aggregated"].rps == 3.0


def test_it_refuses_a_csv_that_is_not_locusts_stats():
    with pytest.raises(ValueError, match="Aggregated"):
        scenario.parse_stats(FAILURES)


def test_it_reads_failures_and_exceptions():
    assert scenario.parse_failures(FAILURES) == [
        ("POST", "iclock ATTLOG (POST)", "CatchResponseError('HTTP 500: \\'ERROR\\'')", 2)
    ]
    assert scenario.parse_failures(EXCEPTIONS) == [("-", "exception", "KeyError('obligations')", 1)]


def test_the_locustfile_parses_and_names_every_request_through_the_page_groups():
    """Parsed, not imported (importing locust would patch this process with gevent); each user class the
    bench sizes is there, and every request names its page group instead of its URL."""
    source = (ROOT / "bench" / "load" / "locustfile.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    assert {"KecamatanUser", "OperatorUser", "PushDevice", "Probe"} <= classes
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "post") and "client" in ast.unparse(func):
            names = [k for k in call.keywords if k.arg == "name"]
            assert names and "page_group" in ast.unparse(names[0].value), ast.unparse(call)


def test_the_bench_never_imports_locust():
    """Only the locust subprocess may import locust (gevent's monkey-patching)."""
    for path in (ROOT / "bench" / "bench_load.py", ROOT / "bench" / "load" / "scenario.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
        }
        assert "locust" not in imported and "gevent" not in imported, path


def _verified(**changes) -> dict:
    base = {
        "attlog_requests": 40,
        "outcomes": {"processed": 40},
        "lines_ok": 120,
        "lines_new": 120,
        "punches": 120,
        "lines_bad": 0,
        "devices_seen": 40,
        "dirty_left": 0,
        "statuses_today": 170,
        "heartbeat_fresh": False,
        "heartbeat": None,
        "submissions": 5,
    }
    return {**base, **changes}


COUNTS = {"LOAD_KECAMATAN": 10, "LOAD_OPERATORS": 5, "LOAD_DEVICES": 40}


def _stats(posts: int, uploads: int) -> dict:
    from types import SimpleNamespace

    return {
        "iclock ATTLOG (POST)": SimpleNamespace(requests=posts),
        "monev upload (POST)": SimpleNamespace(requests=uploads),
    }


def test_the_store_check_passes_what_was_sent_and_stored():
    from bench.bench_load import _check_store

    assert _check_store(_stats(40, 5), _verified(), COUNTS, 35) == []


def test_the_store_check_allows_requests_in_flight_at_the_stop_but_never_a_loss():
    """A request the server stored while locust stopped is missing from locust's figures (at most one per user);
    fewer stored than answered is a loss and fails."""
    from bench.bench_load import _check_store

    assert _check_store(_stats(40, 3), _verified(), COUNTS, 35) == []  # 2 uploads in flight at the stop
    assert _check_store(_stats(38, 5), _verified(), COUNTS, 35) == []  # 2 batches in flight
    lost_upload = _check_store(_stats(40, 6), _verified(), COUNTS, 35)
    assert lost_upload == ["6 documents accepted, 5 submissions stored"]
    lost_batch = _check_store(_stats(41, 5), _verified(), COUNTS, 35)
    assert lost_batch == ["41 ATTLOG posts answered, 40 stored"]
    assert _check_store(_stats(40, 5), _verified(punches=119), COUNTS, 35)  # a punch missing
    assert _check_store(_stats(40, 5), _verified(devices_seen=39), COUNTS, 35)

"""Bad configuration stops the process at start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import env

ROOT = Path(__file__).resolve().parents[2]


def start_django(tmp_path, **overrides) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG")}
    environ.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "VAR_DIR": str(tmp_path)})
    environ.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path):
    result = start_django(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_it_refuses_a_bad_boolean(tmp_path):
    result = start_django(tmp_path, SECRET_KEY="x" * 50, DEBUG="ture")
    assert result.returncode != 0
    assert "Unexpected value DEBUG='ture'" in result.stderr


def test_it_refuses_an_unknown_time_zone(tmp_path):
    result = start_django(tmp_path, SECRET_KEY="x" * 50, TIME_ZONE="Asia/Jakart")
    assert "Unexpected value TIME_ZONE='Asia/Jakart'" in result.stderr


def test_it_starts_with_a_secret_key_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 50)
    result = start_django(tmp_path, SECRET_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_debug_generates_a_local_key_once(tmp_path):
    assert start_django(tmp_path, DEBUG="true").returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert start_django(tmp_path, DEBUG="true").returncode == 0
    assert (tmp_path / "secret_key").read_text() == first


@pytest.mark.parametrize("value,expected", [("true", True), ("Off", False), ("1", True), ("no", False)])
def test_env_bool_accepts_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("X_FLAG", value)
    assert env.env_bool("X_FLAG", not expected) is expected


def test_env_int_names_the_variable(monkeypatch):
    monkeypatch.setenv("UPLOAD_MAX_MB", "dua puluh")
    with pytest.raises(ImproperlyConfigured, match="UPLOAD_MAX_MB"):
        env.env_int("UPLOAD_MAX_MB", 20)


def test_defaults_are_indonesian(settings):
    assert settings.LANGUAGE_CODE == "id"
    assert settings.TIME_ZONE == "Asia/Jakarta"


def test_manage_py_works_on_a_fresh_checkout_and_keeps_its_key(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG")}
    environ.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "VAR_DIR": str(tmp_path)})
    command = [sys.executable, "manage.py", "check"]
    result = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    key = key_file.read_text()
    assert len(key.strip()) >= 50 and (key_file.stat().st_mode & 0o777) == 0o600
    subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120, check=True)
    assert key_file.read_text() == key  # generated once, then reused

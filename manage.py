#!/usr/bin/env python
import os
import secrets
import sys
from pathlib import Path


def _local_secret_key_file() -> Path:
    """The local install's key, kept in VAR_DIR/secret_key (the file `make run` makes). manage.py is the local
    tool, so on a fresh checkout it makes the file too and every `manage.py …` command works. Servers started
    another way (gunicorn on portal.wsgi) still refuse to start without SECRET_KEY when DEBUG is off."""
    var_dir = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent / "var")
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
    return path


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if "SECRET_KEY" not in os.environ and "SECRET_KEY_FILE" not in os.environ:
        os.environ["SECRET_KEY_FILE"] = str(_local_secret_key_file())
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

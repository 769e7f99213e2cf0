#!/usr/bin/env python
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # The local install keeps its generated key in var/secret_key (`make run` creates it), so the README's
    # `.venv/bin/python manage.py …` commands work there too. Without that file, and without SECRET_KEY in
    # the environment, settings still refuse to start when DEBUG is off.
    local_key = Path(__file__).resolve().parent / "var" / "secret_key"
    if "SECRET_KEY" not in os.environ and "SECRET_KEY_FILE" not in os.environ and local_key.exists():
        os.environ["SECRET_KEY_FILE"] = str(local_key)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

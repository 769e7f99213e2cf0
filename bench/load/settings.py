"""The load stack's settings: production settings (``portal.settings``, ``DEBUG`` off) with one change. Static
files use Django's plain storage instead of whitenoise's compressed manifest, so the stack needs no
``collectstatic`` (a minute on a 2-core machine, longer than the whole ``--quick`` budget). The scenario
requests no static file, and a page's ``{% static %}`` costs a dictionary lookup either way."""

from portal.settings import *  # noqa: F403
from portal.settings import STATIC_ROOT, STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

# Pantau Desa — two commands: `make run` and `make test`. See README.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

# `make run` keeps a generated secret key in var/ (settings refuse to start without one when DEBUG is off).
ifndef SECRET_KEY
run: export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key
endif
# The demo's fingerprint machines are emulators on 127.0.0.1; a server keeps loopback refused.
run: export ATTENDANCE_ALLOW_LOOPBACK ?= true

.PHONY: install run web test lint bench chromium clean-var messages audit

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# xstatic-bootstrap (Bootstrap 5 CSS served offline) still builds with pkg_resources: pin setuptools<81
	# and build without isolation so that pin applies.
	$(BIN)/pip install -q 'setuptools<81' wheel
	$(BIN)/pip install -q --no-build-isolation -r requirements.lock
	$(BIN)/pip install -q --no-build-isolation --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

var/secret_key:
	mkdir -p var
	$(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	chmod 600 $@

# Install, migrate, load the Pucuk demo once, then web + Celery worker with embedded beat in one terminal.
run: install $(if $(SECRET_KEY),,var/secret_key)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py load_demo
	# The venv first on PATH: Procfile commands (gunicorn, celery) run from it.
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

chromium:
	bash scripts/ensure-chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# Known vulnerabilities in the pinned dependencies (pip-audit against PyPI's advisory data). Accepted ones are
# listed with their reason in .ci/pip-audit-allow.txt. --strict: a dependency that could not be audited fails.
audit:
	test -x $(VENV)/audit/bin/pip-audit || ($(PY) -m venv $(VENV)/audit && $(VENV)/audit/bin/pip install -q 'pip-audit>=2.7')
	$(VENV)/audit/bin/pip-audit --strict --no-deps --disable-pip -r requirements.lock \
		$$(grep -v '^#' .ci/pip-audit-allow.txt | awk 'NF {print "--ignore-vuln", $$1}')

bench: install
	$(BIN)/python -m bench $(ARGS)

messages: install
	cd portal && ../$(BIN)/python ../manage.py compilemessages

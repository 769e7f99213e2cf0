# Production image: gunicorn + whitenoise for web; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/data MEDIA_ROOT=/data/media STATIC_ROOT=/app/static

# WeasyPrint needs Pango; gettext compiles translations. `manage.py backup` runs pg_dump, whose major version must
# be at least the server's (docker-compose runs postgres:16; bookworm's own postgresql-client is 15, and pg_restore
# 15 cannot read a dump of pg_dump 16): postgresql-client-16 from the PostgreSQL project's apt repository.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core gettext ca-certificates curl gnupg \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
      https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-16 \
 && apt-get purge -y --auto-remove curl gnupg \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install 'setuptools<81' wheel \
 && pip install --no-build-isolation -r requirements.lock
COPY . .
RUN pip install --no-build-isolation --no-deps . \
 && SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input -v0 \
 && useradd --system --home /app pantau && mkdir -p /data/media /data/backups && chown -R pantau /data
USER pantau
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

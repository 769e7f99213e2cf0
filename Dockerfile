# Production image: gunicorn + whitenoise for web; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/data MEDIA_ROOT=/data/media STATIC_ROOT=/app/static

# WeasyPrint needs Pango; gettext compiles translations.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install 'setuptools<81' wheel \
 && pip install --no-build-isolation -r requirements.lock
COPY . .
RUN pip install --no-build-isolation --no-deps . \
 && SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input -v0 \
 && useradd --system --home /app pantau && mkdir -p /data && chown pantau /data
USER pantau
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

# syntax=docker/dockerfile:1
# Production image of the School Improvement Hub API.
#   docker build -t sih .
#   docker run --env-file .env -p 8000:8000 sih
# It migrates the database on start (idempotent at head), then serves with
# WEB_CONCURRENCY uvicorn workers as the non-root user "sih".

# --- build: a venv with the project and its runtime dependencies (no dev extras) ---------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The code stays in /app, with migrations/ beside app/ where app.core.db looks for them,
# so the project is installed in place (editable) and the runtime stage copies both paths.
WORKDIR /app
# alembic.ini* : copied when present (the glob lets the build work without it).
COPY pyproject.toml README.md alembic.ini* ./
COPY app ./app
COPY migrations ./migrations
RUN pip install -e . \
 && find /app /opt/venv -name '__pycache__' -type d -prune -exec rm -rf {} +

# --- runtime ------------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SIH_ENVIRONMENT=production \
    WEB_CONCURRENCY=2
RUN groupadd --system --gid 10001 sih \
 && useradd --system --uid 10001 --gid sih --home-dir /app --shell /usr/sbin/nologin sih
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
# data/ is only written outside production (SQLite, dev JWT key); owned by sih so it can be used.
RUN mkdir -p /app/data && chown sih:sih /app/data
USER sih
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Behind a load balancer set FORWARDED_ALLOW_IPS to its address so --proxy-headers trusts it.
CMD ["sh", "-c", "python -m app.cli migrate && exec uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY} --proxy-headers --no-server-header"]

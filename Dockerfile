# syntax=docker/dockerfile:1.7
# Multi-stage build: dependencies are installed in a builder, the runtime image holds only the
# virtualenv and the code, and runs as an unprivileged user.

FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY app ./app
COPY planner ./planner
RUN pip install --upgrade pip && pip install . \
    && pybabel compile -d /opt/venv/lib/python3.11/site-packages/app/web/translations

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KOPDES_ENVIRONMENT=prod \
    WEB_CONCURRENCY=2
RUN groupadd --system kopdes && useradd --system --gid kopdes --home /srv/kopdes kopdes
WORKDIR /srv/kopdes
COPY --from=builder /opt/venv /opt/venv
COPY alembic.ini ./
COPY alembic ./alembic
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER kopdes
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]

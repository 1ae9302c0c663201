# syntax=docker/dockerfile:1
# Fusion Hub: multi-stage build, pinned slim base, non-root, no configuration or secrets inside.
# Configuration comes from HUB_* environment variables; keys and the keyring live in the
# mounted data volume (/var/lib/fusion-hub), never in the image.

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY hub ./hub
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install .

FROM python:3.11.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 hub \
 && useradd --system --uid 10001 --gid hub --home-dir /var/lib/fusion-hub --shell /usr/sbin/nologin hub \
 && install -d -o hub -g hub -m 0700 /var/lib/fusion-hub
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HUB_DATA_DIR=/var/lib/fusion-hub \
    HUB_HOST=0.0.0.0 \
    HUB_PORT=8000
WORKDIR /var/lib/fusion-hub
USER hub
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# The tenants/ and policies/ directories are mounted read-only at /etc/fusion-hub.
ENTRYPOINT ["fusion-hub"]
CMD ["serve"]

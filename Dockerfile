# MedPath for a study team's server: docker compose up -d  (see docs/deployment.md, "Run on a server").
#
# The base image is pinned by digest through PYTHON_IMAGE: compose.yaml requires MEDPATH_PYTHON_IMAGE, e.g.
#   MEDPATH_PYTHON_IMAGE=python:3.11-slim@sha256:<digest of the python:3.11-slim you reviewed>
# (docs/deployment.md: "Pinning the base image"). The default below is for a plain `docker build .` only.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0

WORKDIR /app
# Exactly the locked versions of the runtime packages (pyproject.toml's dependencies and `app` extra), no resolver.
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock

RUN useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --uid 10001 medpath
# The application, owned by root and read-only for the runtime user; medpath (with its sample study)
# is imported from /app, the directory of dashboard.py.
COPY dashboard.py ./
COPY pages ./pages
COPY medpath ./medpath
COPY deploy/healthcheck.py ./deploy/healthcheck.py
COPY .streamlit/config.toml ./.streamlit/config.toml
USER medpath

EXPOSE 8501
# Follows server.port and server.baseUrlPath (config.toml or STREAMLIT_SERVER_* in the environment).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]

CMD ["python", "-m", "streamlit", "run", "dashboard.py"]

# MedPath for a study team's server: docker compose up -d  (see README, "Run on a server").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 10001 medpath
COPY --chown=medpath:medpath dashboard.py ./
COPY --chown=medpath:medpath pages ./pages
COPY --chown=medpath:medpath medpath ./medpath
COPY --chown=medpath:medpath data/sample ./data/sample
COPY --chown=medpath:medpath .streamlit/config.toml ./.streamlit/config.toml
USER medpath

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"

CMD ["python", "-m", "streamlit", "run", "dashboard.py", "--server.port=8501", "--server.address=0.0.0.0"]

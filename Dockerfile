# The B12 follow-up app for a clinic's server: `docker build -t b12-follow-up .`, then run it with
# the deployment's settings (README, "Hosting"). CI runs the same install and start commands outside
# Docker (tests/test_hosting.py), and lints this file with hadolint.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py navigation.py ./
COPY .streamlit/config.toml .streamlit/config.toml
COPY assets assets
COPY b12core b12core
COPY data/sample data/sample
COPY pages pages
COPY ui ui

# No root at run time; the share store's SQLite file (without PostgreSQL) goes to the user's home.
RUN useradd --create-home --uid 10001 b12
USER 10001

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8501", "--proxy-headers", "--timeout-graceful-shutdown", "20"]

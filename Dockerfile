# Production image: gunicorn serving the app, no dev or test dependencies, no embedded database.
FROM python:3.11.14-slim-bookworm

# WEB_CONCURRENCY is left to its default: four sync workers per CPU the container is given (its CPU quota counted),
# bounded by its memory (config.py, README "Performance").
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEPLOYMENT=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    HEALTH_PORT=8081

WORKDIR /srv/provisioning
COPY requirements.txt .
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
    && useradd --system --no-create-home --uid 10001 provisioning
COPY config.py wsgi.py gunicorn.conf.py pyproject.toml ./
COPY app ./app
# The project itself, for the provisioning command (its operator commands) on the PATH; its dependencies are above.
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps . && rm -rf build ./*.egg-info

USER 10001
EXPOSE 8080 8081
# Health from gunicorn's master (HEALTH_PORT): it answers while every worker is busy, which is not being down.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('HEALTH_PORT', '8081')}/services/rest/health\", timeout=4)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]

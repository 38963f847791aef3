# Production image: gunicorn serving the app, no dev or test dependencies, no embedded database.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8080

WORKDIR /srv/provisioning
COPY requirements.txt .
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
    && useradd --system --no-create-home --uid 10001 provisioning
COPY config.py wsgi.py gunicorn.conf.py ./
COPY app ./app

USER provisioning
EXPOSE 8080
CMD ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]

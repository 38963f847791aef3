"""The WSGI entry point gunicorn serves and `flask --app wsgi` runs commands on."""
from app import create_app

app = create_app()

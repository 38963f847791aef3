"""The floor for the HTTP layer: a bare Flask view, served by the same gunicorn configuration."""
from flask import Flask

app = Flask(__name__)


@app.post("/services/rest/bare")
def bare():
    return {"id": "0" * 24, "status": 0}, 201

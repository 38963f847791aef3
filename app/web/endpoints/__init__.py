"""The API's endpoints, by what they concern: importing this package declares each of them on api."""
from app.web.endpoint import api
from app.web.endpoints import api_keys, creates, credits, customers, events, imports, service, users, webhooks

__all__ = ["api", "api_keys", "creates", "credits", "customers", "events", "imports", "service", "users", "webhooks"]

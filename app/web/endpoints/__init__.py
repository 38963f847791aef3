"""The API's endpoints, by what they concern: importing this package declares each of them on api."""
from app.web.endpoint import api
from app.web.endpoints import creates, customers, service, users

__all__ = ["api", "creates", "customers", "service", "users"]

"""Smart Market: the Django project package (settings, urls, Celery app, shared plumbing)."""

from project.celery import app as celery_app

__all__ = ["celery_app"]

"""Almanac's Celery worker: `celery -A almanac.worker worker`."""

from almanac.worker.celery_app import app

__all__ = ["app"]

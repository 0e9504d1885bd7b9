"""A Celery client for the API: sends tasks by name, reads results, pings workers."""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from almanac.core import tasks
from almanac.core.settings import get_settings


@lru_cache(maxsize=1)
def celery_client() -> Celery:
    settings = get_settings()
    client = Celery("almanac-api", broker=settings.redis_url, backend=settings.redis_url)
    client.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_extended=True,
        task_routes=tasks.TASK_ROUTES,
        task_default_queue=tasks.QUEUE_DEFAULT,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        broker_transport_options={"socket_connect_timeout": 3, "socket_timeout": 5}
        | tasks.BROKER_PRIORITY_OPTIONS,
        redis_socket_connect_timeout=3,
        redis_socket_timeout=5,
    )
    return client

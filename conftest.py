"""Fixtures shared by every member's tests: the real PostgreSQL, Redis and HTTP.

The test session gets its own database (created here, dropped at the end) and
its own Redis db number; the variables are set before any Almanac module reads
its settings.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tests.support.api_keys import API_KEY, AUTH
from tests.support.http_server import LocalHTTPServer
from tests.support.processes import Process
from tests.support.workers import start_worker

SESSION_KEY = "almanac:test-session"
"""Held in the Redis db a test session uses, so that concurrent sessions take different ones."""
TEST_DATABASE = f"almanac_test_{os.getpid()}_{secrets.token_hex(3)}"
PG_SERVER = os.environ.get("ALMANAC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("ALMANAC_TEST_REDIS", "redis://127.0.0.1:6379")
CORPUS = Path(__file__).resolve().parent.parent / "shared" / "corpus"
FIXTURES_FIRST_DAY = date(2026, 12, 3)
"""The first event of the feeds the tests serve to workers (`folk-club.ics`, from 3 to
24 December 2026). A worker reads a feed as of today and keeps what ends after its
window opens, `ALMANAC_PAST_DAYS` back: the window reaches back to there, however late
the tests run."""


def _claim_redis_db() -> int:
    """A Redis db (1–15) no other test session on this machine is using: two
    sessions sharing one would take each other's tasks."""
    import redis

    for db in range(1, 16):
        client = redis.Redis.from_url(f"{REDIS_SERVER}/{db}")
        try:
            if client.set(SESSION_KEY, str(os.getpid()), nx=True, ex=3 * 3600):
                return db
        except redis.RedisError:
            break
        finally:
            client.close()
    return 1 + os.getpid() % 15


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{PG_SERVER}/{TEST_DATABASE}",
            "REDIS_URL": f"{REDIS_SERVER}/{_claim_redis_db()}",
            "ALMANAC_ENV": "test",
            "ALMANAC_TIMEZONE": "America/New_York",
            "ALMANAC_PAST_DAYS": str(max(1, (date.today() - FIXTURES_FIRST_DAY).days + 1)),
            "ALMANAC_BEAT_SCHEDULE_FILE": f"/tmp/{TEST_DATABASE}-beat-schedule",
            # The local test server lives on 127.0.0.1, and tests need no pauses between
            # requests unless they are about politeness (those set their own policy).
            "ALMANAC_ALLOW_PRIVATE_NETWORKS": "true",
            "ALMANAC_HOST_MIN_INTERVAL_SECONDS": "0",
            "ALMANAC_FETCH_RETRY_BASE_SECONDS": "0.05",
            "ALMANAC_TASK_RETRY_BASE_SECONDS": "0.2",
            "ALMANAC_TASK_MAX_RETRIES": "2",
            "ALMANAC_API_KEYS": API_KEY,
        }
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give the Redis db back, whether or not a test used it."""
    import redis

    url = os.environ.get("REDIS_URL")
    if not url:
        return
    client = redis.Redis.from_url(url)
    try:
        if client.get(SESSION_KEY) == str(os.getpid()).encode():
            client.delete(SESSION_KEY)
    except redis.RedisError:
        pass
    finally:
        client.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """The session's own database, migrated to head; dropped when the session ends."""
    from almanac.db import migrate

    url = os.environ["DATABASE_URL"]
    migrate.ensure_database(url)
    migrate.upgrade(url)
    yield url
    from almanac.db.engine import engine_for

    engine_for.cache_clear()
    migrate.drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    from almanac.db.engine import engine_for

    engine = engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose outer transaction is rolled back after the test."""
    with engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """A session factory whose commits become savepoints inside the test's transaction."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def committed_db(engine: Engine) -> Iterator[None]:
    """For tests whose data other processes must see: tables are emptied afterwards."""
    from sqlalchemy import text

    from almanac.db.models import Base

    yield
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    # A worker may still be writing a task's last record (its signals run after the
    # result is sent) and take its locks in another order: PostgreSQL then ends one
    # side as a deadlock, and the emptying is simply tried again.
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The session's own Redis db, emptied before and after."""
    import redis

    url = os.environ["REDIS_URL"]
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.set(SESSION_KEY, str(os.getpid()), ex=3 * 3600)  # still this session's
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing: expected it at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="module")
def worker_process(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    """A real Celery worker started from the Procfile line, shared by a module's tests."""
    worker = start_worker("worker", "celery", tmp_path_factory.mktemp("worker"), dict(os.environ))
    yield worker
    worker.stop()


@pytest.fixture(scope="module")
def maintenance_process(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    """The Procfile's maintenance worker (daily run, schedules, pruning), shared by a module."""
    logs = tmp_path_factory.mktemp("maintenance")
    worker = start_worker("maintenance", "maintenance", logs, dict(os.environ))
    yield worker
    worker.stop()


@pytest.fixture
def client(sessions: sessionmaker[Session], redis_url: str) -> Iterator[TestClient]:
    """The API in this process, its database sessions inside the test's transaction.

    It sends the session's API key with every request; a test about keys
    overrides or drops the `Authorization` header.
    """
    from almanac.api.deps import get_session
    from almanac.api.main import app
    from almanac.api.reads import get_reads
    from tests.support.session_reads import reads_in

    def session() -> Iterator[Session]:
        with sessions() as s:
            yield s

    app.dependency_overrides[get_session] = session
    app.dependency_overrides[get_reads] = reads_in(sessions)
    with TestClient(app, headers=AUTH) as client:
        yield client
    app.dependency_overrides.clear()

"""Sessions come from one factory per engine, so every session of a process is of one
class, whose event set-up SQLAlchemy has made once."""

from __future__ import annotations

from sqlalchemy import Engine, text

from almanac.db import engine as engines


def test_every_session_of_the_database_is_of_one_class(database_url: str) -> None:
    first, second = engines.session_factory()(), engines.session_factory()()
    try:
        assert type(first) is type(second)
        assert first.get_bind() is second.get_bind() is engines.get_engine()
    finally:
        first.close()
        second.close()


def test_another_engine_gets_sessions_of_its_own(own_engine: Engine) -> None:
    factory = engines.session_factory(own_engine)
    assert engines.session_factory(own_engine) is factory
    assert factory is not engines.session_factory()
    with factory() as session:
        assert session.get_bind() is own_engine
        assert session.execute(text("SELECT 1")).scalar_one() == 1

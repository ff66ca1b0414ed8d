"""Fixtures every test folder shares: stores on both engines."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import Store, open_store

#: The PostgreSQL server the tests use; .ci/run makes sure one is running.
PG_URL = os.environ.get("LIVE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pg_schema_url() -> Iterator[str]:
    """Yield a URL whose search_path is a fresh schema, dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL on each engine, empty and private to the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.sqlite3'}"
        return
    yield from pg_schema_url()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on each engine."""
    opened = open_store(store_url)
    opened.migrate()
    yield opened
    opened.close()

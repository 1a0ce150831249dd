"""Shared fixtures: settings on a temporary data dir, and a migrated database on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from beg_pipeline.db import migracoes
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import Settings

pytest_plugins = ["tests.pipeline_fixtures", "tests.app_fixtures"]

POSTGRES_URL = os.environ.get("BEG_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_report_header(config):
    return f"BEG database backends: {', '.join(BACKENDS)}"


def pytest_sessionstart(session):
    if os.environ.get("CI") == "true" and not POSTGRES_URL:
        raise pytest.UsageError("CI=true but BEG_TEST_POSTGRES_URL is not set: the PostgreSQL run is mandatory on CI.")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's own BEG_ variables or .env file."""
    for name in list(os.environ):
        if name.startswith("BEG_") and name != "BEG_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def secret_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "beg.db"
    migracoes.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template():
    if not POSTGRES_URL:
        pytest.skip("BEG_TEST_POSTGRES_URL not set")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
        pytest.fail(f"PostgreSQL at BEG_TEST_POSTGRES_URL does not answer: {exc.__class__.__name__}")
    name = f"beg_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migracoes.upgrade(url)
    yield admin, name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_database_url(backend: str, request, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "beg.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    admin, template = request.getfixturevalue("postgres_template")
    name = f"beg_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    request.addfinalizer(lambda: _drop(admin, name))
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop(admin, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """A freshly migrated, empty database on each backend."""
    return _fresh_database_url(request.param, request, tmp_path)


@pytest.fixture
def settings(tmp_path, secret_key, database_url) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key=secret_key, _env_file=None)


@pytest.fixture
def ctx(settings):
    contexto = Contexto(settings)
    yield contexto
    contexto.db.dispose()

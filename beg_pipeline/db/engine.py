"""Engine and sessions: short read sessions, and write transactions that lock early on SQLite."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def criar_engine(url: str, **kwargs) -> Engine:
    """An engine; on SQLite: WAL, foreign keys, busy timeout, and ``BEGIN IMMEDIATE`` for writers."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    _criar_arquivo_privado(make_url(url).database)
    conexao = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    engine = create_engine(url, connect_args=conexao, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("beg_escrita", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _criar_arquivo_privado(caminho: str | None) -> None:
    """Create a missing SQLite file with mode 0600 (SQLite gives its -wal and -shm files the same mode)."""
    if not caminho or caminho == ":memory:" or caminho.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # exists already / no folder: SQLite says so
        os.close(os.open(caminho, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Database:
    """The application's database: ``leitura()`` for reads, ``transacao()`` for read-modify-write."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = criar_engine(url, **engine_kwargs)
        self._leitura = sessionmaker(self.engine, expire_on_commit=False)
        self._escrita = sessionmaker(self.engine.execution_options(beg_escrita=True), expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def leitura(self) -> Iterator[Session]:
        with self._leitura() as session:
            yield session

    @contextmanager
    def transacao(self) -> Iterator[Session]:
        """One short write transaction: committed on success, rolled back on any exception."""
        with self._escrita() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)})"

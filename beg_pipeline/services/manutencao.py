"""Housekeeping: database backups into the object store, restore, and execution-log retention."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from beg_pipeline.db.models import Execucao, agora
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.storage.base import ObjectStore, chave


class BackupFalhou(RuntimeError):
    """pg_dump / pg_restore failed; the message carries their stderr (never the connection password)."""


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", "-d", u.database]
    return args, env


def backup_banco(ctx: Contexto, store: ObjectStore, momento: dt.datetime | None = None) -> str:
    """Copy the database (SQLite backup API or ``pg_dump -Fc``) to ``backups/AAAA-MM-DD/…``; returns the key."""
    momento = momento or agora()
    with tempfile.TemporaryDirectory() as tmp:
        destino = Path(tmp) / "backup"
        if ctx.db.is_sqlite:
            origem = sqlite3.connect(make_url(ctx.db.url).database)
            copia = sqlite3.connect(destino)
            with copia:
                origem.backup(copia)
            origem.close()
            copia.close()
            extensao = "sqlite3"
        else:
            args, env = _pg_args(ctx.db.url)
            feito = subprocess.run(["pg_dump", "-Fc", "-f", str(destino), *args], env=env, capture_output=True,
                                   text=True)
            if feito.returncode:
                raise BackupFalhou(f"pg_dump falhou: {feito.stderr.strip()}")
            extensao = "dump"
        key = chave("backups", momento.strftime("%Y-%m-%d"), f"beg-{momento.strftime('%Y%m%dT%H%M%SZ')}.{extensao}")
        store.put(key, destino.read_bytes(), "application/octet-stream")
    return key


def restaurar_banco(url: str, store: ObjectStore, key: str) -> None:
    """Restore a backup into the database at ``url`` (SQLite file replaced; PostgreSQL via pg_restore --clean)."""
    dados = store.get(key)
    if url.startswith("sqlite"):
        caminho = Path(make_url(url).database)
        temporario = caminho.with_suffix(".restaurando")
        temporario.unlink(missing_ok=True)
        with os.fdopen(os.open(temporario, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as saida:
            saida.write(dados)  # private like the database it replaces
        sqlite3.connect(temporario).execute("PRAGMA integrity_check").fetchone()
        for sufixo in ("-wal", "-shm"):
            Path(f"{caminho}{sufixo}").unlink(missing_ok=True)
        os.replace(temporario, caminho)
        return
    with tempfile.NamedTemporaryFile(suffix=".dump") as arquivo:
        arquivo.write(dados)
        arquivo.flush()
        args, env = _pg_args(url)
        feito = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", *args, arquivo.name], env=env,
                               capture_output=True, text=True)
        if feito.returncode:
            raise BackupFalhou(f"pg_restore falhou: {feito.stderr.strip()}")


def arquivar_logs_antigos(ctx: Contexto, store: ObjectStore, dias: int, momento: dt.datetime | None = None) -> int:
    """Archive the robot logs of executions finished more than ``dias`` ago as JSON lines, then trim them."""
    momento = momento or agora()
    limite = momento - dt.timedelta(days=dias)
    with ctx.db.transacao() as s:
        antigas = s.execute(
            select(Execucao.id, Execucao.processo_id, Execucao.job_id, Execucao.data_fim, Execucao.mensagem_log)
            .where(Execucao.data_fim < limite, Execucao.mensagem_log.is_not(None))
        ).all()
        if not antigas:
            return 0
        linhas = "\n".join(json.dumps({"execucao_id": str(e.id), "processo_id": str(e.processo_id), "job_id": e.job_id,
                                       "data_fim": e.data_fim.isoformat(), "log": e.mensagem_log},
                                      ensure_ascii=False) for e in antigas)
        store.put(chave("arquivo-logs", f"execucoes-{momento.strftime('%Y%m%dT%H%M%SZ')}.jsonl"),
                  linhas.encode("utf-8"), "application/x-ndjson")
        s.execute(update(Execucao).where(Execucao.id.in_([e.id for e in antigas])).values(mensagem_log=None)
                  .execution_options(synchronize_session=False))
    return len(antigas)

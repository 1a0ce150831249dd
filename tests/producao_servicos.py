"""The production topology for tests: a RabbitMQ vhost of its own, a fresh Dagster database, Celery workers."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from beg_pipeline.producao import infraestrutura, topologia
from tests.dagster_servicos import BIN, RAIZ, processos_em_grupo

POSTGRES_URL = os.environ.get("BEG_TEST_POSTGRES_URL")


def servicos_ou_pular() -> None:
    """RabbitMQ and Redis answer (started here when down), or the test is skipped saying why."""
    try:
        infraestrutura.garantir((infraestrutura.RABBITMQ, infraestrutura.REDIS))
    except infraestrutura.ServicoIndisponivel as exc:
        pytest.skip(str(exc))


@contextlib.contextmanager
def vhost_rabbitmq():
    """A vhost only this test uses: queues and leftover messages of other runs never meet it."""
    nome = f"beg_t_{uuid.uuid4().hex[:10]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", nome], check=True, capture_output=True, timeout=60)
    try:
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", nome, "guest", ".*", ".*", ".*"], check=True,
                       capture_output=True, timeout=60)
        yield f"pyamqp://guest:guest@127.0.0.1:5672/{nome}"
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", nome], capture_output=True, timeout=60, check=False)


@contextlib.contextmanager
def banco_dagster(postgres_url: str | None = POSTGRES_URL):
    """A fresh PostgreSQL database for the Dagster instance; yields its DAGSTER_PG_* variables."""
    if not postgres_url:
        pytest.skip("BEG_TEST_POSTGRES_URL not set")
    url = make_url(postgres_url)
    nome = f"dagster_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{nome}"'))
    try:
        yield {"DAGSTER_PG_HOST": url.host or "127.0.0.1", "DAGSTER_PG_PORT": str(url.port or 5432),
               "DAGSTER_PG_USER": url.username or "postgres", "DAGSTER_PG_PASSWORD": url.password or "",
               "DAGSTER_PG_DB": nome}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{nome}" WITH (FORCE)'))
        admin.dispose()


def home_producao(home: Path, monitoramento_s: int = 2) -> Path:
    """$DAGSTER_HOME with deploy/dagster.producao.yaml, run monitoring polled every ``monitoramento_s``."""
    config = yaml.safe_load((RAIZ / "deploy" / "dagster.producao.yaml").read_text())
    config["run_monitoring"]["poll_interval_seconds"] = monitoramento_s
    config["run_monitoring"]["start_timeout_seconds"] = 60
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return home


def comando_worker(nome: str) -> list[str]:
    """One Celery worker's command line, as make prod-local starts it."""
    argv = topologia.WORKER.argv(nome=nome)
    return [str(BIN / argv[0]), *argv[1:]]


def workers(nomes: tuple[str, ...], env: dict[str, str], logs: Path):
    """The named Celery workers, each in its own process group, stopped on exit."""
    return processos_em_grupo({nome: comando_worker(nome) for nome in nomes}, env, logs)


_BACKFILL = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""


def lancar_backfill(porta: int, particoes: list[str], job: str = "downloads_por_operadora_job") -> str:
    """A backfill of ``job``'s ``particoes`` through the webserver's GraphQL API, as the UI launches it."""
    resposta = requests.post(f"http://127.0.0.1:{porta}/graphql", timeout=60, json={
        "query": _BACKFILL, "variables": {"p": {"partitionNames": particoes, "selector": {
            "partitionSetName": f"{job}_partition_set",
            "repositorySelector": {"repositoryLocationName": "beg_pipeline", "repositoryName": "__repository__"}}}}})
    resultado = resposta.json()["data"]["launchPartitionBackfill"]
    if resultado["__typename"] != "LaunchBackfillSuccess":
        raise RuntimeError(f"backfill recusado: {resultado}")
    return resultado["backfillId"]


def workers_prontos(broker: str, n: int, timeout: float = 120) -> None:
    """Wait until ``n`` Celery workers answer a ping on ``broker``."""
    from celery import Celery

    app = Celery(broker=broker)
    limite = time.monotonic() + timeout
    while len(app.control.ping(timeout=1.0)) < n:
        if time.monotonic() > limite:
            raise RuntimeError(f"{n} workers Celery não responderam em {timeout:.0f} s")


def pico_em_voo(jobs: list) -> tuple[int, Counter]:
    """Most robot jobs in flight at once (created → finished, as the client counts them), total and per carrier."""
    eventos = []
    for job in jobs:
        inicio = dt.datetime.fromisoformat(job.created_at)
        fim = dt.datetime.fromisoformat(job.completed_at) if job.completed_at else dt.datetime.max.replace(
            tzinfo=dt.UTC)
        eventos += [(inicio, 1, job.operadora), (fim, -1, job.operadora)]
    total, pico, por_operadora, pico_operadora = 0, 0, Counter(), Counter()
    for _, delta, operadora in sorted(eventos, key=lambda e: (e[0], e[1])):
        total += delta
        por_operadora[operadora] += delta
        pico = max(pico, total)
        pico_operadora[operadora] = max(pico_operadora[operadora], por_operadora[operadora])
    return pico, pico_operadora

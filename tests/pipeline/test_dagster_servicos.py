"""Dagster as ops use it: webserver + daemon launching a partitioned run over GraphQL; storage on PostgreSQL."""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from beg_pipeline.assets.faturas import faturas
from beg_pipeline.assets.processos_mensais import processos_mensais
from beg_pipeline.db.models import Processo
from tests.builders import mes_com_processos
from tests.dagster_servicos import RAIZ, dagster_no_ar, preparar_home
from tests.pipeline_fixtures import recursos_para, simulador

POSTGRES_URL = os.environ.get("BEG_TEST_POSTGRES_URL")


def _esperar_fim(client: DagsterGraphQLClient, run_id: str, timeout: float = 240) -> str:
    limite = time.monotonic() + timeout
    while time.monotonic() < limite:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            return status
        time.sleep(1)
    raise AssertionError(f"run {run_id} não terminou em {timeout} s (último status {status})")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ui_launches_a_partitioned_month_and_it_succeeds(ctx, pipeline_env, tmp_path):
    mes_com_processos(ctx, n_clientes=4, mes_ano="10/2026")
    home = preparar_home(tmp_path / "dagster_home")
    with simulador() as sim, dagster_no_ar(home, {**pipeline_env, "BEG_RPA_URL": sim.base_url}, tmp_path) as porta:
        client = DagsterGraphQLClient("127.0.0.1", port_number=porta)
        run_id = client.submit_job_execution("ciclo_mensal_job", tags={"dagster/partition": "2026-11-01"})
        fim = _esperar_fim(client, run_id)
        assert fim == dg.DagsterRunStatus.SUCCESS, (tmp_path / "daemon.log").read_text()[-3000:]
        assert len(sim.submissoes_por_processo) == 4
    with ctx.db.leitura() as s:
        assert Counter(s.scalars(select(Processo.status_processo).where(Processo.mes_ano == "11/2026"))) == \
            Counter({"AGUARDANDO_APROVACAO": 4})


@pytest.fixture
def dagster_pg_home(tmp_path):
    if not POSTGRES_URL:
        pytest.skip("BEG_TEST_POSTGRES_URL not set")
    url = make_url(POSTGRES_URL)
    nome = f"dagster_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{nome}"'))
    env = {"DAGSTER_PG_HOST": url.host or "127.0.0.1", "DAGSTER_PG_PORT": str(url.port or 5432),
           "DAGSTER_PG_USER": url.username or "postgres", "DAGSTER_PG_PASSWORD": url.password or "",
           "DAGSTER_PG_DB": nome}
    antigos = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield preparar_home(tmp_path / "dagster_pg", RAIZ / "deploy" / "dagster.postgres.yaml")
    for k, v in antigos.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{nome}" WITH (FORCE)'))
    admin.dispose()


def test_instance_storage_on_postgresql(ctx, pipeline_env, dagster_pg_home):
    mes_com_processos(ctx, n_clientes=2, mes_ano="10/2026")
    with dg.DagsterInstance.from_config(str(dagster_pg_home)) as instance, simulador() as sim:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        resultado = dg.materialize([processos_mensais, faturas], partition_key="2026-11-01", instance=instance,
                                   resources=recursos_para(sim))
        assert resultado.success
        assert instance.get_materialized_partitions(dg.AssetKey("faturas")) == {"2026-11-01"}
        assert instance.get_run_by_id(resultado.run_id).status == dg.DagsterRunStatus.SUCCESS

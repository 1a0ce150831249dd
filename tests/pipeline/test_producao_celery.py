"""The production topology on this machine: PostgreSQL-backed Dagster (webserver + daemon) launching runs onto two
Celery workers (RabbitMQ broker, Redis results), a backfill of 2 months × 60 accounts split by carrier, and one
worker SIGKILLed mid-run."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import dagster as dg
import pytest
from sqlalchemy import select

from beg_pipeline.db.models import Cliente, Operadora, Processo
from beg_pipeline.downloads_por_operadora import OPERADORAS
from beg_pipeline.producao.celery_app import TAG_WORKER
from beg_pipeline.rpa.simulador import SimuladorConfig
from tests.builders import mes_com_processos
from tests.dagster_servicos import dagster_no_ar
from tests.pipeline_fixtures import simulador
from tests.producao_servicos import (
    banco_dagster,
    home_producao,
    lancar_backfill,
    pico_em_voo,
    servicos_ou_pular,
    vhost_rabbitmq,
    workers,
)

MESES = {"10/2026": "2026-10-01", "11/2026": "2026-11-01"}
N_CLIENTES = 60
CAP_TOTAL, CAP_OPERADORA = 4, 2  # two runs at once (one per worker) of at most 2 jobs each: never above 4




def _esperar(condicao, timeout: float, descricao: str, intervalo: float = 0.5):
    limite = time.monotonic() + timeout
    while time.monotonic() < limite:
        valor = condicao()
        if valor:
            return valor
        time.sleep(intervalo)
    raise AssertionError(f"esperando {descricao} por {timeout:.0f} s")


def _runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(job_name="downloads_por_operadora_job")))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_celery_workers_share_a_backfill_and_a_killed_worker_loses_nothing(ctx, pipeline_env, tmp_path,
                                                                               monkeypatch):
    servicos_ou_pular()
    for mes_ano in MESES:
        mes_com_processos(ctx, n_clientes=N_CLIENTES, mes_ano=mes_ano)
    with ctx.db.leitura() as s:
        ids = {str(i) for i in s.scalars(select(Processo.id))}
        por_particao: dict[str, set[str]] = {}  # "2026-10-01|OI" → its processes
        for pid, mes_ano, operadora in s.execute(
                select(Processo.id, Processo.mes_ano, Operadora.codigo).join(Cliente, Processo.cliente_id == Cliente.id)
                .join(Operadora, Cliente.operadora_id == Operadora.id)):
            por_particao.setdefault(f"{MESES[mes_ano]}|{operadora}", set()).add(str(pid))
    assert len(ids) == 2 * N_CLIENTES
    config = SimuladorConfig(latencia_s=0.6, jitter_s=0.1, capacidade=20, semente=11)
    with vhost_rabbitmq() as broker, banco_dagster() as pg, simulador(config) as sim:
        home = home_producao(tmp_path / "dagster_home")
        env = {**pipeline_env, **pg, "BEG_RPA_URL": sim.base_url, "BEG_RPA_JOB_TIMEOUT_S": "60",
               "BEG_RPA_MAX_CONCURRENCY": str(CAP_TOTAL), "BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA": str(CAP_OPERADORA),
               "DAGSTER_HOME": str(home), "DAGSTER_CELERY_BROKER_URL": broker,
               "DAGSTER_CELERY_BACKEND_URL": "redis://127.0.0.1:6379/0",
               "DAGSTER_COMPUTE_LOGS_DIR": str(tmp_path / "compute_logs"), "DAGSTER_MAX_CONCURRENT_RUNS": "2"}
        for nome in (n for n in env if n.startswith("DAGSTER_")):  # this process reads the instance too
            monkeypatch.setenv(nome, env[nome])
        with dg.DagsterInstance.from_config(str(home)) as instance:
            operadoras = ["DIGITALNET", "EMBRATEL", "OI", "VIVO"]  # tests.builders' carriers
            instance.add_dynamic_partitions(OPERADORAS.name, operadoras)
            with dagster_no_ar(home, env, tmp_path, timeout=180) as porta, \
                    workers(("worker1", "worker2"), env, tmp_path) as processos:
                particoes = [f"{p}|{o}" for p in MESES.values() for o in operadoras]
                lancar_backfill(porta, particoes)

                def em_voo(particao: str) -> int:
                    return sum(1 for j in list(sim.jobs.values())
                               if j.pedido.processo_id in por_particao[particao] and j.completed_at is None)

                def run_do_worker1_com_jobs():
                    return next((r for r in _runs(instance) if r.status == dg.DagsterRunStatus.STARTED
                                 and r.tags.get(TAG_WORKER, "").startswith("worker1@")
                                 and em_voo(r.tags["dagster/partition"]) >= 1), None)

                vitima = _esperar(run_do_worker1_com_jobs, 240, "um run do worker1 com jobs no robô")
                os.killpg(processos["worker1"].pid, signal.SIGKILL)
                processos["worker1"].wait(30)

                def todos_concluidos():
                    runs = _runs(instance)
                    concluidas = {r.tags["dagster/partition"] for r in runs if r.status == dg.DagsterRunStatus.SUCCESS}
                    return concluidas >= set(particoes) and all(r.is_finished for r in runs)

                _esperar(todos_concluidos, 420, "todas as partições mês × operadora com um run bem-sucedido", 2)
                runs = _runs(instance)
                vitima = instance.get_run_by_id(vitima.run_id)
                retentativas = [r for r in runs if r.tags.get("dagster/parent_run_id") == vitima.run_id]
                logs_retentativa = "\n".join(e.user_message for r in retentativas for e in instance.all_logs(r.run_id))
        assert vitima.status == dg.DagsterRunStatus.FAILURE, vitima.status
        assert [r.status for r in retentativas] == [dg.DagsterRunStatus.SUCCESS]
        assert retentativas[0].tags[TAG_WORKER].startswith("worker2@")
        assert "adotando o job" in logs_retentativa  # the killed run's robot jobs, followed and not resubmitted
        assert {r.tags.get(TAG_WORKER, "").split("@")[0] for r in runs} >= {"worker1", "worker2"}
        assert set(sim.submissoes_por_processo) == ids
        assert Counter(sim.submissoes_por_processo.values()) == Counter({1: len(ids)})
        pico, pico_operadora = pico_em_voo(list(sim.jobs.values()))
        assert pico <= CAP_TOTAL and max(pico_operadora.values()) <= CAP_OPERADORA, (pico, pico_operadora)
    # the robot lines are in the runs' compute logs (the UI's "stdout"), not swallowed by the worker's own log
    saidas = "\n".join(f.read_text() for f in (tmp_path / "compute_logs").rglob("*.out"))
    assert saidas.count(": Download concluído") >= len(ids), saidas[-2000:]
    with ctx.db.leitura() as s:
        assert Counter(s.scalars(select(Processo.status_processo))) == Counter({"AGUARDANDO_APROVACAO": len(ids)})

"""Crash and restart in the window tests/pipeline/test_recuperacao.py leaves open.

That file kills a ``faturas`` and an ``envios_sat`` run launched from the CLI once every job id is recorded
(SQLite), and checks the re-run adopts them. Here the run is killed (SIGKILL, whole process group) while its
submits are still in flight: the robot already created the jobs but the answers (job ids) never reached the
database. The re-run must find those jobs through ``GET /jobs`` and adopt them — zero duplicate submissions,
every process finished — on SQLite and PostgreSQL. ``make test-long`` adds the daemon path: a run launched by
``dagster-daemon`` (as the schedule or a UI click launches it), its run worker killed, then a new run.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.db.models import Execucao
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.services import aprovacoes
from beg_pipeline.storage import object_store_from_settings
from tests.builders import mes_com_processos, pessoa, vistos
from tests.confiabilidade import figuras
from tests.confiabilidade.invariantes import Marco, backend, verificar_downloads, verificar_envios_sat
from tests.confiabilidade.test_matriz_falhas import o_tempo_passa
from tests.dagster_servicos import dagster_no_ar, matar, materializar_pela_cli, preparar_home
from tests.pipeline.test_recuperacao import N as N_RECUPERACAO
from tests.pipeline.test_recuperacao import test_killed_download_run_is_adopted_without_resubmitting as _faturas
from tests.pipeline.test_recuperacao import test_killed_sat_run_never_sends_twice as _envios_sat
from tests.pipeline_fixtures import RAPIDO, recursos_para, simulador

N = 4
PARTICAO, MES = "2026-11-01", "11/2026"
RESPOSTA_ATRASADA = RAPIDO.model_copy(update={"atraso_submit_s": 4.0})  # the job exists, its id arrives late



def _em_voo(ctx) -> Counter:
    with ctx.db.leitura() as s:
        return Counter((e.status_execucao, e.job_id is None) for e in s.scalars(select(Execucao)))


def _matar_com_submits_em_voo(ctx, sim, pipeline_env, tmp_path, asset: str, chave) -> Marco:
    """Launch ``asset`` from the CLI, SIGKILL it once the robot holds every job but no job id is recorded.
    Returns the mark taken before the launch: the killed run's jobs and attempts count in what follows."""
    marco = Marco.agora(ctx, sim)
    run = materializar_pela_cli(tmp_path, {**pipeline_env, "BEG_RPA_URL": sim.base_url}, asset)
    try:
        assert sim.aguardar(lambda s: sum(1 for k in s.submissoes_por_processo if chave(k)) == N, timeout=90), \
            (tmp_path / f"{asset}.log").read_text()[-2000:]
    finally:
        matar(run)
    em_voo = _em_voo(ctx)
    assert em_voo[("EXECUTANDO", True)] == N, em_voo  # killed in the window: jobs exist, their ids were never saved
    assert sim.aguardar(lambda s: s.contar("COMPLETED") == len(s.jobs), timeout=30)  # and they finish meanwhile
    sim.config = RAPIDO
    return marco


def test_download_run_killed_with_submits_in_flight(ctx, pipeline_env, tmp_path):
    pids = [p.id for p in mes_com_processos(ctx, n_clientes=N)]
    store = object_store_from_settings(ctx.settings)
    with simulador(RESPOSTA_ATRASADA) as sim:
        marco = _matar_com_submits_em_voo(ctx, sim, pipeline_env, tmp_path, "faturas",
                                          lambda k: not k.startswith("SAT/"))
        assert dg.materialize([faturas], partition_key=PARTICAO, resources=recursos_para(sim)).success
        depois = verificar_downloads(ctx, sim, store, pids, ctx.settings.max_tentativas, marco)
        submissoes = dict(Counter(sim.submissoes_por_processo.values()))
    figuras.registrar("queda_e_retomada", "faturas_submits_em_voo", backend=backend(ctx), bug="B3", processos=N,
                      jobs_em_voo_ao_matar=N, submissoes_por_processo=submissoes,
                      duplicados=sum((n - 1) * k for n, k in submissoes.items()), status_final=dict(depois.finais))
    assert submissoes == {1: N}, f"submissões por processo: {submissoes}"  # zero duplicate submissions
    depois.exigir_zero()
    assert depois.finais == Counter({StatusProcesso.AGUARDANDO_APROVACAO.value: N})


def test_sat_run_killed_with_submits_in_flight(ctx, pipeline_env, tmp_path):
    pids = [p.id for p in mes_com_processos(ctx, n_clientes=N)]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    with simulador(RAPIDO) as sim:
        assert dg.materialize([faturas], partition_key=PARTICAO, resources=recursos_para(sim)).success
        assert aprovacoes.aprovar_em_lote(ctx, aprovador, pids, sha256=vistos(ctx, pids)).aprovados == pids
        o_tempo_passa(sim)  # approval comes hours after the download
        sim.config = RESPOSTA_ATRASADA
        marco = _matar_com_submits_em_voo(ctx, sim, pipeline_env, tmp_path, "envios_sat",
                                          lambda k: k.startswith("SAT/"))
        assert dg.materialize([envios_sat], partition_key=PARTICAO, resources=recursos_para(sim)).success
        assert dg.materialize([envios_sat], partition_key=PARTICAO, resources=recursos_para(sim)).success
        depois = verificar_envios_sat(ctx, sim, pids, ctx.settings.max_tentativas, marco)
        no_sat = Counter(j.pedido.processo_id for j in sim.jobs.values() if j.sat and j.status == "COMPLETED")
    figuras.registrar("queda_e_retomada", "envios_sat_submits_em_voo", backend=backend(ctx), processos=N,
                      jobs_em_voo_ao_matar=N, chegadas_ao_sat_por_processo=dict(Counter(no_sat.values())),
                      duplicados=depois.duplicados + sum(n - 1 for n in no_sat.values()),
                      status_final=dict(depois.finais))
    assert Counter(no_sat.values()) == Counter({1: N})  # no process reached SAT twice
    depois.exigir_zero()
    assert depois.finais == Counter({StatusProcesso.UPLOAD_REALIZADO.value: N})


# --------------------------------------------------------------------------- the existing kill tests, on PostgreSQL

@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("caso", ["faturas_jobs_registrados", "envios_sat_jobs_registrados"])
def test_existing_kill_tests_on_postgresql(caso, ctx, pipeline_env, tmp_path):
    """tests/pipeline/test_recuperacao.py (SQLite there) run as is against PostgreSQL."""
    (_faturas if caso.startswith("faturas") else _envios_sat)(ctx, pipeline_env, tmp_path)
    figuras.registrar("queda_e_retomada", caso, backend=backend(ctx), processos=N_RECUPERACAO,
                      submissoes_por_processo={1: N_RECUPERACAO}, duplicados=0)


# --------------------------------------------------------------------------- daemon path (make test-long)


def _pid_do_run(home: Path, run_id: str, timeout: float = 120) -> int:
    """The pid of the process executing ``run_id``, as Dagster's own event log states it."""
    limite = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < limite:
            for evento in instance.all_logs(run_id):
                achado = re.search(r"\(pid: (\d+)\)", evento.message or "")
                if achado:
                    return int(achado.group(1))
            time.sleep(0.2)
    raise AssertionError(f"o run {run_id} não registrou o pid do seu processo")


def _lancar(client, job: str, timeout: float = 120) -> str:
    """Launch ``job`` for the partition as the UI does, once the code location has loaded it."""
    from dagster_graphql import DagsterGraphQLClientError

    limite = time.monotonic() + timeout
    while True:
        try:
            return client.submit_job_execution(job, tags={"dagster/partition": PARTICAO})
        except DagsterGraphQLClientError as exc:  # the location is still loading: "JobNotFoundError"
            if "JobNotFound" not in str(exc) or time.monotonic() > limite:
                raise
            time.sleep(0.5)


@pytest.mark.long
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_daemon_run_killed_then_run_again(ctx, pipeline_env, tmp_path):
    from dagster_graphql import DagsterGraphQLClient

    pids = [p.id for p in mes_com_processos(ctx, n_clientes=N)]
    store = object_store_from_settings(ctx.settings)
    lento = RAPIDO.model_copy(update={"latencia_s": 8.0, "jitter_s": 0.2, "capacidade": N})
    home = preparar_home(tmp_path / "dagster_home")
    with simulador(lento) as sim, \
            dagster_no_ar(home, {**pipeline_env, "BEG_RPA_URL": sim.base_url}, tmp_path) as porta:
        client = DagsterGraphQLClient("127.0.0.1", port_number=porta)
        run_id = _lancar(client, "downloads_job")
        assert sim.aguardar(lambda s: len(s.submissoes_por_processo) == N, timeout=180), \
            (tmp_path / "daemon.log").read_text()[-3000:]
        os.kill(_pid_do_run(home, run_id), signal.SIGKILL)
        assert sim.contar("COMPLETED") < N  # killed while jobs were in flight
        marco = Marco.agora(ctx, sim)
        novo = _lancar(client, "downloads_job")
        limite = time.monotonic() + 240
        while client.get_run_status(novo) not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE):
            assert time.monotonic() < limite, "o novo run não terminou"
            time.sleep(1)
        assert client.get_run_status(novo) == dg.DagsterRunStatus.SUCCESS
        depois = verificar_downloads(ctx, sim, store, pids, ctx.settings.max_tentativas, marco)
        submissoes = dict(Counter(v for k, v in sim.submissoes_por_processo.items() if not k.startswith("SAT/")))
    figuras.registrar("queda_e_retomada", "daemon_faturas", backend=backend(ctx), processos=N,
                      submissoes_por_processo=submissoes, duplicados=depois.duplicados,
                      status_final=dict(depois.finais))
    assert submissoes == {1: N}
    depois.exigir_zero()
    assert depois.finais == Counter({StatusProcesso.AGUARDANDO_APROVACAO.value: N})

"""One robot budget for every run: two months downloaded at once in two processes, a run waiting for slots, a
process killed while holding slots (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from beg_pipeline.db.models import Processo, VagaRobo
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.rpa.simulador import SimuladorConfig
from beg_pipeline.services import vagas_robo
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.robos import baixar_faturas
from beg_pipeline.services.vagas_robo import VagasRobo
from beg_pipeline.storage import object_store_from_settings
from tests.builders import mes_com_processos
from tests.pipeline_fixtures import simulador

RAIZ = Path(__file__).resolve().parents[2]
MESES = ("10/2026", "11/2026")
N = 8  # clients, two per carrier
MAX_TOTAL, MAX_POR_OPERADORA = 5, 2  # each month alone could put 8 jobs in flight, 2 per carrier: 16 and 4 for two


def _status(ctx, mes_ano: str) -> Counter:
    with ctx.db.leitura() as s:
        return Counter(s.scalars(select(Processo.status_processo).where(Processo.mes_ano == mes_ano)))


def _vagas_em_uso(ctx) -> int:
    with ctx.db.leitura() as s:
        return s.scalar(select(func.count()).select_from(VagaRobo))


def _filho(env: dict[str, str], mes_ano: str, sinal: Path, saida: Path) -> subprocess.Popen:
    """One month's downloads in a child process; returns once it has imported everything and waits for ``sinal``."""
    processo = subprocess.Popen(
        [sys.executable, "-m", "tests.servicos.filho_baixar_mes", mes_ano, str(sinal)], cwd=RAIZ,
        env={**os.environ, **env, "PYTHONPATH": str(RAIZ)}, stdout=subprocess.PIPE, stderr=open(saida, "wb"),  # noqa: SIM115
        text=True, start_new_session=True)
    assert processo.stdout.readline().strip() == "pronto", saida.read_text()[-2000:]
    return processo


def _resumo(processo: subprocess.Popen, saida: Path) -> dict:
    try:
        linhas, _ = processo.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(processo.pid, signal.SIGKILL)
        raise
    assert processo.returncode == 0, saida.read_text()[-3000:]
    return json.loads(linhas.strip().splitlines()[-1])


@pytest.fixture
def orcamento_env(pipeline_env, monkeypatch):
    valores = {**pipeline_env, "BEG_RPA_MAX_CONCURRENCY": str(MAX_TOTAL),
               "BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA": str(MAX_POR_OPERADORA)}
    for nome, valor in valores.items():
        monkeypatch.setenv(nome, valor)
    return valores


def _contexto(settings, rpa_url: str, **ajustes) -> Contexto:
    return Contexto(settings.model_copy(update={"rpa_max_concurrency": MAX_TOTAL, "rpa_url": rpa_url,
                                                "rpa_max_concurrency_por_operadora": MAX_POR_OPERADORA,
                                                "rpa_poll_interval_s": 0.05, **ajustes}))


def test_two_months_at_once_in_two_processes_stay_within_the_caps(ctx, orcamento_env, tmp_path):
    for mes in MESES:
        mes_com_processos(ctx, n_clientes=N, mes_ano=mes)
    config = SimuladorConfig(latencia_s=1.0, jitter_s=0.1, capacidade=40, semente=7)  # a month alone: 2 s or more
    with simulador(config) as sim:
        env = {**orcamento_env, "BEG_RPA_URL": sim.base_url}
        sinal = tmp_path / "vai"
        filhos = [(_filho(env, mes, sinal, tmp_path / f"filho{i}.log"), tmp_path / f"filho{i}.log")
                  for i, mes in enumerate(MESES)]
        sinal.touch()
        resumos = [_resumo(p, saida) for p, saida in filhos]
        assert sim.max_em_voo == MAX_TOTAL, sim.max_em_voo  # the budget was used, never exceeded
        assert max(sim.max_em_voo_por_operadora.values()) == MAX_POR_OPERADORA, sim.max_em_voo_por_operadora
        assert len(sim.submissoes_por_processo) == 2 * N
        assert set(sim.submissoes_por_processo.values()) == {1}
    assert sum(r["esperas_por_vaga"] for r in resumos) >= 1, resumos  # one run waited for the other's slots
    assert [r["concluidos"] for r in resumos] == [N, N]
    for mes in MESES:
        assert _status(ctx, mes) == Counter({"AGUARDANDO_APROVACAO": N})
    assert _vagas_em_uso(ctx) == 0


def test_a_run_waiting_for_slots_finishes_when_slots_free(ctx, settings, pipeline_env):
    mes_com_processos(ctx, n_clientes=4)
    linhas: list[str] = []
    resultado = {}
    with simulador(SimuladorConfig(latencia_s=0.05, jitter_s=0.0, capacidade=20)) as sim:
        contexto = _contexto(settings, sim.base_url)
        outro = VagasRobo(contexto, dono="outra-execucao")
        assert outro.acertar([], {}, ["OI", "OI", "VIVO", "VIVO", "EMBRATEL"]).vagas.count(None) == 0

        def rodar() -> None:
            with RpaClient.from_settings(contexto.settings) as client:
                resultado["resumo"] = baixar_faturas(contexto, object_store_from_settings(contexto.settings), client,
                                                     "11/2026", hoje=dt.date(2026, 12, 1), log=linhas.append)

        execucao = threading.Thread(target=rodar)
        execucao.start()
        try:
            assert sim.aguardar(lambda _: any("aguardando vaga de robô (5 em uso)" in linha for linha in linhas))
            assert execucao.is_alive()  # waiting, not failed
            assert sim.jobs == {}  # and nothing submitted over the budget
        finally:
            outro.encerrar()
            execucao.join(60)
    resumo = resultado["resumo"]
    assert resumo.concluidos == 4
    assert resumo.esperas_por_vaga == 1
    assert resumo.metadados()["espera_por_vaga_s"] > 0
    assert any(linha.startswith("vaga de robô obtida após") for linha in linhas)
    assert _vagas_em_uso(ctx) == 0


def test_slots_of_a_killed_process_are_reclaimed_and_its_jobs_adopted(ctx, orcamento_env, tmp_path):
    """A process holding every slot is killed (SIGKILL): another month's run waits, reclaims the slots once they
    expire (job timeout 5 s) and finishes; the killed month run again adopts its jobs; nothing submitted twice."""
    for mes in MESES:
        mes_com_processos(ctx, n_clientes=N, mes_ano=mes)
    config = SimuladorConfig(latencia_s=2.0, jitter_s=0.0, capacidade=40, semente=7)
    with simulador(config) as sim:
        env = {**orcamento_env, "BEG_RPA_URL": sim.base_url, "BEG_RPA_VAGA_VALIDADE_S": "1"}
        sinal, saida = tmp_path / "vai", tmp_path / "morto.log"
        morto = _filho(env, MESES[0], sinal, saida)
        sinal.touch()

        def com_jobs(_) -> bool:
            with ctx.db.leitura() as s:
                return s.scalar(select(func.count()).where(VagaRobo.job_id.is_not(None))) == MAX_TOTAL

        assert sim.aguardar(com_jobs, timeout=60), saida.read_text()[-2000:]
        os.killpg(morto.pid, signal.SIGKILL)
        morto.wait(30)
        assert sim.contar("COMPLETED") == 0  # killed with its jobs in flight, holding every slot

        contexto = _contexto(ctx.settings, sim.base_url, rpa_vaga_validade_s=1.0, rpa_job_timeout_s=5.0)
        with RpaClient.from_settings(contexto.settings) as client:
            store = object_store_from_settings(contexto.settings)
            outro_mes = baixar_faturas(contexto, store, client, MESES[1], hoje=dt.date(2026, 12, 1), log=print)
            assert outro_mes.concluidos == N
            assert outro_mes.esperas_por_vaga >= 1  # it waited for the dead process's slots
            assert sim.max_em_voo <= MAX_TOTAL  # reclaimed only once the dead process's jobs could have ended
            de_novo = baixar_faturas(contexto, store, client, MESES[0], hoje=dt.date(2026, 12, 1), log=print)
        assert de_novo.adotados == MAX_TOTAL
        assert de_novo.concluidos == N
        assert len(sim.submissoes_por_processo) == 2 * N
        assert set(sim.submissoes_por_processo.values()) == {1}
        assert max(sim.max_em_voo_por_operadora.values()) <= MAX_POR_OPERADORA
    for mes in MESES:
        assert _status(ctx, mes) == Counter({"AGUARDANDO_APROVACAO": N})
    assert _vagas_em_uso(ctx) == 0
    assert vagas_robo.em_uso(ctx) == Counter()


def test_expired_slots_go_back_to_the_budget_and_adoption_takes_a_slot_over(ctx):
    """A holder that stops heart-beating: its slot without a job is reclaimed after the lease; one whose job was
    submitted only after the job timeout too (the job may still run); the run that adopts a job takes its slot."""
    agora = [dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)]
    contexto = _contexto(ctx.settings, "http://127.0.0.1:9", rpa_max_concurrency=2, rpa_vaga_validade_s=60.0,
                         rpa_job_timeout_s=600.0)

    def vagas(dono: str) -> VagasRobo:
        return VagasRobo(contexto, dono=dono, relogio=lambda: agora[0])

    morto, vivo, herdeiro = vagas("morto"), vagas("vivo"), vagas("herdeiro")
    sem_job, com_job = morto.acertar([], {}, ["OI", "VIVO"]).vagas
    morto.acertar([], {com_job: "job-1"}, [])
    assert vivo.acertar([], {}, ["OI"]).vagas == [None]
    agora[0] += dt.timedelta(seconds=61)
    tomada = vivo.acertar([], {}, ["OI", "OI"])
    assert tomada.vagas[0] not in (None, sem_job) and tomada.vagas[1] is None  # the jobless slot only
    assert tomada.em_uso == 2
    assert herdeiro.adotar([("VIVO", "job-1")]) == [com_job]  # the same row, now the adopter's
    with ctx.db.leitura() as s:
        assert Counter(s.scalars(select(VagaRobo.dono))) == Counter({"vivo": 1, "herdeiro": 1})
    herdeiro.encerrar()
    vivo.encerrar()

    outro_morto = vagas("outro-morto")
    a, b = outro_morto.acertar([], {}, ["OI", "VIVO"]).vagas
    outro_morto.acertar([], {a: "job-2", b: "job-3"}, [])
    agora[0] += dt.timedelta(seconds=61)
    assert vivo.acertar([], {}, ["OI"]).vagas == [None]  # past the lease, but the jobs may still run
    agora[0] += dt.timedelta(seconds=600)
    depois = vivo.acertar([], {}, ["OI"])
    assert depois.vagas[0] is not None and depois.em_uso == 1
    vivo.encerrar()
    assert _vagas_em_uso(ctx) == 0

"""Crash safety: a run launched from the CLI is killed with SIGKILL while jobs are in flight, then run again."""

from __future__ import annotations

from collections import Counter

import dagster as dg
import pytest
from sqlalchemy import select

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.db.models import Execucao, Processo
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import aprovacoes
from tests.builders import mes_com_processos, pessoa, visto
from tests.dagster_servicos import matar, materializar_pela_cli
from tests.pipeline_fixtures import RAPIDO, recursos_para, simulador

N = 6
LENTO = RAPIDO.model_copy(update={"latencia_s": 2.0, "jitter_s": 0.2, "capacidade": N})



def _status(ctx) -> Counter:
    with ctx.db.leitura() as s:
        return Counter(s.scalars(select(Processo.status_processo).where(Processo.mes_ano == "11/2026")))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_killed_download_run_is_adopted_without_resubmitting(ctx, pipeline_env, tmp_path):
    mes_com_processos(ctx, n_clientes=N)
    with simulador(LENTO) as sim:
        run = materializar_pela_cli(tmp_path, {**pipeline_env, "BEG_RPA_URL": sim.base_url}, "faturas")
        assert sim.aguardar(lambda s: len(s.submissoes_por_processo) == N, timeout=90), \
            (tmp_path / "faturas.log").read_text()[-2000:]
        matar(run)
        assert sim.contar("COMPLETED") < N  # killed while jobs were in flight
        with ctx.db.leitura() as s:
            assert s.scalars(select(Execucao.status_execucao)).all().count("EXECUTANDO") >= 1
        assert dg.materialize([faturas], partition_key="2026-11-01", resources=recursos_para(sim)).success
        assert set(sim.submissoes_por_processo.values()) == {1}, sim.submissoes_por_processo
    assert _status(ctx) == Counter({"AGUARDANDO_APROVACAO": N})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_killed_sat_run_never_sends_twice(ctx, pipeline_env, tmp_path):
    procs = mes_com_processos(ctx, n_clientes=N)
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    with simulador(RAPIDO) as sim:
        assert dg.materialize([faturas], partition_key="2026-11-01", resources=recursos_para(sim)).success
    for p in procs:
        aprovacoes.aprovar(ctx, aprovador, p.id, sha256=visto(ctx, p.id))
    with simulador(LENTO) as sim:
        run = materializar_pela_cli(tmp_path, {**pipeline_env, "BEG_RPA_URL": sim.base_url}, "envios_sat")
        assert sim.aguardar(lambda s: len(s.submissoes_por_processo) == N, timeout=90), \
            (tmp_path / "envios_sat.log").read_text()[-2000:]
        matar(run)
        assert dg.materialize([envios_sat], partition_key="2026-11-01", resources=recursos_para(sim)).success
        assert dg.materialize([envios_sat], partition_key="2026-11-01", resources=recursos_para(sim)).success
        assert Counter(sim.submissoes_por_processo.values()) == Counter({1: N})
        assert all(k.startswith("SAT/") for k in sim.submissoes_por_processo)
    assert _status(ctx) == Counter({"UPLOAD_REALIZADO": N})

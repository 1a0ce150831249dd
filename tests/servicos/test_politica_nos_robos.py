"""The retry policy as the robot services apply it: who waits for a person, who waits for another day."""

from __future__ import annotations

import datetime as dt

import pytest

from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.rpa.simulador import Simulador
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import processos, robos
from beg_pipeline.settings import Settings
from beg_pipeline.storage.factory import object_store_from_settings
from tests.builders import mes_com_processos, pessoa
from tests.pipeline_fixtures import RAPIDO


@pytest.fixture
def settings(tmp_path, secret_key, database_url) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key=secret_key,
                    rpa_poll_interval_s=0.05, rpa_retry_backoff_s=0.0, _env_file=None)


def _falhar(ctx, processo_id, classe: ClasseFalha) -> None:
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo_id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, f"falha {classe.value}", classe)


def _baixar(ctx, sim: Simulador, hoje: dt.date) -> robos.ResumoRobos:
    with RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
        return robos.baixar_faturas(ctx, object_store_from_settings(ctx.settings), client, "11/2026", hoje=hoje,
                                    log=lambda _: None)


def test_credentials_wait_for_a_person_and_unpublished_invoices_for_another_day(ctx):
    credenciais, nao_publicada, *outros = mes_com_processos(ctx, n_clientes=4)
    _falhar(ctx, credenciais.id, ClasseFalha.CREDENCIAIS)
    _falhar(ctx, nao_publicada.id, ClasseFalha.NAO_PUBLICADA)
    hoje = dt.datetime.now(ctx.settings.tz).date()
    with Simulador(RAPIDO, ctx.settings) as sim:
        resumo = _baixar(ctx, sim, hoje)
        assert (resumo.concluidos, resumo.pendentes) == (len(outros), 2)
        assert sorted(linha["situacao"] for linha in resumo.linhas if "job_id" not in linha) == [
            "credenciais inválidas: corrija o cliente e libere nova tentativa",
            "fatura ainda não publicada: nova tentativa amanhã",
        ]
        assert set(sim.submissoes_por_processo) == {str(p.id) for p in outros}

        amanha = _baixar(ctx, sim, hoje + dt.timedelta(days=1))
        assert (amanha.concluidos, amanha.pendentes) == (1, 1)
        assert sim.submissoes_por_processo[str(nao_publicada.id)] == 1
        assert str(credenciais.id) not in sim.submissoes_por_processo

        processos.liberar_nova_tentativa(ctx, pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br"), credenciais.id)
        liberado = _baixar(ctx, sim, hoje + dt.timedelta(days=1))
        assert (liberado.concluidos, liberado.pendentes) == (1, 0)
        assert sim.submissoes_por_processo[str(credenciais.id)] == 1

"""The simulated portals hand over invoices coherent with their process (month, client, due date after the month);
the ``mes_errado`` fault serves last month's invoice, which the approval queue then flags."""

from __future__ import annotations

import datetime as dt

import pytest

from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.domain.sinais import TipoBloqueio
from beg_pipeline.faturas.leitura import ler_fatura
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.rpa.simulador import Simulador
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import fila_aprovacao, processos, robos
from beg_pipeline.settings import Settings
from beg_pipeline.storage.factory import object_store_from_settings
from tests.builders import mes_com_processos, pessoa
from tests.pipeline_fixtures import RAPIDO


@pytest.fixture
def settings(tmp_path, secret_key, database_url) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key=secret_key,
                    rpa_poll_interval_s=0.05, rpa_retry_backoff_s=0.0, _env_file=None)


def test_downloaded_invoices_match_their_process_and_a_wrong_month_is_flagged(ctx):
    certo, errado, por_processo = mes_com_processos(ctx, n_clientes=3)  # 11/2026
    config = RAPIDO.model_copy(update={"mes_errado": {errado.cliente.cnpj}, "mes_referencia": None,
                                       "referencias": {str(p.id): "11/2026" for p in (certo, errado, por_processo)},
                                       "razao_social": {certo.cliente.cnpj: certo.cliente.razao_social}})
    store = object_store_from_settings(ctx.settings)
    with Simulador(config, ctx.settings) as sim, RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
        resumo = robos.baixar_faturas(ctx, store, client, "11/2026", hoje=dt.date(2026, 12, 2), log=lambda _: None)
    assert resumo.concluidos == 3
    leitura = ler_fatura(store.get(processos.obter_processo(ctx, certo.id).fatura_s3_key))
    assert leitura.mes_referencia == "11/2026" and leitura.cnpjs == [certo.cliente.cnpj]
    assert leitura.valor_confere and leitura.vencimento.strftime("%m/%Y") == "12/2026"  # due after its month
    fila = {i.processo_id: i for i in fila_aprovacao.fila_de_aprovacao(
        ctx, pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br"), hoje=dt.date(2026, 12, 2))}
    assert fila[certo.id].bloqueios == [] and fila[por_processo.id].bloqueios == []
    assert [(b.tipo, b.texto) for b in fila[errado.id].bloqueios] == [
        (TipoBloqueio.MES_DIVERGENTE, "PDF de referência 10/2026, processo de 11/2026")]

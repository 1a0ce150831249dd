"""The ``faturas`` asset check that reports people's decisions: waiting, blocked and approved invoices."""

from __future__ import annotations

import dagster as dg

from beg_pipeline.assets.faturas import faturas
from beg_pipeline.assets.processos_mensais import processos_mensais
from beg_pipeline.checks.decisoes_das_pessoas import decisoes_das_pessoas
from beg_pipeline.definitions import construir_definicoes
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.partitions import PARTICOES_PADRAO
from beg_pipeline.services import aprovacoes
from tests.builders import mes_com_processos, pessoa, visto
from tests.pipeline_fixtures import RAPIDO, recursos_para, simulador


def test_the_check_shows_a_month_held_up_by_a_blocked_invoice(ctx, pipeline_env):
    aprovado, bloqueado, esperando = mes_com_processos(ctx, n_clientes=3)
    config = RAPIDO.model_copy(update={"mes_errado": {bloqueado.cliente.cnpj}})
    with simulador(config) as sim:
        defs = dg.Definitions(assets=[processos_mensais, faturas],
                              asset_checks=[decisoes_das_pessoas(PARTICOES_PADRAO)],
                              jobs=[dg.define_asset_job("baixar", selection=[faturas])], resources=recursos_para(sim))
        assert defs.resolve_job_def("baixar").execute_in_process(partition_key="2026-11-01").success
        aprovacoes.aprovar(ctx, pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br"), aprovado.id,
                           sha256=visto(ctx, aprovado.id))
        resultado = defs.resolve_job_def("baixar").execute_in_process(partition_key="2026-11-01")
    [avaliacao] = resultado.get_asset_check_evaluations()
    assert avaliacao.check_name == "aprovacoes_em_dia" and not avaliacao.passed
    metadados = {k: v.value for k, v in avaliacao.metadata.items()}
    assert (metadados["aguardando"], metadados["bloqueadas"], metadados["aprovadas"]) == (2, 1, 1)
    assert bloqueado.cliente.razao_social in metadados["retidas"]
    assert "PDF de referência 10/2026, processo de 11/2026" in metadados["retidas"]
    assert esperando.cliente.razao_social not in metadados["retidas"] or metadados["vencidas"] > 0


def test_the_check_is_registered_in_the_code_location():
    chaves = {c.name for c in construir_definicoes().resolve_asset_graph().asset_check_keys}
    assert "aprovacoes_em_dia" in chaves

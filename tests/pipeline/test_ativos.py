"""The Dagster assets, materialized for a partition against the robot simulator over HTTP."""

from __future__ import annotations

import re
from collections import Counter

import dagster as dg
from sqlalchemy import func, select

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.assets.processos_mensais import processos_mensais
from beg_pipeline.assets.relatorio_mensal import relatorio_mensal
from beg_pipeline.checks.verificacoes_mensais import verificacoes_mensais
from beg_pipeline.db.models import Execucao, Processo
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.partitions import PARTICOES_PADRAO
from beg_pipeline.services import aprovacoes
from beg_pipeline.storage import object_store_from_settings
from tests.builders import mes_com_processos, pessoa, visto
from tests.pipeline_fixtures import RAPIDO, recursos_para, simulador

NOVEMBRO = "2026-11-01"


def _status(ctx, mes_ano="11/2026") -> Counter:
    with ctx.db.leitura() as s:
        return Counter(s.scalars(select(Processo.status_processo).where(Processo.mes_ano == mes_ano)))


def _materializar(sim, assets, particao=NOVEMBRO, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, partition_key=particao, resources=recursos_para(sim), **kwargs)


def test_month_end_to_end_with_faults(ctx, pipeline_env, capsys):
    mes_com_processos(ctx, n_clientes=12, mes_ano="10/2026")  # carriers, clients; October exists already
    config = RAPIDO.model_copy(update={"falha_5xx_submit": 0.2, "falha_5xx_status": 0.2, "taxa_reset": 0.1,
                                       "formato_arquivo": "misto", "formato_valor": "misto", "formato_data": "misto"})
    with dg.DagsterInstance.ephemeral() as instancia, simulador(config) as sim:
        resultado = _materializar(sim, [processos_mensais, faturas], instance=instancia)
        assert resultado.success
        criados = resultado.asset_materializations_for_node("processos_mensais")[0].metadata["criados"].value
        assert criados == 12
        assert _status(ctx) == Counter({"AGUARDANDO_APROVACAO": 12})
        assert max(sim.submissoes_por_processo.values()) <= ctx.settings.max_tentativas
        with ctx.db.leitura() as s:
            execucoes = s.execute(select(Execucao.processo_id, Execucao.numero_tentativa)).all()
            faturas_ = s.execute(select(Processo.fatura_s3_key, Processo.fatura_sha256, Processo.valor_fatura,
                                        Processo.data_vencimento).where(Processo.mes_ano == "11/2026")).all()
        assert len(execucoes) == len(set(execucoes))  # one row per attempt
        # the robot's log, in order, on every completed attempt and in the run's log
        with ctx.db.leitura() as s:
            logs = s.scalars(select(Execucao.mensagem_log).where(Execucao.status_execucao == "CONCLUIDO")).all()
        assert len(logs) == 12
        for log in logs:
            posicoes = [log.find(trecho) for trecho in ("Abrindo portal", "Login no portal", "Buscando fatura",
                                                        "Download concluído")]
            assert -1 not in posicoes and posicoes == sorted(posicoes), log
        # in the run's stdout (the step's compute log), one line per robot line, in local time
        saida = capsys.readouterr().out
        assert saida.count(": Download concluído") == 12
        assert re.search(r"(?m)^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} INFO \[\w+\] .+: Login no portal", saida), saida
        store = object_store_from_settings(ctx.settings)
        for chave, sha, valor, vencimento in faturas_:
            assert chave.startswith("faturas/2026-11/") and store.stat(chave).sha256 == sha
            assert valor is not None and vencimento is not None
        # running the partition again drives only what is pending: nothing
        antes = sum(sim.submissoes_por_processo.values())
        assert _materializar(sim, [processos_mensais, faturas]).success
        assert sum(sim.submissoes_por_processo.values()) == antes


def test_one_clients_failure_never_fails_the_others(ctx, pipeline_env):
    procs = mes_com_processos(ctx, n_clientes=8)
    with ctx.db.leitura() as s:
        from beg_pipeline.db.models import Cliente

        cnpjs = list(s.scalars(select(Cliente.cnpj).order_by(Cliente.cnpj)))
    config = RAPIDO.model_copy(update={"credenciais_invalidas": {cnpjs[0]}, "nao_publicada_ate": {cnpjs[1]: 99}})
    with simulador(config) as sim:
        resultado = _materializar(sim, [faturas])
    assert resultado.success
    meta = resultado.asset_materializations_for_node("faturas")[0].metadata
    assert meta["concluidos"].value == 6
    assert meta["falhas_credenciais"].value == 1 and meta["falhas_nao_publicada"].value == 1
    assert _status(ctx) == Counter({"AGUARDANDO_APROVACAO": 6, "AGUARDANDO_DOWNLOAD": 2})
    # credentials are not retried: one job only; not-yet-published waits for another day
    with ctx.db.leitura() as s:
        classes = Counter(s.scalars(select(Processo.classe_ultima_falha)
                                    .where(Processo.classe_ultima_falha.is_not(None))))
    assert classes == Counter({"CREDENCIAIS": 1, "NAO_PUBLICADA": 1})
    from beg_pipeline.services.notificacoes import todas

    assert any("Credenciais inválidas" in n.assunto for n in todas(ctx))
    assert len(procs) == 8


def test_transient_failures_retry_up_to_the_limit(ctx, pipeline_env):
    mes_com_processos(ctx, n_clientes=3)
    config = RAPIDO.model_copy(update={"taxa_arquivo_nao_pdf": 1.0})  # every completed job hands over garbage
    with simulador(config) as sim:
        resultado = _materializar(sim, [faturas])
        assert resultado.success
        assert set(sim.submissoes_por_processo.values()) == {ctx.settings.max_tentativas}
    assert _status(ctx) == Counter({"AGUARDANDO_DOWNLOAD": 3})
    with ctx.db.leitura() as s:
        erros = list(s.scalars(select(Execucao.detalhes_erro)))
    assert len(erros) == 3 * ctx.settings.max_tentativas and all("PDF" in e["mensagem"] for e in erros)


def test_unreachable_api_fails_the_run_after_recording(ctx, pipeline_env):
    mes_com_processos(ctx, n_clientes=2)
    from beg_pipeline.resources import ConfiguracaoResource, recursos

    resultado = dg.materialize([faturas], partition_key=NOVEMBRO, raise_on_error=False,
                               resources=recursos(ConfiguracaoResource(rpa_url="http://127.0.0.1:9")))
    assert not resultado.success
    assert _status(ctx) == Counter({"AGUARDANDO_DOWNLOAD": 2})
    with ctx.db.leitura() as s:
        assert s.scalar(select(func.count()).select_from(Execucao).where(Execucao.status_execucao == "EXECUTANDO")) == 0


def test_sat_upload_once_and_report(ctx, pipeline_env):
    procs = mes_com_processos(ctx, n_clientes=4)
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    with simulador() as sim:
        assert _materializar(sim, [faturas]).success
        for p in procs[:3]:
            aprovacoes.aprovar(ctx, aprovador, p.id, sha256=visto(ctx, p.id))
        resultado = _materializar(sim, [envios_sat, relatorio_mensal])
        assert resultado.success
        assert _status(ctx) == Counter({"UPLOAD_REALIZADO": 3, "AGUARDANDO_APROVACAO": 1})
        sat = {k: v for k, v in sim.submissoes_por_processo.items() if k.startswith("SAT/")}
        assert len(sat) == 3 and set(sat.values()) == {1}
        assert _materializar(sim, [envios_sat]).success
        assert {k: v for k, v in sim.submissoes_por_processo.items() if k.startswith("SAT/")} == sat
    meta = resultado.asset_materializations_for_node("relatorio_mensal")[0].metadata
    assert "UPLOAD_REALIZADO" in meta["resumo"].value and meta["processos"].value == 4
    store = object_store_from_settings(ctx.settings)
    assert store.get(meta["chave_csv"].value).decode("utf-8-sig").count("\n") == 5
    assert store.stat(meta["chave_xlsx"].value).size > 0
    assert meta["xlsx"].value == store.url(meta["chave_xlsx"].value), "the XLSX is a link the UI can open"


def test_backfill_of_three_past_months(ctx, pipeline_env):
    mes_com_processos(ctx, n_clientes=3, mes_ano="07/2026")
    instance = dg.DagsterInstance.ephemeral()
    with simulador() as sim:
        for particao in ("2026-08-01", "2026-09-01", "2026-10-01"):
            assert _materializar(sim, [processos_mensais, faturas], particao=particao, instance=instance).success
    for mes in ("08/2026", "09/2026", "10/2026"):
        assert _status(ctx, mes) == Counter({"AGUARDANDO_APROVACAO": 3})
    materializadas = instance.get_materialized_partitions(dg.AssetKey("faturas"))
    assert materializadas == {"2026-08-01", "2026-09-01", "2026-10-01"}


def test_checks_flag_a_duplicate_invoice(ctx, pipeline_env):
    procs = mes_com_processos(ctx, n_clientes=3)
    with simulador() as sim:
        assert _materializar(sim, [faturas]).success
        with ctx.db.transacao() as s:  # a robot that downloaded another client's invoice again
            sha, chave = s.execute(select(Processo.fatura_sha256, Processo.fatura_s3_key)
                                   .where(Processo.id == procs[0].id)).one()
            s.execute(Processo.__table__.update().where(Processo.id == procs[1].id)
                      .values(fatura_sha256=sha, fatura_s3_key=chave))
        defs = dg.Definitions(assets=[processos_mensais, faturas], asset_checks=verificacoes_mensais(PARTICOES_PADRAO),
                              jobs=[dg.define_asset_job("verificar", selection=[processos_mensais, faturas])],
                              resources=recursos_para(sim))
        resultado = defs.resolve_job_def("verificar").execute_in_process(partition_key=NOVEMBRO,
                                                                          raise_on_error=False)
    avaliacoes = {e.check_name: e for e in resultado.get_asset_check_evaluations()}
    assert avaliacoes["todo_cliente_ativo_tem_processo"].passed
    assert avaliacoes["nada_preso_em_execucao"].passed
    assert not avaliacoes["faturas_legiveis_e_unicas"].passed
    assert avaliacoes["faturas_legiveis_e_unicas"].metadata["problemas"].value == 2

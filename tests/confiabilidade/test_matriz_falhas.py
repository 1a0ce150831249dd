"""Fault matrix: each fault the robot API is known for, injected by the simulator over real HTTP while Dagster
materializes ``faturas`` then ``envios_sat`` (the SAT stage where the fault applies to it).

For every case and every process: the process ends in a defined state with the reason of each failed attempt
recorded, a run never makes more than BEG_MAX_TENTATIVAS attempts, every job the simulator created belongs to
exactly one attempt (no attempt with two jobs, no job without its attempt), and SAT never gets an invoice twice.
After the fault clears, one more run of each asset finishes every process: nothing was lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass

import dagster as dg
import pytest

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.resources import ConfiguracaoResource, recursos
from beg_pipeline.rpa.contrato import RpaClient, RpaIndisponivel
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import aprovacoes, processos, robos
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.storage import object_store_from_settings
from tests.builders import mes_com_processos, pessoa, vistos
from tests.confiabilidade import figuras
from tests.confiabilidade.invariantes import Marco, backend, verificar_downloads, verificar_envios_sat
from tests.pipeline_fixtures import RAPIDO, simulador

N = 8
PARTICAO, MES = "2026-11-01", "11/2026"


@dataclass(frozen=True)
class Caso:
    faltas: dict  # SimuladorConfig fields
    contadores: frozenset  # simulator fault counters that must have moved (else the case proved nothing)
    afeta_sat: bool = True  # the fault also hits the SAT stage
    job_timeout_s: float = 30.0  # BEG_RPA_JOB_TIMEOUT_S: short only where hung jobs are the point
    n: int = N


# Every fault at once. The rates of the faults that also hit GET /jobs stay low enough that six failures in a row
# of the lookup after an uncertain submit (p ~ 1e-4 per such submit) do not turn the run into a lottery: that case
# is a known bug, pinned by test_uncertain_submit_whose_lookup_fails_leaves_no_orphan_job.
TODAS = {"falha_5xx_submit": 0.2, "falha_5xx_status": 0.1, "taxa_429": 0.03, "retry_after_s": 1, "taxa_reset": 0.06,
         "taxa_json_malformado": 0.06, "atraso_pdf_s": 0.3, "formato_arquivo": "misto", "taxa_arquivo_nao_pdf": 0.2}
CONTADORES_TODAS = frozenset({"5xx_submit", "5xx_status", "429", "reset", "json_malformado", "nao_pdf"})

CASOS: dict[str, Caso] = {
    "5xx_submit": Caso({"falha_5xx_submit": 0.3}, frozenset({"5xx_submit"})),
    "5xx_status": Caso({"falha_5xx_status": 0.3}, frozenset({"5xx_status"})),
    "429_retry_after": Caso({"taxa_429": 0.1, "retry_after_s": 1}, frozenset({"429"})),
    "reset_conexao": Caso({"taxa_reset": 0.2, "reset_apos_criar": 0.7}, frozenset({"reset", "reset_apos_criar"})),
    "json_malformado": Caso({"taxa_json_malformado": 0.2}, frozenset({"json_malformado"})),
    "job_travado": Caso({"taxa_job_travado": 0.35}, frozenset({"travado"}), job_timeout_s=1.0),
    "pdf_lento": Caso({"atraso_pdf_s": 0.8, "formato_arquivo": "http"}, frozenset({"atraso_pdf"}), afeta_sat=False),
    "arquivo_nao_pdf": Caso({"taxa_arquivo_nao_pdf": 0.4}, frozenset({"nao_pdf"}), afeta_sat=False),
    "todas_menos_travado": Caso(TODAS, CONTADORES_TODAS),
}
# make test-long: every fault at once, hung jobs included, on more processes. The job timeout stays above the
# longest status outage the client can sit through (5 retries, backoff <= 15.5 s): see
# test_sat_job_completed_during_a_status_outage_is_not_sent_again for what happens below it.
CASOS_LONGOS: dict[str, Caso] = {
    "todas_juntas": Caso({**TODAS, "taxa_job_travado": 0.1}, CONTADORES_TODAS | {"travado"}, job_timeout_s=20.0,
                         n=24),
}


def _materializar(sim, asset, instance, job_timeout_s: float = 30.0) -> dg.ExecuteInProcessResult:
    configuracao = ConfiguracaoResource(rpa_url=sim.base_url, rpa_job_timeout_s=job_timeout_s)
    resultado = dg.materialize([asset], partition_key=PARTICAO, resources=recursos(configuracao), instance=instance)
    assert resultado.success
    return resultado


def o_tempo_passa(sim, horas: float = 1.0) -> None:
    """Age every job the simulator holds, as if the time between download, approval and SAT had passed.

    In production an invoice is approved hours or days after its download. Here the stages follow each other
    within a second, inside the client's 5 s clock allowance for "a job created just before my submit", and an
    uncertain SAT submit would adopt the process's download job instead (see
    ``test_uncertain_sat_submit_never_adopts_the_download_job``).
    """
    antes = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=horas)).isoformat()
    with sim._cond:
        for job in sim.jobs.values():
            job.created_at = antes


def _aprovar_o_que_chegou(ctx, aprovador) -> list:
    prontos = [p.id for p in processos.processos_do_mes(ctx, MES, StatusProcesso.AGUARDANDO_APROVACAO)]
    lote = aprovacoes.aprovar_em_lote(ctx, aprovador, prontos, sha256=vistos(ctx, prontos))
    assert lote.aprovados == prontos and not lote.recusados
    return prontos


@pytest.mark.parametrize("caso", list(CASOS))
def test_fault_matrix(caso, ctx, pipeline_env, caplog, monkeypatch):
    # the client's own backoff between retries of one call (0.5 s base, full jitter) scaled down tenfold to keep
    # make test short; Retry-After is still honoured in full. The long run keeps the production backoff.
    original = RpaClient._espera_backoff
    monkeypatch.setattr(RpaClient, "_espera_backoff", lambda self, tentativa: original(self, tentativa) / 10)
    _matriz(caso, CASOS[caso], ctx, caplog)


@pytest.mark.long
@pytest.mark.parametrize("caso", list(CASOS_LONGOS))
def test_fault_matrix_long(caso, ctx, pipeline_env, caplog):
    _matriz(caso, CASOS_LONGOS[caso], ctx, caplog)


def _matriz(nome: str, caso: Caso, ctx, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="beg_pipeline.rpa")
    pids = [p.id for p in mes_com_processos(ctx, n_clientes=caso.n)]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    store = object_store_from_settings(ctx.settings)
    maximo = ctx.settings.max_tentativas
    instance = dg.DagsterInstance.ephemeral()
    config = RAPIDO.model_copy(update=caso.faltas)
    figs: dict = {"backend": backend(ctx)}
    inicio = time.monotonic()
    with simulador(config) as sim:
        # 1. downloads under the fault
        marco = Marco.agora(ctx, sim)
        _materializar(sim, faturas, instance, caso.job_timeout_s)
        downloads = verificar_downloads(ctx, sim, store, pids, maximo, marco)
        downloads.exigir_zero()
        # 2. SAT uploads of what arrived, under the same fault when it applies to SAT
        o_tempo_passa(sim)
        aprovados = _aprovar_o_que_chegou(ctx, aprovador)
        assert aprovados, "nenhuma fatura chegou: o caso não exercita o envio ao SAT"
        if not caso.afeta_sat:
            sim.config = RAPIDO
        marco = Marco.agora(ctx, sim)
        _materializar(sim, envios_sat, instance, caso.job_timeout_s)
        envios = verificar_envios_sat(ctx, sim, aprovados, maximo, marco)
        envios.exigir_zero()
        injetadas = Counter(sim.falhas)
        # 3. the fault clears: the next runs finish every process, nothing lost, nothing sent twice
        sim.config = RAPIDO
        o_tempo_passa(sim)
        pendentes = [p.id for p in processos.processos_do_mes(ctx, MES, StatusProcesso.AGUARDANDO_DOWNLOAD)]
        marco = Marco.agora(ctx, sim)
        _materializar(sim, faturas, instance, caso.job_timeout_s)
        verificar_downloads(ctx, sim, store, pendentes, maximo, marco).exigir_zero()
        o_tempo_passa(sim)
        aprovados_depois = _aprovar_o_que_chegou(ctx, aprovador)
        marco = Marco.agora(ctx, sim)
        _materializar(sim, envios_sat, instance, caso.job_timeout_s)
        final = verificar_envios_sat(ctx, sim, pids, maximo, marco)
        final.exigir_zero()
        assert final.finais == Counter({StatusProcesso.UPLOAD_REALIZADO.value: caso.n})
        assert len(aprovados) + len(aprovados_depois) == caso.n
        total_jobs = len(sim.jobs)
    assert sum(injetadas[c] for c in caso.contadores) >= 1, f"a falha {nome} não foi injetada: {dict(injetadas)}"
    if "taxa_429" in caso.faltas:  # every 429 was honoured: the client waited Retry-After, not less
        esperas = [float(m) for m in re.findall(r"HTTP 429; nova tentativa em ([\d.]+) s", caplog.text)]
        assert min(esperas, default=config.retry_after_s) >= config.retry_after_s
        if nome == "429_retry_after":  # with 429 alone at 10 %, some retry certainly waited (mixed cases may draw none)
            assert esperas
    figs.update(
        faltas_injetadas=dict(injetadas), jobs=total_jobs,
        tentativas_download=dict(downloads.execucoes), tentativas_sat=dict(envios.execucoes),
        status_apos_falha=dict(downloads.finais + envios.finais),
        duplicados=downloads.duplicados + envios.duplicados + final.duplicados,
        perdidos=downloads.perdidos + envios.perdidos + final.perdidos,
        presos=downloads.presos + envios.presos + final.presos,
        status_final=dict(final.finais), segundos=round(time.monotonic() - inicio, 1),
    )
    figuras.registrar("matriz_falhas", nome, **figs)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_uncertain_sat_submit_never_adopts_the_download_job(ctx, pipeline_env):
    """The SAT submit answers 500 (the job may exist): the client looks for a job of the process created in the
    last 5 s and must not take the *download* job for it. Every submit failing, the run fails (ops see it) with
    the attempts recorded, and nothing reached SAT."""
    [pid] = [p.id for p in mes_com_processos(ctx, n_clientes=1)]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    instance = dg.DagsterInstance.ephemeral()
    with simulador() as sim:
        _materializar(sim, faturas, instance)
        assert _aprovar_o_que_chegou(ctx, aprovador) == [pid]
        sim.config = RAPIDO.model_copy(update={"falha_5xx_submit": 1.0})  # SAT submits all fail for now
        falhou = dg.materialize([envios_sat], partition_key=PARTICAO, instance=instance, raise_on_error=False,
                                resources=recursos(ConfiguracaoResource(rpa_url=sim.base_url)))
        assert not falhou.success  # the robot API answered 500 to every submit
        estagio = verificar_envios_sat(ctx, sim, [pid], 1)  # the run stops at the unreachable API
    assert processos.obter_processo(ctx, pid).status_processo == StatusProcesso.AGUARDANDO_ENVIO_SAT.value
    estagio.exigir_zero()


def _um_processo_aprovado(ctx, sim, **ajustes):
    """One process downloaded and approved, the robot's clock moved on: ``(pid, short-timed context, client)``."""
    [pid] = [p.id for p in mes_com_processos(ctx, n_clientes=1)]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    curto = Contexto(ctx.settings.model_copy(update={"rpa_poll_interval_s": 0.02, "rpa_retry_backoff_s": 0.02,
                                                     **ajustes}), db=ctx.db)
    client = RpaClient(sim.base_url, rpa_token(ctx.settings), max_retries=1, backoff_base_s=0.001)
    robos.baixar_faturas(curto, object_store_from_settings(ctx.settings), client, MES, hoje=dt.date.today(),
                         log=lambda _: None)
    assert _aprovar_o_que_chegou(ctx, aprovador) == [pid]
    o_tempo_passa(sim)
    return pid, curto, client


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sat_job_completed_during_a_status_outage_is_not_sent_again(ctx, pipeline_env):
    """The SAT job completes, then /status answers 500 until the job timeout: the attempt ends TIMEOUT (the cancel
    finds the job already finished), the next round submits a new SAT job. After the outage, another run must
    leave SAT with the invoice exactly once."""
    with simulador() as sim:
        pid, curto, client = _um_processo_aprovado(ctx, sim, rpa_job_timeout_s=0.3)

        def dormir(segundos: float) -> None:
            time.sleep(min(segundos, 0.02))
            with sim._cond:
                concluido = any(j.sat and j.status == "COMPLETED" for j in sim.jobs.values())
            if concluido:  # the SAT job is done: now the status endpoint goes down
                sim.config = RAPIDO.model_copy(update={"falha_5xx_status": 1.0})

        with pytest.raises(RpaIndisponivel):  # the run fails while the status endpoint is down; the attempt stays open
            robos.enviar_ao_sat(curto, client, MES, log=lambda _: None, dormir=dormir)
        sim.config = RAPIDO  # the outage ends; the next run (the sensor's, or tomorrow's)
        robos.enviar_ao_sat(curto, client, MES, log=lambda _: None)
        estagio = verificar_envios_sat(ctx, sim, [pid], 2 * ctx.settings.max_tentativas)
        client.close()
    assert sim.falhas["5xx_status"] >= 1
    estagio.exigir_zero()
    assert estagio.finais == Counter({StatusProcesso.UPLOAD_REALIZADO.value: 1})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_uncertain_submit_whose_lookup_fails_leaves_no_orphan_job(ctx, pipeline_env):
    """The answer to the SAT submit comes back garbled (the job was created), and so do the answers of the GET /jobs
    lookup; the API recovers before the next round of the same run, which must adopt that job, not submit again."""
    with simulador() as sim:
        pid, curto, client = _um_processo_aprovado(ctx, sim)
        consultar_jobs, armado = client.jobs, []

        def jobs(limit: int = 50):  # the run's initial GET /jobs (adoption) goes through; then the API degrades
            resposta = consultar_jobs(limit)
            if not armado:
                armado.append(True)
                sim.config = RAPIDO.model_copy(update={"taxa_json_malformado": 1.0})
            return resposta

        client.jobs = jobs

        def dormir(segundos: float) -> None:
            time.sleep(min(segundos, 0.02))
            if sim.falhas["json_malformado"] >= 3:  # the submit's answer and both lookups were garbled
                sim.config = RAPIDO  # the API recovers

        robos.enviar_ao_sat(curto, client, MES, log=lambda _: None, dormir=dormir)
        estagio = verificar_envios_sat(ctx, sim, [pid], ctx.settings.max_tentativas)
        client.close()
    assert sim.falhas["json_malformado"] >= 3
    estagio.exigir_zero()

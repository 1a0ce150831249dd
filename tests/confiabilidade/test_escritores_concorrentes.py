"""Concurrent writers: people approve, reject and upload invoices from several threads (each with its own
engine, like separate app processes) while the pipeline downloads invoices and sends approved ones to SAT.

A business refusal (``TransicaoInvalida``/``RegraViolada``: someone else got there first) is the expected answer
to a race; "database is locked", or any other exception, reaching a caller is a failure. Afterwards every audit
row matches an action a thread saw succeed, replaying each process's audit trail through the state machine
ends in its stored status (no lost update), nothing is left running, and on SQLite ``PRAGMA integrity_check``
says ``ok``. 10 s in ``make test``; 60 s in ``make test-long``.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from beg_pipeline.db.models import Auditoria, Execucao, Processo
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.domain.processo import AcaoProcesso, StatusProcesso, TransicaoInvalida, transicao
from beg_pipeline.faturas.pdf_fatura import DadosFatura, gerar_pdf_fatura
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import aprovacoes, processos, robos, upload_manual
from beg_pipeline.services.contexto import Contexto, NaoEncontrado, RegraViolada
from beg_pipeline.storage import object_store_from_settings
from tests.builders import mes_com_processos, pessoa, visto, vistos
from tests.confiabilidade import figuras
from tests.confiabilidade.invariantes import backend
from tests.pipeline_fixtures import RAPIDO, simulador

N_CLIENTES = 12
MESES = [f"{m:02d}/{a}" for a in (2027, 2028, 2029, 2030) for m in range(1, 13)]
ACAO_DA_AUDITORIA = {"DOWNLOAD_CONCLUIDO": AcaoProcesso.DOWNLOAD_CONCLUIDO, "UPLOAD_MANUAL": AcaoProcesso.UPLOAD_MANUAL,
                     "APROVAR": AcaoProcesso.APROVAR, "REJEITAR": AcaoProcesso.REJEITAR,
                     "ENVIO_SAT_CONCLUIDO": AcaoProcesso.ENVIO_SAT_CONCLUIDO}


@dataclass
class Placar:
    """What one thread saw: successes, business refusals, locks, anything else."""

    ok: Counter = field(default_factory=Counter)
    recusas: Counter = field(default_factory=Counter)
    bloqueios: Counter = field(default_factory=Counter)  # "database is locked" reaching the caller
    erros: list = field(default_factory=list)

    def falhou(self, acao: str, exc: BaseException) -> None:
        if isinstance(exc, (TransicaoInvalida, RegraViolada, NaoEncontrado)):
            self.recusas[acao] += 1
        elif isinstance(exc, (OperationalError, sqlite3.OperationalError)) and "locked" in str(exc):
            self.bloqueios[acao] += 1
        else:
            self.erros.append(f"{acao}: {type(exc).__name__}: {str(exc)[:300]}")


def _status(ctx, status: StatusProcesso) -> list[uuid.UUID]:
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Processo.id).where(Processo.status_processo == status.value)))


def _pdfs() -> list[bytes]:
    return [gerar_pdf_fatura(DadosFatura(operadora="OI", razao_social=f"CLIENTE MANUAL {n}", cnpj="84718741000100",
                                         mes_ano="11/2026", valor=Decimal("321.00") + n,
                                         vencimento=dt.date(2027, 1, 10 + n), filtro=f"MAN-{n}"))
            for n in range(3)]


def _escritores(settings, duracao_s: float) -> tuple[dict[str, Placar], dict]:
    """Run every writer until the deadline; returns each thread's score and the simulator's job records."""
    ctx = Contexto(settings)
    aprovadores = [pessoa(ctx, Perfil.APROVADOR, f"aprovador{n}@beg.com.br") for n in range(3)]
    operador = pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    pdfs = _pdfs()
    fim = time.monotonic() + duracao_s
    placares: dict[str, Placar] = defaultdict(Placar)
    rapido = settings.model_copy(update={"rpa_poll_interval_s": 0.02, "rpa_retry_backoff_s": 0.02,
                                         "rpa_job_timeout_s": 30.0})

    def em_laco(nome: str, passo, contexto_settings=settings) -> threading.Thread:
        def alvo():
            contexto = Contexto(contexto_settings)  # its own engine and connection pool, like another process
            rnd = random.Random(nome)
            try:
                while time.monotonic() < fim:
                    passo(contexto, rnd, placares[nome])
            except BaseException as exc:  # noqa: BLE001 - a crashed writer is a failure, reported below
                placares[nome].erros.append(f"{nome} parou: {type(exc).__name__}: {exc}")
            finally:
                contexto.db.dispose()
        return threading.Thread(target=alvo, name=nome)

    def aprovar_em_lote(c, rnd, placar):
        ids = _status(c, StatusProcesso.AGUARDANDO_APROVACAO)
        try:
            lote = aprovacoes.aprovar_em_lote(c, aprovadores[0], escolhidos := rnd.sample(ids, min(len(ids), 5)),
                                               sha256=vistos(c, escolhidos))
        except Exception as exc:  # noqa: BLE001
            placar.falhou("aprovar_em_lote", exc)
            return
        placar.ok["aprovar"] += len(lote.aprovados)
        placar.recusas["aprovar"] += len(lote.recusados)

    def aprovar_um(c, rnd, placar):
        ids = _status(c, StatusProcesso.AGUARDANDO_APROVACAO)
        if ids:
            try:
                # The writers reuse a few PDFs across months and clients, so most invoices carry blocking signals
                # (wrong month, CNPJ, already rejected): this approver overrides them, as a person may, with a reason.
                aprovacoes.aprovar(c, aprovadores[1], alvo := rnd.choice(ids), sha256=visto(c, alvo),
                                   justificativa="corrida de escritores: sinais conferidos")
                placar.ok["aprovar"] += 1
            except Exception as exc:  # noqa: BLE001
                placar.falhou("aprovar", exc)

    def rejeitar(c, rnd, placar):
        ids = _status(c, StatusProcesso.AGUARDANDO_APROVACAO)
        if ids and rnd.random() < 0.3:
            try:
                aprovacoes.rejeitar(c, aprovadores[2], rnd.choice(ids), "valor diverge do contrato")
                placar.ok["rejeitar"] += 1
            except Exception as exc:  # noqa: BLE001
                placar.falhou("rejeitar", exc)
        else:
            time.sleep(0.01)  # pacing of a person, not synchronisation

    def enviar_manual(c, rnd, placar):
        ids = _status(c, StatusProcesso.AGUARDANDO_DOWNLOAD)
        if not ids or rnd.random() >= 0.1:
            time.sleep(0.01)  # pacing of a person, not synchronisation
        else:
            try:
                upload_manual.enviar_fatura_manual(c, operador, object_store_from_settings(c.settings), rnd.choice(ids),
                                               rnd.choice(pdfs), "fatura escaneada.pdf")
                placar.ok["upload_manual"] += 1
            except Exception as exc:  # noqa: BLE001
                placar.falhou("upload_manual", exc)

    jobs: dict = {}

    def pipeline():
        contexto = Contexto(rapido)
        placar = placares["pipeline"]
        meses: list[str] = []
        try:
            with simulador(RAPIDO) as sim, RpaClient(sim.base_url, rpa_token(settings)) as client:
                store = object_store_from_settings(settings)
                while time.monotonic() < fim and len(meses) < len(MESES):
                    meses.append(MESES[len(meses)])
                    processos.criar_processos_do_mes(contexto, SISTEMA, meses[-1])
                    for mes in meses:
                        try:
                            r = robos.baixar_faturas(contexto, store, client, mes, hoje=dt.date.today(),
                                                     log=lambda _: None)
                            placar.ok["download"] += r.concluidos
                            placar.recusas["download"] += sum(r.falhas.values())
                            placar.ok["envio_sat"] += robos.enviar_ao_sat(contexto, client, mes,
                                                                          log=lambda _: None).concluidos
                        except Exception as exc:  # noqa: BLE001
                            placar.falhou("pipeline", exc)
                with sim._cond:
                    jobs.update(sim.jobs)
        finally:
            placar.ok["meses"] = len(meses)
            contexto.db.dispose()

    threads = [threading.Thread(target=pipeline, name="pipeline"),
               em_laco("aprovar_em_lote", aprovar_em_lote), em_laco("aprovar_um", aprovar_um),
               em_laco("rejeitar", rejeitar), em_laco("upload_manual", enviar_manual)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duracao_s + 120)
        assert not t.is_alive(), f"{t.name} não terminou"
    ctx.db.dispose()
    return placares, jobs


def _trilha_confere(ctx) -> tuple[int, list[str]]:
    """Replay each process's audit trail through the state machine: it must be valid and end in the stored status."""
    with ctx.db.leitura() as s:
        atuais = dict(s.execute(select(Processo.id, Processo.status_processo)).all())
        trilhas = s.execute(select(Auditoria.processo_id, Auditoria.acao)
                            .where(Auditoria.acao.in_(list(ACAO_DA_AUDITORIA))).order_by(Auditoria.id)).all()
    estado = {pid: StatusProcesso.AGUARDANDO_DOWNLOAD for pid in atuais}
    problemas = []
    for pid, acao in trilhas:
        try:
            estado[pid] = transicao(ACAO_DA_AUDITORIA[acao], estado[pid], str(pid)).destino
        except TransicaoInvalida as exc:
            problemas.append(f"{pid}: trilha inválida: {exc}")
    problemas += [f"{pid}: trilha termina em {estado[pid].value}, banco diz {atual}"
                  for pid, atual in atuais.items() if estado[pid].value != atual]
    return len(trilhas), problemas


def _verificar(ctx, placares: dict[str, Placar], jobs: dict, duracao_s: float) -> None:
    ok = sum((p.ok for p in placares.values()), Counter())
    recusas = sum((p.recusas for p in placares.values()), Counter())
    bloqueios = sum((p.bloqueios for p in placares.values()), Counter())
    erros = [e for p in placares.values() for e in p.erros]
    with ctx.db.leitura() as s:
        auditoria = Counter(dict(s.execute(select(Auditoria.acao, func.count()).group_by(Auditoria.acao)).all()))
        execucoes = Counter({(t, st): n for t, st, n in s.execute(
            select(Execucao.tipo_execucao, Execucao.status_execucao, func.count())
            .group_by(Execucao.tipo_execucao, Execucao.status_execucao)).all()})
        por_status = Counter(dict(s.execute(select(Processo.status_processo, func.count())
                                            .group_by(Processo.status_processo)).all()))
        aprovados = {StatusProcesso.AGUARDANDO_ENVIO_SAT.value, StatusProcesso.UPLOAD_REALIZADO.value}
        aprovacao_incoerente = sum(
            1 for status, aprovador, data in s.execute(
                select(Processo.status_processo, Processo.aprovado_por_usuario_id, Processo.data_aprovacao))
            if (status in aprovados) != (aprovador is not None) or (aprovador is None) != (data is None))
        downloads_por_processo = Counter(s.scalars(select(Execucao.processo_id).where(
            Execucao.tipo_execucao == TipoExecucao.DOWNLOAD_FATURA.value)))
        integridade = s.execute(text("PRAGMA integrity_check")).scalar() if ctx.db.is_sqlite else "n/a"
        chaves_estrangeiras = s.execute(text("PRAGMA foreign_key_check")).all() if ctx.db.is_sqlite else []
    jobs_download = Counter(j.pedido.processo_id for j in jobs.values() if not j.sat)
    no_sat = Counter(j.pedido.processo_id for j in jobs.values() if j.sat and j.status == "COMPLETED")
    transicoes, problemas_trilha = _trilha_confere(ctx)
    figuras.registrar(
        "escritores_concorrentes", f"{duracao_s:.0f}s", backend=backend(ctx), threads=len(placares),
        sucesso=dict(ok), recusas_de_negocio=dict(recusas), database_is_locked=sum(bloqueios.values()),
        outros_erros=len(erros), transicoes_auditadas=transicoes, processos=sum(por_status.values()),
        status=dict(por_status), jobs=len(jobs), integrity_check=integridade,
        atualizacoes_perdidas=len(problemas_trilha) + aprovacao_incoerente)

    assert not erros, "\n".join(erros[:20])
    assert not bloqueios, f'"database is locked" chegou a quem chamou: {dict(bloqueios)}'
    for acao in ("aprovar", "rejeitar", "upload_manual", "download", "envio_sat"):
        assert ok[acao] >= 1, f"nenhum {acao} bem-sucedido: o teste não exercitou a corrida ({dict(ok)})"
    # every success a caller saw left exactly one audit row, and every audit row is a success someone saw
    assert auditoria["APROVAR"] == ok["aprovar"]
    assert auditoria["REJEITAR"] == ok["rejeitar"]
    assert auditoria["UPLOAD_MANUAL"] == ok["upload_manual"] == execucoes[("UPLOAD_MANUAL", "CONCLUIDO")]
    assert auditoria["DOWNLOAD_CONCLUIDO"] == ok["download"] == execucoes[("DOWNLOAD_FATURA", "CONCLUIDO")]
    assert auditoria["ENVIO_SAT_CONCLUIDO"] == ok["envio_sat"] == execucoes[("UPLOAD_SAT", "CONCLUIDO")] \
        == por_status[StatusProcesso.UPLOAD_REALIZADO.value] == sum(no_sat.values())
    assert max(no_sat.values(), default=0) <= 1, "um processo chegou ao SAT duas vezes"
    assert not problemas_trilha, "\n".join(problemas_trilha[:20])
    assert aprovacao_incoerente == 0
    assert not [st for (_, st) in execucoes if st == StatusExecucao.EXECUTANDO.value], "tentativa presa em EXECUTANDO"
    assert all(n <= downloads_por_processo[uuid.UUID(pid)] for pid, n in jobs_download.items()), \
        "um processo tem mais jobs de download que tentativas registradas"
    assert integridade in ("ok", "n/a") and not chaves_estrangeiras


def _cenario(ctx, settings, duracao_s: float) -> None:
    mes_com_processos(ctx, n_clientes=N_CLIENTES)  # carriers with robots and clients; the pipeline opens months
    placares, jobs = _escritores(settings, duracao_s)
    _verificar(ctx, placares, jobs, duracao_s)


def test_concurrent_writers_10s(ctx, settings, pipeline_env):
    _cenario(ctx, settings, 10)


@pytest.mark.long
def test_concurrent_writers_60s(ctx, settings, pipeline_env):
    _cenario(ctx, settings, 60)

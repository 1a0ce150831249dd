"""Concurrent callers change a process once: threads sharing an engine, and separate connections."""

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from beg_pipeline.db.models import Auditoria, Evento, Execucao, Processo
from beg_pipeline.domain.execucao import TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.domain.processo import EventoProcesso, TransicaoInvalida
from beg_pipeline.services import aprovacoes, processos
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.processos import ExecucaoEmAndamento
from tests.builders import MES, baixar, mes_com_processos, pessoa, visto, vistos

ROUNDS = 8


def _race(calls):
    """Run the calls at the same instant; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        barrier.wait()
        try:
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def _count(ctx, stmt):
    with ctx.db.leitura() as s:
        return s.scalar(stmt)


@pytest.mark.parametrize("separate_connections", [False, True], ids=["shared-engine", "two-engines"])
def test_two_approvers_at_once_approve_once(ctx, settings, separate_connections):
    procs = mes_com_processos(ctx, n_clientes=ROUNDS)
    a = pessoa(ctx, Perfil.APROVADOR, "a@beg.com.br")
    b = pessoa(ctx, Perfil.APROVADOR, "b@beg.com.br")
    other = Contexto(settings) if separate_connections else ctx
    try:
        for n, processo in enumerate(procs):
            baixar(ctx, processo.id, n)
            results, errors = _race([lambda p=processo: aprovacoes.aprovar(ctx, a, p.id, sha256=visto(ctx, p.id)),
                                     lambda p=processo: aprovacoes.aprovar(other, b, p.id, sha256=visto(ctx, p.id))])
            assert len(results) == 1 and len(errors) == 1, errors
            assert isinstance(errors[0], TransicaoInvalida), repr(errors[0])
            assert "já está em AGUARDANDO_ENVIO_SAT" in str(errors[0])
    finally:
        if separate_connections:
            other.db.dispose()
    assert _count(ctx, select(func.count()).select_from(Auditoria).where(Auditoria.acao == "APROVAR")) == ROUNDS
    assert _count(ctx, select(func.count()).select_from(Processo)
                  .where(Processo.status_processo == "AGUARDANDO_ENVIO_SAT")) == ROUNDS
    assert _approval_events(ctx) == Counter(p.id for p in procs)  # one event per approval, for the SAT sensor


def _approval_events(ctx) -> Counter:
    with ctx.db.leitura() as s:
        return Counter(s.scalars(select(Evento.processo_id).where(Evento.tipo == EventoProcesso.APROVADO.value)))


def test_two_bulk_approvals_at_once_write_one_event_per_process(ctx, settings):
    procs = mes_com_processos(ctx, n_clientes=ROUNDS)
    for n, processo in enumerate(procs):
        baixar(ctx, processo.id, n)
    a = pessoa(ctx, Perfil.APROVADOR, "a@beg.com.br")
    b = pessoa(ctx, Perfil.APROVADOR, "b@beg.com.br")
    ids = [p.id for p in procs]
    other = Contexto(settings)
    try:
        results, errors = _race([lambda: aprovacoes.aprovar_em_lote(ctx, a, ids, sha256=vistos(ctx, ids)),
                                 lambda: aprovacoes.aprovar_em_lote(other, b, list(reversed(ids)),
                                                                    sha256=vistos(ctx, ids))])
    finally:
        other.db.dispose()
    assert not errors, errors
    assert sorted(pid for r in results for pid in r.aprovados) == sorted(ids)  # each approved by exactly one
    assert _approval_events(ctx) == Counter(ids)


def test_double_click_approve_and_reject_race(ctx):
    procs = mes_com_processos(ctx, n_clientes=ROUNDS)
    a = pessoa(ctx, Perfil.APROVADOR, "a@beg.com.br")
    for n, processo in enumerate(procs):
        baixar(ctx, processo.id, n)
        results, errors = _race([lambda p=processo: aprovacoes.aprovar(ctx, a, p.id, sha256=visto(ctx, p.id)),
                                 lambda p=processo: aprovacoes.rejeitar(ctx, a, p.id, "valor divergente")])
        assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], TransicaoInvalida)
    decisoes = _count(ctx, select(func.count()).select_from(Auditoria)
                      .where(Auditoria.acao.in_(["APROVAR", "REJEITAR"])))
    assert decisoes == ROUNDS


def test_concurrent_attempts_open_one_execution(ctx, settings):
    procs = mes_com_processos(ctx, n_clientes=ROUNDS)
    other = Contexto(settings)
    try:
        for processo in procs:
            results, errors = _race([
                lambda p=processo: processos.abrir_execucao(ctx, SISTEMA, p.id, TipoExecucao.DOWNLOAD_FATURA),
                lambda p=processo: processos.abrir_execucao(other, SISTEMA, p.id, TipoExecucao.DOWNLOAD_FATURA)])
            assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], ExecucaoEmAndamento), errors
    finally:
        other.db.dispose()
    assert _count(ctx, select(func.count()).select_from(Execucao)) == ROUNDS


def test_concurrent_month_creation_creates_each_process_once(ctx, settings):
    mes_com_processos(ctx, n_clientes=12)
    others = [Contexto(settings) for _ in range(3)]
    try:
        results, errors = _race([lambda c=c: processos.criar_processos_do_mes(c, SISTEMA, "12/2026") for c in others])
    finally:
        for c in others:
            c.db.dispose()
    assert not errors, errors
    assert sum(r.criados for r in results) == 12
    assert _count(ctx, select(func.count()).select_from(Processo).where(Processo.mes_ano == "12/2026")) == 12
    assert _count(ctx, select(func.count()).select_from(Processo).where(Processo.mes_ano == MES)) == 12

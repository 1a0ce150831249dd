"""Issue 14 finding 6: text from users, robots and headers shows as typed, never as live links or remote images."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from beg_pipeline.db.models import Cliente
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.services import aprovacoes, notificacoes, processos
from tests.app_fixtures import baixar_fatura, botao, entrar, hoje, ir, textos_brutos, visivel
from tests.builders import mes_com_processos, pessoa

LINK = "[x](http://evil.example/roubo)"
IMAGEM = "![i](http://127.0.0.1:9/img.png)"
HOSTIL = f"{LINK} {IMAGEM} <img src=x> www.evil.example **negrito** :red[vermelho]"


def _sem_markdown_ativo(at) -> list[str]:
    """Every Markdown source on the page: none may hold a live link, image or bare URL; returns them."""
    brutos = textos_brutos(at)
    for texto in brutos:
        assert "[x](" not in texto and "![i]" not in texto and "http://" not in texto, texto
        assert "www.evil" not in texto and "**negrito**" not in texto and ":red[" not in texto, texto
    return brutos


def _mostra_literal(at) -> None:
    brutos = _sem_markdown_ativo(at)
    assert any(HOSTIL in visivel(texto) for texto in brutos), brutos


def test_client_names_reasons_robot_errors_and_notifications_show_literally(ctx, store, app_env):
    procs = sorted(mes_com_processos(ctx, n_clientes=2), key=lambda p: p.cliente.razao_social)
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    with ctx.db.transacao() as s:
        s.get(Cliente, procs[0].cliente_id).razao_social = HOSTIL
    alvo, rejeitado = procs[0], procs[1]
    execucao = processos.abrir_execucao(ctx, SISTEMA, alvo.id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, f"portal respondeu: {HOSTIL}")
    alvo = processos.obter_processo(ctx, alvo.id)
    baixar_fatura(ctx, store, alvo, Decimal("100.00"), hoje() + dt.timedelta(days=20))
    baixar_fatura(ctx, store, rejeitado, Decimal("200.00"), hoje() + dt.timedelta(days=20))
    aprovacoes.rejeitar(ctx, aprovador, rejeitado.id, HOSTIL)
    notificacoes.notificar(ctx, f"Aviso {LINK}", f"Cliente {HOSTIL}", destinatario=notificacoes.TODOS)

    at = ir(entrar("aprovador@beg.com.br"), "fila_aprovacao")
    _mostra_literal(at)  # the client's name over the invoice under review
    botao(at, "Aprovar").click().run()
    _mostra_literal(at)  # "Fatura de … aprovada."

    _mostra_literal(ir(at, "processo_detalhe", id=str(alvo.id)))  # title and the robot's error
    _mostra_literal(ir(at, "processo_detalhe", id=str(rejeitado.id)))  # the rejection reason
    _mostra_literal(ir(at, "notificacoes"))

"""Logins kept across reloads: one-time tickets, bounded sessions, revoked on logout and on password changes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from beg_pipeline.db.models import SessaoNavegador
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import autenticacao, cadastros, sessoes
from tests.builders import ADMIN, pessoa


def _sessao(ctx, ator) -> tuple:
    sessao_id, ticket = sessoes.abrir_sessao(ctx, ator)
    return sessao_id, sessoes.trocar_ticket(ctx, ticket)


def test_ticket_opens_one_session_once_and_only_hashes_are_stored(ctx):
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    sessao_id, ticket = sessoes.abrir_sessao(ctx, aprovador)
    token = sessoes.trocar_ticket(ctx, ticket)
    assert token and sessoes.trocar_ticket(ctx, ticket) is None  # replaying the ticket gives nothing
    atual = sessoes.ator_da_sessao(ctx, token, "10.0.0.9", "Chrome")
    assert (atual.usuario_id, atual.perfil, atual.ip) == (aprovador.usuario_id, Perfil.APROVADOR, "10.0.0.9")
    assert sessoes.ator_da_sessao(ctx, token + "x") is None and sessoes.ator_da_sessao(ctx, None) is None
    with ctx.db.leitura() as s:
        linha = s.get(SessaoNavegador, sessao_id)
        assert token not in (linha.token_sha256, linha.ticket_sha256) and linha.ticket_sha256 is None
        assert linha.expira_em - linha.criada_em > sessoes.VALIDADE_SESSAO - dt.timedelta(minutes=1)


def test_expired_ticket_and_expired_session_open_nothing(ctx):
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    _, ticket = sessoes.abrir_sessao(ctx, aprovador)
    sessao_id, token = _sessao(ctx, aprovador)
    passado = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with ctx.db.transacao() as s:
        s.execute(update(SessaoNavegador).values(expira_em=passado))
    assert sessoes.trocar_ticket(ctx, ticket) is None
    assert sessoes.ator_da_sessao(ctx, token) is None


def test_logout_revokes_by_cookie_or_by_id_and_deactivation_refuses_at_once(ctx):
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    _, por_cookie = _sessao(ctx, aprovador)
    sessao_id, por_id = _sessao(ctx, aprovador)
    _, outra = _sessao(ctx, aprovador)
    sessoes.revogar(ctx, por_cookie)
    sessoes.revogar(ctx, None, sessao_id)
    assert sessoes.ator_da_sessao(ctx, por_cookie) is None and sessoes.ator_da_sessao(ctx, por_id) is None
    assert sessoes.ator_da_sessao(ctx, outra) is not None  # another browser stays logged in
    cadastros.alterar_usuario(ctx, ADMIN, aprovador.usuario_id, status_ativo=False)
    assert sessoes.ator_da_sessao(ctx, outra) is None


def test_password_change_and_admin_reset_end_every_session_of_the_user(ctx):
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    operador = pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    _, antes_da_troca = _sessao(ctx, aprovador)
    _, do_operador = _sessao(ctx, operador)
    autenticacao.trocar_senha(ctx, aprovador, "senha-forte-123", "outra-senha-forte-456")
    assert sessoes.ator_da_sessao(ctx, antes_da_troca) is None
    _, antes_do_reset = _sessao(ctx, aprovador)
    cadastros.alterar_usuario(ctx, ADMIN, aprovador.usuario_id, nova_senha="terceira-senha-789")
    assert sessoes.ator_da_sessao(ctx, antes_do_reset) is None
    assert sessoes.ator_da_sessao(ctx, do_operador).usuario_id == operador.usuario_id
    with ctx.db.leitura() as s:
        assert s.scalar(select(SessaoNavegador.revogada_em).where(
            SessaoNavegador.usuario_id == operador.usuario_id)) is None

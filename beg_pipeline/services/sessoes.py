"""Logins kept across browser reloads and tabs: a server-side session behind a signed-by-randomness, HttpOnly cookie.

Flow: after the login form succeeds, ``abrir_sessao`` stores a one-time ticket (valid ``VALIDADE_TICKET``); the
browser is sent to ``/sessao/abrir?ticket=…`` (``approval_app/servidor.py``), which calls ``trocar_ticket`` and
sets the returned token as the ``beg_sessao`` cookie (HttpOnly, SameSite=Strict). Every new Streamlit session
reads the cookie through ``ator_da_sessao``. Only SHA-256 hashes are stored. A session ends at ``VALIDADE_SESSAO``,
at logout (``revogar``) and on any password change (``revogar_do_usuario``); a deactivated user is refused at
once. The login form keeps its lockout: a cookie never bypasses a password check that has not happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from beg_pipeline.db.models import SessaoNavegador, agora
from beg_pipeline.domain.perfis import Ator
from beg_pipeline.services.contexto import Contexto

COOKIE = "beg_sessao"
VALIDADE_SESSAO = dt.timedelta(hours=8)  # a working day
VALIDADE_TICKET = dt.timedelta(seconds=60)


def _hash(segredo: str) -> str:
    return hashlib.sha256(segredo.encode()).hexdigest()


def abrir_sessao(ctx: Contexto, ator: Ator) -> tuple[uuid.UUID, str]:
    """The id of ``ator``'s new session (just authenticated by the login form) and its one-time ticket."""
    ticket = secrets.token_urlsafe(32)
    momento = agora()
    sessao = SessaoNavegador(id=uuid.uuid4(), usuario_id=ator.usuario_id, ticket_sha256=_hash(ticket),
                             criada_em=momento, expira_em=momento + VALIDADE_TICKET)
    with ctx.db.transacao() as s:
        s.add(sessao)
    return sessao.id, ticket


def trocar_ticket(ctx: Contexto, ticket: str) -> str | None:
    """The session token for a ticket not yet used nor expired (then never again); ``None`` otherwise."""
    token = secrets.token_urlsafe(32)
    momento = agora()
    with ctx.db.transacao() as s:
        trocado = s.execute(
            update(SessaoNavegador)
            .where(SessaoNavegador.ticket_sha256 == _hash(ticket or ""), SessaoNavegador.expira_em > momento,
                   SessaoNavegador.revogada_em.is_(None))
            .values(ticket_sha256=None, token_sha256=_hash(token), expira_em=momento + VALIDADE_SESSAO)
        ).rowcount
    return token if trocado == 1 else None


def ator_da_sessao(ctx: Contexto, token: str | None, ip: str | None = None,
                   user_agent: str | None = None) -> Ator | None:
    """The user of a live session token; ``None`` when missing, unknown, expired, revoked or the user inactive."""
    if not isinstance(token, str) or not token:
        return None
    with ctx.db.leitura() as s:
        usuario_id = s.scalar(select(SessaoNavegador.usuario_id).where(
            SessaoNavegador.token_sha256 == _hash(token), SessaoNavegador.expira_em > agora(),
            SessaoNavegador.revogada_em.is_(None)))
    from beg_pipeline.services import autenticacao  # autenticacao imports this module (revogar_do_usuario)

    return None if usuario_id is None else autenticacao.ator_atual(ctx, usuario_id, ip, user_agent)


def revogar(ctx: Contexto, token: str | None = None, sessao_id: uuid.UUID | None = None) -> None:
    """Logout: the session (named by its cookie token or its id) no longer opens anything (idempotent)."""
    condicoes = [*([SessaoNavegador.token_sha256 == _hash(token)] if token else []),
                 *([SessaoNavegador.id == sessao_id] if sessao_id else [])]
    if condicoes:
        with ctx.db.transacao() as s:
            s.execute(update(SessaoNavegador).where(or_(*condicoes)).values(revogada_em=agora()))


def revogar_do_usuario(s: Session, usuario_id: uuid.UUID) -> None:
    """Every open session of a user, in the caller's transaction (password changed or reset)."""
    s.execute(update(SessaoNavegador).where(SessaoNavegador.usuario_id == usuario_id,
                                            SessaoNavegador.revogada_em.is_(None))
              .values(revogada_em=agora()))

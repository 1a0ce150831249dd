"""In-app notifications of what needs a person (credentials failures, failed runs, due dates)."""

from __future__ import annotations

from sqlalchemy import select

from beg_pipeline.db.models import Notificacao
from beg_pipeline.services.contexto import Contexto

TIPO_APP = "APP"  # shown in the approval app; e-mail/webhook channels are out of scope for now


def notificar(ctx: Contexto, assunto: str, mensagem: str, *, destinatario: str = "OPERADOR",
              processo_id=None) -> None:
    """Record a notification for a profile (``destinatario``); one per (assunto, processo) while unsent."""
    with ctx.db.transacao() as s:
        repetida = s.scalar(select(Notificacao.id).where(
            Notificacao.assunto == assunto, Notificacao.processo_id == processo_id,
            Notificacao.status_envio == "PENDENTE"))
        if repetida is None:
            s.add(Notificacao(tipo=TIPO_APP, destinatario=destinatario, assunto=assunto[:300], mensagem=mensagem,
                              processo_id=processo_id))


def pendentes(ctx: Contexto, destinatario: str | None = None) -> list[Notificacao]:
    with ctx.db.leitura() as s:
        consulta = select(Notificacao).where(Notificacao.status_envio == "PENDENTE")
        if destinatario:
            consulta = consulta.where(Notificacao.destinatario == destinatario)
        return list(s.scalars(consulta.order_by(Notificacao.data_criacao.desc())))

"""The append-only audit trail: one row for every write a person or the pipeline makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Auditoria
from beg_pipeline.domain.perfis import Ator
from beg_pipeline.services.contexto import IdEntidade


def registrar(
    session: Session,
    ator: Ator,
    acao: str,
    entidade: str,
    entidade_id: object | None = None,
    *,
    processo_id: IdEntidade | None = None,
    sha256_pdf: str | None = None,
    detalhes: dict[str, Any] | None = None,
) -> None:
    session.add(
        Auditoria(
            usuario_id=ator.usuario_id,
            ator=ator.email,
            perfil=ator.perfil.value,
            acao=acao,
            entidade=entidade,
            entidade_id=None if entidade_id is None else str(entidade_id),
            processo_id=processo_id,
            sha256_pdf=sha256_pdf,
            detalhes=detalhes,
            ip_origem=ator.ip,
            user_agent=ator.user_agent,
        )
    )


def trilha_do_processo(session: Session, processo_id: IdEntidade) -> list[Auditoria]:
    return list(session.scalars(select(Auditoria).where(Auditoria.processo_id == processo_id).order_by(Auditoria.id)))

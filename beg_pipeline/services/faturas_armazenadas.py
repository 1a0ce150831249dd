"""Reading a process's stored invoice PDF back from the object store."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from beg_pipeline.db.models import Processo
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.storage.base import ObjectStore


def pdf_da_fatura(ctx: Contexto, ator: Ator, store: ObjectStore, processo_id: uuid.UUID) -> bytes | None:
    """The invoice PDF of the process, or None when it has none yet (``ObjetoNaoEncontrado`` if the key is gone)."""
    ator.exigir(Permissao.VER)
    with ctx.db.leitura() as s:
        chave = s.scalar(select(Processo.fatura_s3_key).where(Processo.id == processo_id))
    return store.get(chave) if chave else None

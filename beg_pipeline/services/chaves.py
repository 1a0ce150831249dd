"""Key rotation: re-encrypt every stored portal password with the newest key."""

from __future__ import annotations

from sqlalchemy import select

from beg_pipeline.db.models import Cliente
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.services import auditoria
from beg_pipeline.services.contexto import Contexto


def rotacionar_chaves(ctx: Contexto, ator: Ator) -> int:
    """Re-encrypt all portal passwords with the first key of ``BEG_SECRET_KEY``; all or nothing."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    with ctx.db.transacao() as s:
        clientes = list(s.scalars(select(Cliente).where(Cliente.senha_portal.is_not(None))))
        for cliente in clientes:
            cliente.senha_portal = ctx.cofre.recifrar(cliente.senha_portal)
        auditoria.registrar(s, ator, "ROTACIONAR_CHAVES", "clientes", detalhes={"recifradas": len(clientes)})
    return len(clientes)

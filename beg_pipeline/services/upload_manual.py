"""Manual upload: a person sends the invoice PDF the robot could not fetch."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from beg_pipeline.db.models import Cliente, Operadora, Processo
from beg_pipeline.domain import calendario
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.faturas.leitura import conferencias, ler_fatura
from beg_pipeline.faturas.validacao_pdf import validar_pdf
from beg_pipeline.services import processos
from beg_pipeline.services.contexto import Contexto, NaoEncontrado, RegraViolada
from beg_pipeline.storage.base import ObjectStore, chave_fatura


def enviar_fatura_manual(ctx: Contexto, ator: Ator, store: ObjectStore, processo_id: uuid.UUID, conteudo: bytes,
                         nome_original: str) -> processos.FaturaArmazenada:
    """Validate a PDF a person uploaded, store it under the invoice key, and move the process to approval.

    A refused file raises ``PdfRecusado`` with the reason and changes nothing. The user's file name is only
    recorded, never used in the key.
    """
    ator.exigir(Permissao.UPLOAD_MANUAL)
    validado = validar_pdf(conteudo, ctx.settings.max_upload_mb * 1024 * 1024)
    with ctx.db.leitura() as s:
        linha = s.execute(select(Processo.mes_ano, Processo.status_processo, Operadora.codigo)
                          .join(Cliente, Processo.cliente_id == Cliente.id)
                          .join(Operadora, Cliente.operadora_id == Operadora.id)
                          .where(Processo.id == processo_id)).one_or_none()
    if linha is None:
        raise NaoEncontrado(f"Processo {processo_id} não existe.")
    if linha.status_processo != StatusProcesso.AGUARDANDO_DOWNLOAD.value:
        raise RegraViolada(f"Upload manual só em processos AGUARDANDO_DOWNLOAD; este está em {linha.status_processo}.")
    leitura = ler_fatura(conteudo)
    particao = calendario.particao_de_mes_ano(linha.mes_ano)
    chave = chave_fatura(particao, linha.codigo, str(processo_id), validado.sha256)
    store.put(chave, conteudo, "application/pdf")
    nome = "".join(c for c in (nome_original or "") if c.isprintable())[:255]
    fatura = processos.FaturaArmazenada(chave=chave, sha256=validado.sha256, nome_arquivo=nome,
                                        valor=leitura.valor, vencimento=leitura.vencimento,
                                        conferencias=conferencias(leitura))
    processos.registrar_upload_manual(ctx, ator, processo_id, fatura)
    return fatura

"""Fetching the invoice PDF a completed download job points to, whatever the ``arquivo_fatura`` variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from beg_pipeline.faturas.validacao_pdf import tipo_provavel
from beg_pipeline.rpa.contrato.cliente import RpaClient
from beg_pipeline.rpa.contrato.erros import ArquivoInvalido
from beg_pipeline.rpa.contrato.procedencia import chave_do_robo
from beg_pipeline.rpa.contrato.variantes import RefArquivo, TipoRef

if TYPE_CHECKING:
    from beg_pipeline.storage.base import ObjectStore


def ler_arquivo_fatura(
    ref: RefArquivo | str, object_store: ObjectStore, client: RpaClient, bucket: str | None = None,
    operadora: str | None = None,
) -> bytes:
    """The invoice PDF behind any ``arquivo_fatura`` variant; ``ArquivoInvalido`` if missing, not a PDF, too big,
    from an origin not allowed, or a key outside the robots' folder (of ``operadora``, when given)."""
    from beg_pipeline.storage.base import ObjetoNaoEncontrado

    ref = ref if isinstance(ref, RefArquivo) else RefArquivo.parse(ref)
    if ref.tipo is TipoRef.HTTP:
        dados = client.baixar_arquivo(ref)
    else:
        if ref.bucket and bucket and ref.bucket != bucket:
            raise ArquivoInvalido(f"arquivo em outro bucket ({ref.bucket}); o configurado é {bucket}")
        chave = chave_do_robo(ref.chave or "", client.arquivos.prefixo_chaves, operadora)
        try:
            tamanho = object_store.stat(chave).size
            if tamanho > client.arquivos.max_bytes:
                raise ArquivoInvalido(f"arquivo da fatura de {tamanho} bytes excede o limite de "
                                      f"{client.arquivos.max_bytes} bytes (BEG_MAX_UPLOAD_MB)")
            dados = object_store.get(chave)
        except ObjetoNaoEncontrado:
            raise ArquivoInvalido(f"arquivo da fatura não está no object store: {chave}") from None
    if not dados.startswith(b"%PDF-"):  # what it looks like, never its bytes: operators read this message
        raise ArquivoInvalido(f"arquivo da fatura não é PDF ({len(dados)} bytes, {tipo_provavel(dados)})")
    return dados

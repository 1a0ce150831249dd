"""Fetching the invoice PDF a completed download job points to, whatever the ``arquivo_fatura`` variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from beg_pipeline.rpa.contrato.cliente import RpaClient
from beg_pipeline.rpa.contrato.erros import ArquivoInvalido
from beg_pipeline.rpa.contrato.variantes import RefArquivo, TipoRef

if TYPE_CHECKING:
    from beg_pipeline.storage.base import ObjectStore


def ler_arquivo_fatura(
    ref: RefArquivo | str, object_store: ObjectStore, client: RpaClient, bucket: str | None = None
) -> bytes:
    """The invoice PDF behind any ``arquivo_fatura`` variant; ``ArquivoInvalido`` if missing or not a PDF."""
    from beg_pipeline.storage.base import ObjetoNaoEncontrado

    ref = ref if isinstance(ref, RefArquivo) else RefArquivo.parse(ref)
    if ref.tipo is TipoRef.HTTP:
        dados = client.baixar_arquivo(ref)
    else:
        if ref.bucket and bucket and ref.bucket != bucket:
            raise ArquivoInvalido(f"arquivo em outro bucket ({ref.bucket}); o configurado é {bucket}")
        try:
            dados = object_store.get(ref.chave or "")
        except ObjetoNaoEncontrado:
            raise ArquivoInvalido(f"arquivo da fatura não está no object store: {ref.chave}") from None
    if not dados.startswith(b"%PDF-"):
        raise ArquivoInvalido(f"arquivo da fatura não é PDF ({len(dados)} bytes, início {dados[:8]!r})")
    return dados

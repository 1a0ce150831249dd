"""The month's invoice check: every stored PDF is read and hashed against the SHA-256 on record; it is parsed again
only when its bytes never passed the PDF check on arrival (a legacy import)."""

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, update

from beg_pipeline.db.models import Processo
from beg_pipeline.services import verificacoes
from beg_pipeline.storage.base import chave_fatura, sha256_hex
from tests.app_fixtures import baixar_fatura, pdf_de
from tests.builders import MES, mes_com_processos

VENCIMENTO = dt.date(2026, 12, 10)


def _como_o_legado(ctx, store, processo, dados: bytes) -> None:
    """What the legacy import leaves: the old system's bytes copied and recorded, never checked."""
    sha = sha256_hex(dados)
    chave = chave_fatura("2026-11-01", "OI", str(processo.id), sha)
    store.put(chave, dados, "application/pdf")
    with ctx.db.transacao() as s:
        s.execute(update(Processo).where(Processo.id == processo.id)
                  .values(fatura_s3_key=chave, caminho_s3_fatura=chave, fatura_sha256=sha))


def test_replaced_or_unreadable_invoices_are_flagged_and_checked_ones_are_trusted_by_their_hash(ctx, store):
    trocado, perdido, legado_ruim, legado_bom, em_dia = mes_com_processos(ctx, 5)
    for p in (trocado, perdido, em_dia):
        baixar_fatura(ctx, store, p, Decimal("10.00"), VENCIMENTO)
    with ctx.db.leitura() as s:
        chaves = dict(s.execute(select(Processo.id, Processo.fatura_s3_key)).all())
    # another readable PDF put over the robot's: the hash tells, the parse alone would not
    store.put(chaves[trocado.id], pdf_de(trocado, Decimal("99.00"), VENCIMENTO), "application/pdf")
    store.delete(chaves[perdido.id])
    _como_o_legado(ctx, store, legado_ruim, b"%PDF-1.4\n% truncado pelo sistema antigo")
    _como_o_legado(ctx, store, legado_bom, pdf_de(legado_bom, Decimal("20.00"), VENCIMENTO))

    problemas = {p["processo"]: p["motivo"] for p in verificacoes.faturas_com_problema(ctx, store, MES)}

    assert set(problemas) == {str(trocado.id), str(perdido.id), str(legado_ruim.id)}, problemas
    assert "não é o registrado" in problemas[str(trocado.id)]
    assert problemas[str(perdido.id)] == "arquivo não encontrado no armazenamento"
    assert problemas[str(legado_ruim.id)].startswith("PDF ilegível")

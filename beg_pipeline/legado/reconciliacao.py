"""Legacy vs new, per table, per status and per month (count and sum of ``valor_fatura``).

Each legacy row is counted under its legacy key (its status mapped as ``schema.md`` says). On the new side, the
row it became is counted under the new row's own key — unless the row was rejected with a reason, or is no longer
the import's (unified with a row the new system had, or changed there since): those explain the difference. A key
agrees when legacy = new + rejected + explained, for the count and for the sum.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Cliente, Execucao, LegadoMapeamento, Operadora, Processo, Usuario
from beg_pipeline.legado.gravacao import impressao_do_objeto
from beg_pipeline.storage.base import ChaveInvalida, ObjectStore, ObjetoNaoEncontrado

MODELOS = {"operadoras": Operadora, "usuarios": Usuario, "clientes": Cliente, "processos": Processo,
           "execucoes": Execucao}
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LinhaLegado:
    id_legado: str
    rejeitado: bool = False
    id_novo: str | None = None
    status: str | None = None
    mes: str | None = None
    valor: Decimal | None = None


@dataclass(frozen=True)
class PdfLegado:
    """A PDF of bucket ``beg`` a legacy process references."""

    id_legado: str
    rejeitado: bool  # the process was rejected, or the object is missing from the bucket copy (both reported)


@dataclass
class Celula:
    legado: int = 0
    novo: int = 0
    rejeitados: int = 0
    explicados: int = 0
    soma_legado: Decimal = ZERO
    soma_novo: Decimal = ZERO
    soma_rejeitados: Decimal = ZERO
    soma_explicados: Decimal = ZERO

    @property
    def confere(self) -> bool:
        return (self.legado == self.novo + self.rejeitados + self.explicados
                and self.soma_legado == self.soma_novo + self.soma_rejeitados + self.soma_explicados)


@dataclass
class Reconciliacao:
    celulas: dict[tuple[str, str, str], Celula] = field(default_factory=lambda: defaultdict(Celula))

    @property
    def ok(self) -> bool:
        return all(c.confere for c in self.celulas.values())

    def divergencias(self) -> list[tuple[str, str, str]]:
        return [k for k, c in sorted(self.celulas.items()) if not c.confere]

    def csv(self) -> str:
        saida = io.StringIO()
        escritor = csv.writer(saida)
        escritor.writerow(["tabela", "dimensao", "chave", "legado", "novo", "rejeitados", "explicados",
                           "soma_legado", "soma_novo", "soma_rejeitados", "soma_explicados", "confere"])
        for (tabela, dimensao, chave), c in sorted(self.celulas.items()):
            escritor.writerow([tabela, dimensao, chave, c.legado, c.novo, c.rejeitados, c.explicados, c.soma_legado,
                               c.soma_novo, c.soma_rejeitados, c.soma_explicados, "sim" if c.confere else "NÃO"])
        return saida.getvalue()

    def texto(self) -> str:
        linhas = ["Reconciliação legado × novo (confere quando legado = novo + rejeitados com motivo + explicados, "
                  "isto é, mantidos ou alterados no sistema novo; o mesmo para a soma de valor_fatura):",
                  f"  {'tabela':<10} {'dimensão':<8} {'chave':<22} {'legado':>6} {'novo':>6} {'rejeit':>6} "
                  f"{'explic':>6} {'soma legado':>13} {'soma novo':>13} {'soma rejeit':>12} {'soma explic':>12}  "
                  "confere"]
        for (tabela, dimensao, chave), c in sorted(self.celulas.items()):
            linhas.append(f"  {tabela:<10} {dimensao:<8} {chave[:22]:<22} {c.legado:>6} {c.novo:>6} "
                          f"{c.rejeitados:>6} {c.explicados:>6} {c.soma_legado:>13} {c.soma_novo:>13} "
                          f"{c.soma_rejeitados:>12} {c.soma_explicados:>12}  {'sim' if c.confere else 'NÃO'}")
        linhas.append("Reconciliação confere." if self.ok else
                      f"Reconciliação NÃO confere em {len(self.divergencias())} linha(s).")
        return "\n".join(linhas)


def _chaves(tabela: str, status: str | None, mes: str | None) -> list[tuple[str, str, str]]:
    chaves = [(tabela, "total", "-")]
    if status is not None:
        chaves.append((tabela, "status", status))
    if mes is not None:
        chaves.append((tabela, "mes", _mes_ordenavel(mes)))
    return chaves


def _mes_ordenavel(mes_ano: str) -> str:
    partes = (mes_ano or "").split("/")
    return f"{partes[1]}-{partes[0]}" if len(partes) == 2 else mes_ano or "?"


def _novos(s: Session, tabela: str, ids: list[str]) -> dict[str, Any]:
    modelo = MODELOS[tabela]
    achados: dict[str, Any] = {}
    uuids = [uuid.UUID(i) for i in ids]
    for inicio in range(0, len(uuids), 500):
        for objeto in s.scalars(select(modelo).where(modelo.id.in_(uuids[inicio:inicio + 500]))):
            achados[str(objeto.id)] = objeto
    return achados


def _proprio(m: LegadoMapeamento | None, objeto: Any, campos: list[str]) -> bool:
    """Whether the new row is still exactly as the import wrote it."""
    return (m is not None and m.hash_gravado is not None and m.id_novo == str(objeto.id)
            and impressao_do_objeto(objeto, campos) == m.hash_gravado)


def reconciliar_pdfs(s: Session, r: Reconciliacao, pdfs: list[PdfLegado], campos: list[str],
                     store: ObjectStore | None) -> None:
    """Every referenced PDF of bucket ``beg`` is stored (its SHA-256 checked in the store when given), or was
    reported missing / its process rejected, or its process changed in the new system."""
    mapa = {m.id_legado: m for m in s.scalars(select(LegadoMapeamento).where(LegadoMapeamento.tabela == "processos"))}
    novos = _novos(s, "processos", sorted({mapa[p.id_legado].id_novo for p in pdfs if p.id_legado in mapa}))
    c = r.celulas[("pdfs", "total", "-")]
    for pdf in pdfs:
        c.legado += 1
        m = mapa.get(pdf.id_legado)
        objeto = novos.get(m.id_novo) if m else None
        if pdf.rejeitado:
            c.rejeitados += 1
        elif objeto is not None and not _proprio(m, objeto, campos):
            c.explicados += 1
        elif objeto is not None and objeto.fatura_sha256 and (
                store is None or _sha_no_store(store, objeto.fatura_s3_key) == objeto.fatura_sha256):
            c.novo += 1


def _sha_no_store(store: ObjectStore, chave: str | None) -> str | None:
    try:
        return store.stat(chave).sha256 if chave else None
    except (ObjetoNaoEncontrado, ChaveInvalida):
        return None


def reconciliar(s: Session, linhas: dict[str, list[LinhaLegado]], campos: dict[str, list[str]]) -> Reconciliacao:
    """Compare what the legacy holds with what the new database holds for it (``campos``: the fields the import
    writes per table, to tell rows the new system changed since)."""
    r = Reconciliacao()
    for tabela, registros in linhas.items():
        mapa = {m.id_legado: m for m in s.scalars(select(LegadoMapeamento).where(LegadoMapeamento.tabela == tabela))}
        if tabela == "usuarios":  # people only in the legacy's ``users`` table
            mapa.update({f"users:{m.id_legado}": m for m in s.scalars(
                select(LegadoMapeamento).where(LegadoMapeamento.tabela == "users"))})
        ids = {}
        for linha in registros:
            m = mapa.get(linha.id_legado)
            ids[linha.id_legado] = linha.id_novo or (m.id_novo if m else None)
        novos = _novos(s, tabela, sorted({i for i in ids.values() if i}))
        for linha in registros:
            valor = linha.valor or ZERO
            for chave in _chaves(tabela, linha.status, linha.mes):
                c = r.celulas[chave]
                c.legado += 1
                c.soma_legado += valor
                if linha.rejeitado:
                    c.rejeitados += 1
                    c.soma_rejeitados += valor
            if linha.rejeitado:
                continue
            m, objeto = mapa.get(linha.id_legado), novos.get(ids[linha.id_legado] or "")
            if objeto is None:
                continue  # lost: the legacy side counted it, the new side cannot
            if not _proprio(m, objeto, campos.get(tabela, [])):
                for chave in _chaves(tabela, linha.status, linha.mes):
                    r.celulas[chave].explicados += 1
                    r.celulas[chave].soma_explicados += valor
                continue
            status = getattr(objeto, "status_processo", None) or getattr(objeto, "status_execucao", None)
            for chave in _chaves(tabela, status if linha.status is not None else None,
                                 getattr(objeto, "mes_ano", None) if linha.mes is not None else None):
                r.celulas[chave].novo += 1
                r.celulas[chave].soma_novo += getattr(objeto, "valor_fatura", None) or ZERO
    return r

"""What an import did: counts per table and action, every occurrence with its reason, the reconciliation; printed
and stored as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from beg_pipeline.db.models import agora
from beg_pipeline.legado.gravacao import Contagem, Problema
from beg_pipeline.legado.reconciliacao import Reconciliacao
from beg_pipeline.storage.base import ObjectStore

TABELAS = ("operadoras", "usuarios", "clientes", "processos", "execucoes")


@dataclass
class RelatorioLegado:
    dry_run: bool
    contagens: dict[str, Contagem] = field(default_factory=lambda: {t: Contagem() for t in TABELAS})
    problemas: list[Problema] = field(default_factory=list)
    conversoes: Counter = field(default_factory=Counter)  # "tabela: de → para" for every converted legacy value
    pdfs: Counter = field(default_factory=Counter)
    colunas_ausentes: dict[str, list[str]] = field(default_factory=dict)
    reconciliacao: Reconciliacao | None = None
    momento: dt.datetime = field(default_factory=agora)
    arquivos: list[str] = field(default_factory=list)  # the CSV reports in the object store

    @property
    def ok(self) -> bool:
        return self.reconciliacao is not None and self.reconciliacao.ok

    def problema(self, tabela: str, id_legado: Any, motivo: str, rejeitado: bool = False) -> None:
        self.problemas.append(Problema(tabela, str(id_legado), motivo, rejeitado))

    def resumo(self) -> str:
        linhas = ["Simulação: nada foi gravado. O que a importação faria:" if self.dry_run else "Importação do legado:"]
        for tabela, contagem in self.contagens.items():
            partes = ", ".join(f"{n} {a.value}s" for a, n in contagem.acoes.items() if n)
            linhas.append(f"  {tabela}: {partes or 'nada'}")
        if self.pdfs:
            linhas.append("  PDFs: " + ", ".join(f"{n} {k}" for k, n in sorted(self.pdfs.items())))
        for tabela, colunas in self.colunas_ausentes.items():
            linhas.append(f"  colunas ausentes no legado (lidas como vazias): {tabela}.{', '.join(colunas)}")
        if self.conversoes:
            linhas.append("Valores convertidos:")
            linhas += [f"  {chave}: {n}" for chave, n in sorted(self.conversoes.items())]
        if self.problemas:
            rejeitadas = sum(p.rejeitado for p in self.problemas)
            linhas.append(f"Ocorrências ({len(self.problemas)}; rejeitadas: {rejeitadas}):")
            linhas += [f"  [{'REJEITADO' if p.rejeitado else 'aviso'}] {p.tabela} {p.id_legado}: {p.motivo}"
                       for p in self.problemas]
        if self.reconciliacao is not None:
            linhas.append(self.reconciliacao.texto())
        return "\n".join(linhas)



def guardar_relatorios(store: ObjectStore, relatorio: RelatorioLegado) -> list[str]:
    """The reconciliation and the list of occurrences as CSV files in the object store (``legado/…``)."""
    carimbo = f"{relatorio.momento.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    ocorrencias = io.StringIO()
    escritor = csv.writer(ocorrencias)
    escritor.writerow(["tabela", "id_legado", "rejeitado", "motivo"])
    escritor.writerows([p.tabela, p.id_legado, "sim" if p.rejeitado else "não", p.motivo] for p in relatorio.problemas)
    chaves = {f"legado/{carimbo}-reconciliacao.csv": relatorio.reconciliacao.csv(),
              f"legado/{carimbo}-ocorrencias.csv": ocorrencias.getvalue()}
    for chave, texto in chaves.items():
        store.put(chave, texto.encode("utf-8-sig"), "text/csv")
    return list(chaves)

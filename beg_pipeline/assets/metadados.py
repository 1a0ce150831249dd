"""Helpers that turn service summaries into Dagster metadata."""

from __future__ import annotations

import dagster as dg


def tabela(linhas: list[dict[str, object]], limite: int = 500) -> dg.MetadataValue:
    """A Markdown table of the first ``limite`` rows (the UI shows it as a table)."""
    if not linhas:
        return dg.MetadataValue.md("_nenhuma linha_")
    colunas = list(linhas[0])
    partes = ["| " + " | ".join(colunas) + " |", "|" + "---|" * len(colunas)]
    partes += ["| " + " | ".join(str(linha.get(c, "")).replace("|", "/") for c in colunas) + " |"
               for linha in linhas[:limite]]
    if len(linhas) > limite:
        partes.append(f"\n_… e mais {len(linhas) - limite} linhas_")
    return dg.MetadataValue.md("\n".join(partes))

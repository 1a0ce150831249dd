"""Helpers that turn service summaries into Dagster metadata."""

from __future__ import annotations

import dagster as dg

LEGENDA_ROBOS = {
    "concluidos": "processos cujo job do robô terminou com sucesso nesta execução (quantidade)",
    "adotados": "jobs já em andamento no robô (de uma execução anterior) que esta execução acompanhou em vez de "
                "submeter de novo (quantidade)",
    "submissoes": "pedidos novos enviados à API dos robôs nesta execução, tentativas incluídas (quantidade)",
    "pendentes": "processos não tentados agora: sem credenciais, fatura ainda não publicada, operadora sem robô "
                 "(quantidade)",
    "falhas_<classe>": "processos que falharam, por classe (CREDENCIAIS, NAO_PUBLICADA, TRANSITORIA, TIMEOUT, …)",
    "processos": "tabela: um processo por linha, com o desfecho",
}


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


def legenda(campos: dict[str, str]) -> dict[str, dg.MetadataValue]:
    """Definition metadata that explains, in the users' language, the keys a materialization writes."""
    linhas = ["| campo | significado |", "|---|---|", *(f"| `{k}` | {v} |" for k, v in campos.items())]
    return {"legenda dos metadados": dg.MetadataValue.md("\n".join(linhas))}

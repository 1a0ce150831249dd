"""Figures of the reliability tests, for RELIABILITY.md.

Each test that measures something calls ``registrar(secao, caso, **figuras)``. When ``BEG_RELIABILITY_OUT`` names a
file, one JSON object per call is appended to it (JSON Lines); without it nothing is written. The variable is read
at import time because the suite's autouse fixture removes every ``BEG_`` variable while a test runs.

Regenerate the tables of RELIABILITY.md::

    rm -f /tmp/figuras.jsonl
    BEG_RELIABILITY_OUT=/tmp/figuras.jsonl make test
    BEG_RELIABILITY_OUT=/tmp/figuras.jsonl make test-long
    .venv/bin/python -m tests.confiabilidade.figuras /tmp/figuras.jsonl
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

DESTINO = os.environ.get("BEG_RELIABILITY_OUT") or None


def registrar(secao: str, caso: str, **figuras: Any) -> None:
    """Append one record ``{"secao", "caso", "quando", **figuras}`` to ``$BEG_RELIABILITY_OUT`` (if set)."""
    if not DESTINO:
        return
    registro = {"secao": secao, "caso": caso, "quando": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                **figuras}
    linha = json.dumps(registro, ensure_ascii=False, sort_keys=True, default=str) + "\n"
    with open(DESTINO, "a", encoding="utf-8") as arquivo:  # several pytest processes may append at once
        fcntl.flock(arquivo, fcntl.LOCK_EX)
        try:
            arquivo.write(linha)
        finally:
            fcntl.flock(arquivo, fcntl.LOCK_UN)


def ler(caminho: str | Path) -> list[dict[str, Any]]:
    with open(caminho, encoding="utf-8") as arquivo:
        return [json.loads(linha) for linha in arquivo if linha.strip()]


def _celula(valor: Any) -> str:
    if isinstance(valor, dict):
        return ", ".join(f"{k}: {v}" for k, v in sorted(valor.items())) or "—"
    if isinstance(valor, float):
        return f"{valor:.1f}"
    return str(valor)


def tabela(registros: list[dict[str, Any]]) -> str:
    """A Markdown table of records of one section (the last record of each case/backend wins)."""
    ultimos: dict[tuple, dict[str, Any]] = {}
    for r in registros:
        ultimos[(r["caso"], r.get("backend", ""))] = r
    colunas: list[str] = []
    for r in ultimos.values():
        colunas += [c for c in r if c not in ("secao", "quando") and c not in colunas]
    linhas = ["| " + " | ".join(colunas) + " |", "|" + "---|" * len(colunas)]
    for r in ultimos.values():
        linhas.append("| " + " | ".join(_celula(r.get(c, "")) for c in colunas) + " |")
    return "\n".join(linhas)


def resumo(registros: list[dict[str, Any]]) -> str:
    """Per backend: faults injected by type, jobs the robot simulator created, duplicates, lost, stuck — over every
    record except those of tests that pin a known bug (``bug`` field; they are reported on their own)."""
    ultimos: dict[tuple, dict[str, Any]] = {}
    for r in registros:
        ultimos[(r["secao"], r["caso"], r.get("backend", ""))] = r
    por_backend: dict[str, dict[str, Any]] = defaultdict(lambda: {"faltas": defaultdict(int), "jobs": 0,
                                                                   "duplicados": 0, "perdidos": 0, "presos": 0,
                                                                   "casos": 0})
    for r in ultimos.values():
        if r.get("bug") or not r.get("backend"):
            continue
        b = por_backend[r["backend"]]
        b["casos"] += 1
        for tipo, n in (r.get("faltas_injetadas") or {}).items():
            b["faltas"][tipo] += n
        b["jobs"] += r.get("jobs", 0)
        b["duplicados"] += r.get("duplicados", 0)
        b["perdidos"] += r.get("perdidos", 0) + r.get("atualizacoes_perdidas", 0) + r.get("vazamentos", 0) \
            + r.get("tabelas_diferentes", 0) + r.get("restauracoes_inconsistentes", 0)
        b["presos"] += r.get("presos", 0) + r.get("database_is_locked", 0) + r.get("outros_erros", 0)
    linhas = ["| backend | records | faults injected (by type) | jobs created by the robot | duplicates | lost | "
              "stuck |", "|---|---|---|---|---|---|---|"]
    for nome, b in sorted(por_backend.items(), reverse=True):
        faltas = ", ".join(f"{k}: {v}" for k, v in sorted(b["faltas"].items()))
        linhas.append(f"| {nome} | {b['casos']} | {faltas} (total {sum(b['faltas'].values())}) | {b['jobs']} | "
                      f"{b['duplicados']} | {b['perdidos']} | {b['presos']} |")
    return "\n".join(linhas)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("uso: python -m tests.confiabilidade.figuras ARQUIVO.jsonl", file=sys.stderr)
        return 2
    registros = ler(argv[0])
    print(f"### resumo\n\n{resumo(registros)}\n")
    por_secao: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for registro in registros:
        por_secao[registro["secao"]].append(registro)
    for secao, registros in por_secao.items():
        print(f"### {secao}\n\n{tabela(registros)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

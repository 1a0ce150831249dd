"""Case 7 — one robot budget: two months' downloads launched at once, as two processes.

N/2 accounts (default 200), a process for each in two months; the robot simulator (capacity 80, L = 1 s) would
accept every job at once. Two child processes each materialize ``faturas`` for one month (``_faturas_filho``), as
the weekday schedule does for the current and the previous month, with ``BEG_RPA_MAX_CONCURRENCY`` = 20 and
``BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA`` = 6. Target: the simulator never sees more jobs in flight than either cap
(0 above). Informative: the wall time, start-up of both processes included, against one budget's ideal.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from benchmarks import dados
from benchmarks.medida import Medida

LATENCIA_S = 1.0
CAPACIDADE = 80
MAX_TOTAL, MAX_POR_OPERADORA = 20, 6
POLL_S = 0.1
MESES = {"2026-10-01": "10/2026", "2026-11-01": "11/2026"}


def medir(n_por_mes: int) -> dict:
    with dados.ambiente("sqlite") as amb:
        ids = dados.clientes(amb, n_por_mes)
        dados.processos(amb, [(cid, mes) for mes in MESES.values() for cid in ids], "AGUARDANDO_DOWNLOAD")
        with dados.simulador_externo(amb, latencia_s=LATENCIA_S, jitter_s=0.0, capacidade=CAPACIDADE) as sim:
            env = {**os.environ, **amb.env(), "BEG_RPA_URL": sim.url, "BEG_RPA_MAX_CONCURRENCY": str(MAX_TOTAL),
                   "BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA": str(MAX_POR_OPERADORA),
                   "BEG_RPA_POLL_INTERVAL_S": str(POLL_S), "BEG_RPA_JOB_TIMEOUT_S": "600",
                   "PYTHONPATH": str(dados.RAIZ)}
            # each child's output goes to a file: a pipe read only at the end would fill up with the robot lines
            # (the run's stdout) and stop that child while the other waits for the slots it holds
            with tempfile.TemporaryDirectory() as pasta, contextlib.ExitStack() as arquivos:
                saidas = [arquivos.enter_context(open(Path(pasta) / f"{particao}.log", "w+")) for particao in MESES]
                with dados.Cronometro() as c:
                    filhos = [subprocess.Popen([sys.executable, "-m", "benchmarks._faturas_filho", particao],
                                               cwd=dados.RAIZ, env=env, stdout=saida, stderr=subprocess.STDOUT)
                              for particao, saida in zip(MESES, saidas, strict=True)]
                    for filho in filhos:
                        filho.wait(timeout=900)
                resultados = [_resultado(filho, saida) for filho, saida in zip(filhos, saidas, strict=True)]
    est = sim.estatisticas
    por_operadora = est.get("max_em_voo_por_operadora") or {}
    jobs = 2 * n_por_mes
    ideal = max(jobs * LATENCIA_S / MAX_TOTAL, jobs / len(dados.OPERADORAS) * LATENCIA_S / MAX_POR_OPERADORA)
    concluidos = sum(r.get("concluidos") or 0 for r in resultados)
    return {"n_por_mes": n_por_mes, "parede_s": c.s, "ideal_s": ideal, "razao": c.s / ideal,
            "max_em_voo": est.get("max_em_voo"), "max_em_voo_por_operadora": por_operadora,
            "acima": max(0, (est.get("max_em_voo") or 0) - MAX_TOTAL)
            + max(0, max(por_operadora.values(), default=0) - MAX_POR_OPERADORA),
            "jobs_criados": est.get("jobs"), "concluidos": concluidos, "filhos": resultados,
            "valido": concluidos == jobs and est.get("jobs") == jobs}


def _resultado(filho: subprocess.Popen, saida: TextIO) -> dict:
    """The child's JSON line, or the end of its output when it failed."""
    saida.seek(0)
    texto = saida.read()
    linhas = [linha for linha in texto.splitlines() if linha.startswith("{")]
    return json.loads(linhas[-1]) if filho.returncode == 0 and linhas else {"erro": texto[-500:]}


def executar(opcoes) -> list[Medida]:
    r = medir(opcoes.n // 2)
    invalido = "" if r["valido"] else f"INVÁLIDO ({r['concluidos']} concluídos, {r['jobs_criados']} jobs); "
    return [
        Medida("7 orçamento", f"dois meses × {r['n_por_mes']} contas em 2 processos: jobs em voo acima dos limites",
               r["acima"] if r["valido"] else float("inf"), "jobs", 0,
               nota=(f"{invalido}máximo visto pelo simulador: {r['max_em_voo']} em voo (limite {MAX_TOTAL}), "
                     f"por operadora {r['max_em_voo_por_operadora']} (limite {MAX_POR_OPERADORA})"), extra=r),
        Medida("7 orçamento", "parede (com a partida dos 2 processos) / ideal de um orçamento", r["razao"], "×",
               nota=(f"informativo: parede {r['parede_s']:.1f} s / ideal {r['ideal_s']:.0f} s "
                     f"(2N·L/{MAX_TOTAL}); sem o orçamento comum seriam até {2 * MAX_TOTAL} jobs em voo")),
    ]

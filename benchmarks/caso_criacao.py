"""Case 2 — process creation.

10,000 active clients: wall time of materializing ``processos_mensais`` for one partition, on SQLite and on
PostgreSQL, ≤ 2 s each; a second materialization of the same partition (nothing to create) ≤ 0.5 s. Done for
three months over the same clients (each month's first materialization creates 10,000 processes); medians.
"""

from __future__ import annotations

import functools
import json
import os
import statistics
import subprocess
import sys

import dagster as dg
from sqlalchemy import func, select

from benchmarks import dados
from benchmarks.caso_downloads import LOGS
from benchmarks.medida import Medida, nao_executado

ALVO_PRIMEIRA_S = 2.0
ALVO_SEGUNDA_S = 0.5
PARTICOES = ("2026-08-01", "2026-09-01", "2026-10-01")  # three first materializations


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if dados.postgres_disponivel() else ["sqlite"]


@functools.cache
def medir(n: int, backend: str) -> dict:
    """Over ``n`` active clients, for each of three months: a first materialization of ``processos_mensais``
    (creates ``n`` processes) and a second (creates none); the medians are reported (the machine may be
    shared). Memoized."""
    from beg_pipeline.assets.processos_mensais import processos_mensais
    from beg_pipeline.db.models import Processo
    from beg_pipeline.resources import ConfiguracaoResource, recursos

    rodadas = []
    with dados.ambiente(backend) as amb, dg.DagsterInstance.ephemeral() as instancia:  # one instance, as deployed
        dados.clientes(amb, n)
        for particao in PARTICOES:
            rodada = {"particao": particao}
            for vez in ("primeira", "segunda"):
                with dados.Cronometro() as c:
                    resultado = dg.materialize([processos_mensais], partition_key=particao,
                                               resources=recursos(ConfiguracaoResource()), run_config=LOGS,
                                               instance=instancia)
                meta = resultado.asset_materializations_for_node("processos_mensais")[0].metadata
                rodada.update({f"{vez}_s": c.s, f"{vez}_passo_s": dados.duracoes_dos_passos(resultado)[
                    "processos_mensais"], f"{vez}_criados": meta["criados"].value,
                    f"{vez}_resto_da_maquina_cpu_s": round(max(0.0, c.maquina_cpu_s - c.cpu_s), 2)})
            rodadas.append(rodada)
        with amb.ctx.db.leitura() as s:
            total = s.scalar(select(func.count()).select_from(Processo))
    r = {"n": n, "backend": backend, "rodadas": rodadas, "processos": total,
         "valido": total == n * len(PARTICOES) and all(
             x["primeira_criados"] == n and x["segunda_criados"] == 0 for x in rodadas)}
    for chave in ("primeira_s", "segunda_s", "primeira_passo_s", "segunda_passo_s"):
        r[chave] = statistics.median(x[chave] for x in rodadas)
    return r


def medir_isolado(n: int, backend: str) -> dict:
    """``medir`` in a fresh interpreter (``_criacao_filho``). Case 6 compares two sizes measured this way, so both
    see the same process state, not whatever earlier cases left alive for the garbage collector to walk."""
    filho = subprocess.run([sys.executable, "-m", "benchmarks._criacao_filho", str(n), backend], cwd=dados.RAIZ,
                           env={**os.environ, "PYTHONPATH": str(dados.RAIZ)}, capture_output=True, text=True)
    linhas = [linha for linha in filho.stdout.splitlines() if linha.startswith("{")]
    if filho.returncode or not linhas:
        raise RuntimeError(f"_criacao_filho {n} {backend} saiu com {filho.returncode}: {filho.stderr[-2000:]}")
    return json.loads(linhas[-1])


def medidas(r: dict, caso: str = "2 criação") -> list[Medida]:
    invalido = "" if r["valido"] else f"INVÁLIDO (processos {r['processos']}); "

    def nota(vez: str) -> str:
        tempos = ", ".join(f"{x[vez + '_s']:.2f}" for x in r["rodadas"])
        resto = ", ".join(f"{x[vez + '_resto_da_maquina_cpu_s']:.1f}" for x in r["rodadas"])
        return (f"{invalido}mediana de {len(r['rodadas'])} meses: {tempos} s; passo {r[vez + '_passo_s']:.2f} s; "
                f"CPU do resto da máquina (inclui o servidor PostgreSQL): {resto} s")

    return [
        Medida(caso, f"{r['backend']}: {r['n']:,} clientes, 1ª materialização", r["primeira_s"], "s", ALVO_PRIMEIRA_S,
               nota=nota("primeira"), extra=r),
        Medida(caso, f"{r['backend']}: 2ª materialização (nada a criar)", r["segunda_s"], "s", ALVO_SEGUNDA_S,
               nota=nota("segunda")),
    ]


def executar(opcoes) -> list[Medida]:
    saida = []
    for backend in backends():
        saida += medidas(medir(opcoes.clientes, backend))
    if "postgresql" not in backends():
        saida += [nao_executado("2 criação", "postgresql: 1ª materialização", "s", ALVO_PRIMEIRA_S,
                                f"PostgreSQL ausente em {dados.POSTGRES_URL}")]
    return saida

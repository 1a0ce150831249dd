"""``make bench``: run the benchmark cases, print a table, write ``benchmarks/results.json``.

    python benchmarks/run.py [--casos 1,2,3,4,5,6,7] [--rapido] [--saida ARQUIVO]

Benchmarks are not tests: an unmet target is reported (and the exit code stays 0); only a case that crashes
makes the exit code 1. ``--rapido`` runs every case on small sizes (a smoke run, written to
``results-rapido.json``; its figures say nothing about the targets).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import traceback
import warnings
from pathlib import Path

RAIZ = Path(__file__).resolve().parent.parent
if str(RAIZ) not in sys.path:
    sys.path.insert(0, str(RAIZ))

warnings.filterwarnings("ignore")  # Dagster's preview/supersession warnings would drown the table

from benchmarks.medida import Medida  # noqa: E402

CASOS = {
    "1": ("caso_downloads", "downloads vs o limite dos robôs"),
    "2": ("caso_criacao", "criação de processos"),
    "3": ("caso_sensor", "sensor de aprovações"),
    "4": ("caso_fila", "fila de aprovação (AppTest)"),
    "5": ("caso_memoria", "memória"),
    "6": ("caso_crescimento", "crescimento"),
    "7": ("caso_orcamento", "dois meses ao mesmo tempo: um orçamento de robôs"),
    "8": ("caso_workers", "1 vs 2 workers Celery (topologia de produção)"),
}
TAMANHOS = {  # n: accounts (cases 1, 6); clientes: case 2; aprovacoes: case 3; fila: case 4; memoria: case 5
    "normal": dict(n=400, clientes=10_000, aprovacoes=10_000, fila=10_000, memoria=5_000),
    "rapido": dict(n=40, clientes=1_000, aprovacoes=1_000, fila=1_000, memoria=300),
}


def maquina() -> dict:
    def _ler(caminho: str, prefixo: str) -> str | None:
        try:
            for linha in Path(caminho).read_text().splitlines():
                if linha.startswith(prefixo):
                    return linha.split(":", 1)[1].strip()
        except OSError:
            pass
        return None

    memoria = _ler("/proc/meminfo", "MemTotal")
    versoes = {}
    for pacote in ("dagster", "sqlalchemy", "pandas", "streamlit", "pypdf", "psycopg2-binary"):
        try:
            versoes[pacote] = importlib.metadata.version(pacote)
        except importlib.metadata.PackageNotFoundError:
            versoes[pacote] = None
    try:
        commit = subprocess.run(["git", "-C", str(RAIZ), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except OSError:
        commit = None
    postgres = None
    from benchmarks import dados

    if dados.postgres_disponivel():
        from sqlalchemy import create_engine, text

        engine = create_engine(dados.POSTGRES_URL)
        with engine.connect() as conn:
            postgres = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    return {
        "cpu": _ler("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "nucleos": os.cpu_count(),
        "ram_gb": round(int(memoria.split()[0]) / 1024 / 1024, 1) if memoria else None,
        "sistema": platform.platform(),
        "python": platform.python_version(),
        "versoes": versoes,
        "postgresql": postgres,
        "commit": commit,
        "data": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def aquecer() -> None:
    """One trivial in-process materialization: Dagster's one-time start-up is not charged to the first case."""
    import dagster as dg

    import beg_pipeline.definitions  # noqa: F401 - every product module imported once, as a code server does

    @dg.asset
    def aquecimento() -> int:
        return 1

    dg.materialize([aquecimento], run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})


def tabela(medidas: list[Medida]) -> str:
    linhas = [("caso", "medida", "alvo", "valor", "resultado")]
    linhas += [(m.caso, m.medida, m.alvo, m.texto_valor(), m.situacao) for m in medidas]
    larguras = [min(70, max(len(linha[i]) for linha in linhas)) for i in range(5)]
    saida = []
    for n, linha in enumerate(linhas):
        saida.append("  ".join(c[:larguras[i]].ljust(larguras[i]) for i, c in enumerate(linha)))
        if n == 0:
            saida.append("  ".join("-" * w for w in larguras))
    return "\n".join(saida)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--casos", default=",".join(CASOS), help="casos a rodar, separados por vírgula (1-7)")
    parser.add_argument("--rapido", action="store_true", help="tamanhos pequenos (teste de fumaça)")
    parser.add_argument("--saida", type=Path, default=None, help="arquivo JSON (padrão: benchmarks/results.json)")
    opcoes = parser.parse_args(argv)
    casos = [c.strip() for c in opcoes.casos.split(",") if c.strip()]
    desconhecidos = [c for c in casos if c not in CASOS]
    if desconhecidos:
        parser.error(f"casos desconhecidos: {desconhecidos}; use {', '.join(CASOS)}")
    for nome, valor in TAMANHOS["rapido" if opcoes.rapido else "normal"].items():
        setattr(opcoes, nome, valor)
    saida = opcoes.saida or RAIZ / "benchmarks" / ("results-rapido.json" if opcoes.rapido else "results.json")

    import logging

    logging.basicConfig(level=logging.ERROR)
    inicio = time.perf_counter()
    print(f"BEG benchmarks: casos {', '.join(casos)}{' (rápido)' if opcoes.rapido else ''}", flush=True)
    info = maquina()
    print(f"máquina: {info['cpu']}, {info['nucleos']} núcleos, {info['ram_gb']} GB; Python {info['python']}; "
          f"PostgreSQL {info['postgresql'] or 'ausente'}", flush=True)
    aquecer()
    medidas: list[Medida] = []
    erros: dict[str, str] = {}
    duracoes: dict[str, float] = {}
    for caso in casos:
        modulo, titulo = CASOS[caso]
        print(f"\n== caso {caso}: {titulo} …", flush=True)
        t = time.perf_counter()
        try:
            novas = importlib.import_module(f"benchmarks.{modulo}").executar(opcoes)
        except Exception as exc:  # noqa: BLE001 - one broken case never hides the others' figures
            traceback.print_exc()
            erros[caso] = f"{type(exc).__name__}: {exc}"
            novas = [Medida(f"{caso} {modulo[5:]}", "erro", None, "", 0.0, nota=f"erro: {type(exc).__name__}: {exc}")]
        duracoes[caso] = time.perf_counter() - t
        for m in novas:
            print(f"   {m.medida}: {m.texto_valor()} (alvo {m.alvo}) → {m.situacao}"
                  + (f"  [{m.nota}]" if m.nota and m.valor is not None else ""), flush=True)
        medidas += novas
    total = time.perf_counter() - inicio

    print("\n" + tabela(medidas))
    com_alvo = [m for m in medidas if m.limite is not None]
    nao = [m for m in com_alvo if not m.atendido]
    print(f"\n{len(com_alvo) - len(nao)}/{len(com_alvo)} alvos atendidos; tempo total {total / 60:.1f} min "
          f"(limite 15 min){'; NÃO ATENDIDOS: ' + '; '.join(f'{m.caso} — {m.medida}' for m in nao) if nao else ''}")
    saida.write_text(json.dumps({
        "maquina": info, "rapido": opcoes.rapido, "casos": casos, "duracao_total_s": round(total, 1),
        "duracao_por_caso_s": {k: round(v, 1) for k, v in duracoes.items()}, "erros": erros,
        "medidas": [m.como_dict() for m in medidas],
    }, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"resultados em {saida.relative_to(RAIZ) if saida.is_relative_to(RAIZ) else saida}")
    return 1 if erros else 0


if __name__ == "__main__":
    sys.exit(main())

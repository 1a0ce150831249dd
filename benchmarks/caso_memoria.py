"""Case 5 — memory.

Peak RSS of a ``faturas`` run over 5,000 accounts ≤ 500 MB. The run is a child process (``_faturas_filho``);
its peak resident set is the kernel's ``VmHWM`` of that program, which the child reports as it ends, and this
process also samples the child's ``VmRSS`` every 0.1 s as a cross-check. (``ru_maxrss`` from ``wait4`` is
recorded too but not used: Linux carries it over ``exec`` from the forked copy of this process, so it reports
the parent's size when the parent is the bigger one.) The robot simulator serves from this process with a
small latency (0.05 s) and room for 200 jobs at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from benchmarks import dados
from benchmarks.caso_downloads import MES_ANO, PARTICAO
from benchmarks.medida import Medida

ALVO_MB = 500.0
CONCORRENCIA = 40


def medir(n: int) -> dict:
    from beg_pipeline.domain.perfis import SISTEMA
    from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
    from beg_pipeline.services.processos import criar_processos_do_mes

    with dados.ambiente("sqlite") as amb:
        dados.clientes(amb, n)
        criar_processos_do_mes(amb.ctx, SISTEMA, MES_ANO)
        config = SimuladorConfig(latencia_s=0.05, jitter_s=0.0, capacidade=200, semente=7)
        with Simulador(config, amb.settings) as sim:
            env = {**os.environ, **amb.env(BEG_RPA_URL=sim.base_url, BEG_RPA_MAX_CONCURRENCY=str(CONCORRENCIA),
                                         BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA=str(CONCORRENCIA),
                                         BEG_RPA_POLL_INTERVAL_S="0.05", BEG_RPA_JOB_TIMEOUT_S="600"),
                   "PYTHONPATH": str(dados.RAIZ)}
            with dados.Cronometro() as c:
                filho = subprocess.Popen([sys.executable, "-m", "benchmarks._faturas_filho", PARTICAO],
                                         cwd=dados.RAIZ, env=env, stdout=subprocess.PIPE, text=True)
                amostras = _amostrar_rss(filho.pid)
                saida = filho.stdout.read()
                _, status, uso = os.wait4(filho.pid, 0)
                filho.returncode = os.waitstatus_to_exitcode(status)
    linhas = [x for x in saida.splitlines() if x.startswith("{")]
    r = json.loads(linhas[-1]) if linhas else {"sucesso": False}
    r.update(n=n, ru_maxrss_mb=uso.ru_maxrss / 1024, rss_amostrado_max_mb=max(amostras, default=0.0),
             parede_total_s=c.s, codigo_saida=filho.returncode)
    r["valido"] = bool(r.get("sucesso")) and r.get("concluidos") == n and "pico_rss_mb" in r
    r.setdefault("pico_rss_mb", r["rss_amostrado_max_mb"])
    return r


def _amostrar_rss(pid: int) -> list[float]:
    """The child's VmRSS (MB) every 0.1 s until it exits, sampled from a background thread."""
    amostras: list[float] = []

    def amostrar() -> None:
        caminho = f"/proc/{pid}/status"
        while True:
            try:
                with open(caminho) as status:
                    linha = next((x for x in status if x.startswith("VmRSS:")), None)
            except OSError:
                return
            if linha is None:  # a zombie: the program has ended
                return
            amostras.append(int(linha.split()[1]) / 1024)
            time.sleep(0.1)

    threading.Thread(target=amostrar, daemon=True, name="amostra-rss").start()
    return amostras


def executar(opcoes) -> list[Medida]:
    r = medir(opcoes.memoria)
    nota = (f"RSS após imports {r.get('rss_apos_imports_mb', 0):.0f} MB, ao fim {r.get('rss_final_mb', 0):.0f} MB; "
            f"máximo amostrado {r['rss_amostrado_max_mb']:.0f} MB; run de {r.get('parede_s', 0):.0f} s "
            f"({r['n'] / max(r.get('parede_s') or 1, 1e-9):.0f} faturas/s); {r.get('concluidos')} faturas baixadas")
    if not r["valido"]:
        nota = "INVÁLIDO (run falhou ou incompleto); " + nota
    return [Medida("5 memória", f"pico de RSS, faturas com {r['n']:,} contas", r["pico_rss_mb"], "MB", ALVO_MB,
                   nota=nota, extra=r)]

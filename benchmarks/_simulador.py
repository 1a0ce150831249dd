"""Child process: the product's robot simulator with the given latency, jitter and capacity.

``python -m benchmarks._simulador LATENCIA JITTER CAPACIDADE [RTT]``: prints the base URL on stdout, serves until
its stdin is closed, then prints a JSON line with its request counts, CPU time and the most jobs in flight it saw
(in all and per carrier). Settings (data dir, token)
come from the ``BEG_*`` variables, like ``beg simulador``.
"""

import json
import logging
import resource
import sys

from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
from beg_pipeline.settings import load_settings


def main() -> None:
    latencia, jitter, capacidade = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    rtt = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    logging.basicConfig(level=logging.WARNING)
    config = SimuladorConfig(latencia_s=latencia, jitter_s=jitter, capacidade=capacidade, rtt_s=rtt, semente=7)
    with Simulador(config, load_settings()) as sim:
        print(sim.base_url, flush=True)
        sys.stdin.read()  # until the parent closes the pipe
        uso = resource.getrusage(resource.RUSAGE_SELF)
        print(json.dumps({"requisicoes": dict(sim.requisicoes), "jobs": len(sim.jobs), "falhas": dict(sim.falhas),
                          "max_em_voo": sim.max_em_voo, "max_em_voo_por_operadora": dict(sim.max_em_voo_por_operadora),
                          "cpu_s": uso.ru_utime + uso.ru_stime}), flush=True)


if __name__ == "__main__":
    main()

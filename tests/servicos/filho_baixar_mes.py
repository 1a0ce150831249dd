"""Child process of the shared-budget tests: one month's downloads through the service, as a run worker does.

``python -m tests.servicos.filho_baixar_mes MM/AAAA SINAL``: settings from the ``BEG_*`` variables; prints "pronto",
waits until the file ``SINAL`` exists (so that two children start together), downloads (its log and robot lines on
stderr), prints the summary as JSON.
"""

import datetime as dt
import json
import sys
import time
from pathlib import Path

from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.robos import baixar_faturas
from beg_pipeline.settings import load_settings
from beg_pipeline.storage import object_store_from_settings


def main() -> None:
    mes_ano, sinal = sys.argv[1], Path(sys.argv[2])
    settings = load_settings()
    ctx = Contexto(settings)
    print("pronto", flush=True)
    sys.stdout = sys.stderr  # the run's output (robot lines) to the log file: the pipe carries only the handshake
    while not sinal.exists():
        time.sleep(0.01)
    with RpaClient.from_settings(settings) as client:
        resumo = baixar_faturas(ctx, object_store_from_settings(settings), client, mes_ano,
                                hoje=dt.date(2026, 12, 1), log=lambda linha: print(linha, flush=True))
    print(json.dumps(resumo.metadados()), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    main()

"""Start a set of services in their own process groups, wait until each answers, and stop all of them together.

Shared by `make dev` (scripts/dev_servicos.py) and `make prod-local` (scripts/prod_local.py): Ctrl-C or SIGTERM
stops every group; a service that dies stops the others and the exit code says so."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.request import urlopen

Servicos = Mapping[str, tuple[list[str], str | None]]
"""Name → (argv, health URL or None when the service has no HTTP endpoint)."""


def responde(url: str) -> bool:
    try:
        with urlopen(url, timeout=2) as resposta:
            return resposta.status < 500
    except OSError:
        return False


def supervisionar(servicos: Servicos, *, cwd: Path, env: dict[str, str], timeout_s: float, aviso: str,
                  espera_parada_s: float = 20) -> int:
    """Run ``servicos`` until Ctrl-C; print ``aviso`` once all answer. 0 on Ctrl-C, 1 when a service fails."""
    processos: dict[str, subprocess.Popen] = {}
    parar = False

    def ao_sinal(_signum: int, _frame: object) -> None:
        nonlocal parar
        parar = True

    signal.signal(signal.SIGINT, ao_sinal)
    signal.signal(signal.SIGTERM, ao_sinal)
    try:
        for nome, (comando, _) in servicos.items():
            processos[nome] = subprocess.Popen(comando, cwd=cwd, env=env, start_new_session=True)
        pendentes = {nome: url for nome, (_, url) in servicos.items() if url}
        limite = time.monotonic() + timeout_s
        while pendentes and not parar:
            for nome, processo in processos.items():
                if processo.poll() is not None:
                    print(f"ERRO: {nome} terminou ao iniciar (código {processo.returncode}).", flush=True)
                    return 1
            pendentes = {nome: url for nome, url in pendentes.items() if not responde(url)}
            if pendentes and time.monotonic() > limite:
                print(f"ERRO: sem resposta de {', '.join(pendentes)} em {timeout_s:.0f} s.", flush=True)
                return 1
            time.sleep(0.5)
        if not parar:
            print(aviso, flush=True)
        while not parar and all(p.poll() is None for p in processos.values()):
            time.sleep(0.5)
        caidos = [nome for nome, p in processos.items() if p.poll() is not None]
        if caidos and not parar:
            print(f"ERRO: {', '.join(caidos)} parou; encerrando os demais.", flush=True)
            return 1
        return 0
    finally:
        print("Parando os serviços…", flush=True)
        parar_grupos(list(processos.values()), espera_s=espera_parada_s)


def parar_grupos(processos: list[subprocess.Popen], espera_s: float = 20) -> None:
    """SIGTERM to each process group (started with ``start_new_session``), SIGKILL to those still alive."""
    for p in processos:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p in processos:
        try:
            p.wait(espera_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()

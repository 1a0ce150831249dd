"""Start Dagster's webserver and daemon as ops run them (own process group), and stop them cleanly."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from scripts.supervisao import parar_grupos

RAIZ = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def preparar_home(home: Path, config: Path = RAIZ / "dagster.yaml") -> Path:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(config, home / "dagster.yaml")
    return home


_LOCALIZACOES = ("{ workspaceOrError { ... on Workspace { locationEntries { loadStatus "
                 "locationOrLoadError { __typename } } } } }")


def _localizacoes_carregadas(porta: int) -> bool:
    """The webserver answers and every code location of the workspace has loaded its definitions."""
    try:
        resposta = requests.post(f"http://127.0.0.1:{porta}/graphql", json={"query": _LOCALIZACOES}, timeout=5)
        entradas = resposta.json()["data"]["workspaceOrError"]["locationEntries"]
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return False
    return bool(entradas) and all(e["loadStatus"] == "LOADED" and
                                  e["locationOrLoadError"]["__typename"] == "RepositoryLocation" for e in entradas)


@contextlib.contextmanager
def processos_em_grupo(comandos: dict[str, list[str]], env: dict[str, str], logs: Path):
    """Each command in its own process group, output in ``logs/<name>.log``; all stopped on exit."""
    processos: dict[str, subprocess.Popen] = {}
    try:
        for nome, comando in comandos.items():
            saida = open(logs / f"{nome}.log", "wb")  # noqa: SIM115 - the child process writes to it until stopped
            processos[nome] = subprocess.Popen(comando, cwd=RAIZ, env={**os.environ, **env}, stdout=saida,
                                               stderr=subprocess.STDOUT, start_new_session=True)
        yield processos
    finally:
        parar_grupos(list(processos.values()), espera_s=30)


@contextlib.contextmanager
def dagster_no_ar(home: Path, env: dict[str, str], logs: Path, timeout: float = 120):
    """Webserver + daemon on 127.0.0.1; yields the GraphQL port once the code location has loaded.

    The webserver starts first and creates the instance's storage: a daemon started with it on a new SQLite home
    races it to create the same tables ("table … already exists") and one of them dies."""
    porta = porta_livre()
    ambiente = {**env, "DAGSTER_HOME": str(home)}
    webserver = [str(BIN / "dagster-webserver"), "-w", str(RAIZ / "workspace.yaml"), "-h", "127.0.0.1",
                 "-p", str(porta)]
    with processos_em_grupo({"webserver": webserver}, ambiente, logs) as web:
        limite = time.monotonic() + timeout
        while not _localizacoes_carregadas(porta):
            if time.monotonic() > limite or web["webserver"].poll() is not None:
                raise RuntimeError(f"Dagster não subiu; veja {logs}")
            time.sleep(0.5)
        daemon = [str(BIN / "dagster-daemon"), "run", "-w", str(RAIZ / "workspace.yaml")]
        with processos_em_grupo({"daemon": daemon}, ambiente, logs):
            yield porta


def materializar_pela_cli(tmp_path: Path, env: dict[str, str], asset: str,
                          particao: str = "2026-11-01") -> subprocess.Popen:
    """``dagster asset materialize`` as ops run it from a shell, in its own process group (log in tmp_path)."""
    home = preparar_home(tmp_path / "dagster_home")
    comando = [str(BIN / "dagster"), "asset", "materialize", "-m", "beg_pipeline.definitions", "--select", asset,
               "--partition", particao]
    return subprocess.Popen(comando, cwd=RAIZ, env={**os.environ, **env, "DAGSTER_HOME": str(home)},
                            stdout=open(tmp_path / f"{asset}.log", "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def matar(processo: subprocess.Popen) -> None:
    """SIGKILL the whole process group (a crash, not a shutdown)."""
    os.killpg(processo.pid, signal.SIGKILL)
    processo.wait(30)

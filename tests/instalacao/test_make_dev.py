"""`make dev`'s supervisor brings up the simulator, Dagster and the approval app, and stops all on Ctrl-C."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import requests

from tests.dagster_servicos import RAIZ, porta_livre, preparar_home
from tests.instalacao.test_cli import run


def _espera_linha(processo: subprocess.Popen, texto: str, timeout: float) -> list[str]:
    linhas, limite = [], time.monotonic() + timeout
    os.set_blocking(processo.stdout.fileno(), False)
    while time.monotonic() < limite and processo.poll() is None:
        linha = processo.stdout.readline()
        if linha:
            linhas.append(linha)
            if texto in linha:
                return linhas
        else:
            time.sleep(0.2)
    raise AssertionError(f"'{texto}' não apareceu: {''.join(linhas)[-2000:]}")


def _enderecos_em_escuta(pid_raiz: int) -> set[str]:
    """The listening TCP addresses (``ip:porta``) of a process and all its descendants (Linux: /proc and ``ss``)."""
    filhos = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            filhos[int(stat.read_text().rsplit(")", 1)[1].split()[1])].append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    pids, pendentes = set(), [pid_raiz]
    while pendentes:
        pid = pendentes.pop()
        pids.add(pid)
        pendentes += filhos[pid]
    saida = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    return {linha.split()[3] for linha in saida.splitlines()
            if pids & {int(p) for p in re.findall(r"pid=(\d+)", linha)}}


def test_dev_services_come_up_and_stop_on_ctrl_c(tmp_path):
    env = {"BEG_DATA_DIR": str(tmp_path / "beg"), "DAGSTER_HOME": str(preparar_home(tmp_path / "dagster"))}
    run(env, "db", "upgrade")
    run(env, "demo")
    portas = {"sim": porta_livre(), "dagster": porta_livre(), "app": porta_livre()}
    processo = subprocess.Popen(
        [sys.executable, str(RAIZ / "scripts" / "dev_servicos.py"), "--porta-simulador", str(portas["sim"]),
         "--porta-dagster", str(portas["dagster"]), "--porta-app", str(portas["app"])],
        cwd=RAIZ, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        saida = "".join(_espera_linha(processo, "Senhas iniciais", timeout=180))
        assert f"http://127.0.0.1:{portas['dagster']}" in saida and f"http://127.0.0.1:{portas['app']}" in saida
        assert requests.get(f"http://127.0.0.1:{portas['sim']}/health", timeout=5).json()["status"] == "healthy"
        assert requests.get(f"http://127.0.0.1:{portas['dagster']}/server_info", timeout=5).ok
        assert requests.get(f"http://127.0.0.1:{portas['app']}/_stcore/health", timeout=5).ok
        escutando = _enderecos_em_escuta(processo.pid)
        assert {f"127.0.0.1:{porta}" for porta in portas.values()} <= escutando
        assert all(e.startswith(("127.0.0.1:", "[::1]:")) for e in escutando), escutando  # nothing on 0.0.0.0
        processo.send_signal(signal.SIGINT)
        assert processo.wait(60) == 0
        for porta in portas.values():
            try:
                requests.get(f"http://127.0.0.1:{porta}/", timeout=2)
            except requests.ConnectionError:
                continue
            raise AssertionError(f"porta {porta} ainda responde depois do Ctrl-C")
    finally:
        if processo.poll() is None:
            os.killpg(processo.pid, signal.SIGKILL)

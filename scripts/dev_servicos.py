"""`make dev`: start the robot simulator, Dagster (UI + daemon) and the approval app; stop all on Ctrl-C.

Every service listens on 127.0.0.1 only (tests/instalacao/test_make_dev.py checks the open sockets)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

RAIZ = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _responde(url: str) -> bool:
    try:
        with urlopen(url, timeout=2) as resposta:
            return resposta.status < 500
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--porta-simulador", type=int, default=8765)
    parser.add_argument("--porta-dagster", type=int, default=3000)
    parser.add_argument("--porta-app", type=int, default=8501)
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    env = {**os.environ, "BEG_RPA_URL": f"http://127.0.0.1:{args.porta_simulador}"}
    servicos = {
        "simulador do robô": ([str(BIN / "beg"), "simulador", "--host", "127.0.0.1",
                               "--port", str(args.porta_simulador), "--latencia", "3", "--jitter", "1",
                               "--capacidade", "10"],
                              f"http://127.0.0.1:{args.porta_simulador}/health"),
        "Dagster": ([str(BIN / "dagster"), "dev", "-w", str(RAIZ / "workspace.yaml"), "-h", "127.0.0.1", "-p",
                     str(args.porta_dagster)], f"http://127.0.0.1:{args.porta_dagster}/server_info"),
        "aplicativo de aprovação": ([str(BIN / "streamlit"), "run", str(RAIZ / "approval_app" / "streamlit_app.py"),
                                     "--server.address", "127.0.0.1", "--server.port", str(args.porta_app),
                                     "--server.headless", "true", "--browser.gatherUsageStats", "false",
                                     "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
                                     "--server.maxUploadSize", os.environ.get("BEG_MAX_UPLOAD_MB", "20")],
                                    f"http://127.0.0.1:{args.porta_app}/_stcore/health"),
    }
    processos: dict[str, subprocess.Popen] = {}
    parar = False

    def ao_sinal(signum: int, _frame: object) -> None:
        nonlocal parar
        parar = True

    signal.signal(signal.SIGINT, ao_sinal)
    signal.signal(signal.SIGTERM, ao_sinal)
    try:
        for nome, (comando, _) in servicos.items():
            processos[nome] = subprocess.Popen(comando, cwd=RAIZ, env=env, start_new_session=True)
        limite = time.monotonic() + args.timeout
        pendentes = dict(servicos)
        while pendentes and not parar:
            for nome, (_, url) in list(pendentes.items()):
                if processos[nome].poll() is not None:
                    print(f"ERRO: {nome} terminou ao iniciar (código {processos[nome].returncode}).", flush=True)
                    return 1
                if _responde(url):
                    del pendentes[nome]
            if time.monotonic() > limite:
                print(f"ERRO: sem resposta de {', '.join(pendentes)} em {args.timeout:.0f} s.", flush=True)
                return 1
            time.sleep(0.5)
        if not parar:
            dados = os.environ.get("BEG_DATA_DIR", ".beg")
            print("\n".join([
                "",
                "BEG no ar (Ctrl-C para parar tudo):",
                f"  Dagster (operação):          http://127.0.0.1:{args.porta_dagster}",
                f"  Aprovação de faturas:        http://127.0.0.1:{args.porta_app}",
                f"  Simulador do robô:           http://127.0.0.1:{args.porta_simulador}/health",
                "  Usuários de demonstração:    admin@beg.demo, aprovador@beg.demo, operador@beg.demo",
                f"  Senhas iniciais:             {dados}/usuarios-demo.txt",
                "",
            ]), flush=True)
        while not parar and all(p.poll() is None for p in processos.values()):
            time.sleep(0.5)
        caidos = [nome for nome, p in processos.items() if p.poll() is not None]
        if caidos and not parar:
            print(f"ERRO: {', '.join(caidos)} parou; encerrando os demais.", flush=True)
            return 1
        return 0
    finally:
        print("Parando os serviços…", flush=True)
        parar_grupos(list(processos.values()))


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


if __name__ == "__main__":
    sys.exit(main())

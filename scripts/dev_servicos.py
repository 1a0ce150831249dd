"""`make dev`: start the robot simulator, Dagster (UI + daemon) and the approval app; stop all on Ctrl-C.

Every service listens on 127.0.0.1 only (tests/instalacao/test_make_dev.py checks the open sockets)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RAIZ))

from beg_pipeline.rpa.simulador.config import PERFIS  # noqa: E402
from scripts.supervisao import supervisionar  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--simulador", choices=sorted(PERFIS), default="tranquilo",
                        help="perfil do simulador (`beg simulador --perfil`): realista produz falhas de verdade")
    parser.add_argument("--porta-simulador", type=int, default=8765)
    parser.add_argument("--porta-dagster", type=int, default=3000)
    parser.add_argument("--porta-app", type=int, default=8501)
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    env = {**os.environ, "BEG_RPA_URL": f"http://127.0.0.1:{args.porta_simulador}"}
    servicos = {
        "simulador do robô": ([str(BIN / "beg"), "simulador", "--host", "127.0.0.1",
                               "--port", str(args.porta_simulador), "--perfil", args.simulador],
                              f"http://127.0.0.1:{args.porta_simulador}/health"),
        "Dagster": ([str(BIN / "dagster"), "dev", "-w", str(RAIZ / "workspace.yaml"), "-h", "127.0.0.1", "-p",
                     str(args.porta_dagster)], f"http://127.0.0.1:{args.porta_dagster}/server_info"),
        "aplicativo de aprovação": ([str(BIN / "streamlit"), "run", str(RAIZ / "approval_app" / "servidor.py"),
                                     "--server.address", "127.0.0.1", "--server.port", str(args.porta_app),
                                     "--server.headless", "true", "--browser.gatherUsageStats", "false",
                                     "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
                                     "--server.maxUploadSize", os.environ.get("BEG_MAX_UPLOAD_MB", "20")],
                                    f"http://127.0.0.1:{args.porta_app}/_stcore/health"),
    }
    dados = os.environ.get("BEG_DATA_DIR", ".beg")
    aviso = "\n".join([
        "",
        "BEG no ar (Ctrl-C para parar tudo):",
        f"  Dagster (operação):          http://127.0.0.1:{args.porta_dagster}",
        f"  Aprovação de faturas:        http://127.0.0.1:{args.porta_app}",
        f"  Simulador do robô:           http://127.0.0.1:{args.porta_simulador}/health "
        f"(perfil {args.simulador}; make dev SIMULADOR=realista para falhas)",
        "  Usuários de demonstração:    admin@beg.demo, aprovador@beg.demo, operador@beg.demo",
        f"  Senhas iniciais:             {dados}/usuarios-demo.txt",
        "",
    ])
    return supervisionar(servicos, cwd=RAIZ, env=env, timeout_s=args.timeout, aviso=aviso)


if __name__ == "__main__":
    sys.exit(main())

"""`make prod-local`: the production topology on this machine; Ctrl-C stops everything it started.

PostgreSQL, RabbitMQ and Redis are started when down; then the Dagster webserver (and a read-only one), the daemon,
two Celery workers and the approval app run as beg_pipeline/producao/topologia.py lists them, against the
databases ``beg`` (application) and ``dagster`` (instance) and the shared folder BEG_DATA_DIR for objects. Without
BEG_RPA_URL the local robot simulator stands in for the robots. Every variable can be overridden from the shell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

RAIZ = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RAIZ))

from beg_pipeline.producao import infraestrutura, topologia  # noqa: E402
from scripts.supervisao import supervisionar  # noqa: E402

BIN = Path(sys.executable).parent
PORTA_SIMULADOR = 8765


def ambiente(base: dict[str, str]) -> dict[str, str]:
    """Every variable of ``topologia.VARIAVEIS``: the shell's value, else this machine's default."""
    dados = Path(base.get("BEG_DATA_DIR", RAIZ / ".beg-prod")).resolve()
    home = Path(base.get("DAGSTER_HOME", RAIZ / ".dagster_prod")).resolve()
    padrao = {
        "BEG_DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1:5432/beg",
        "BEG_DATA_DIR": str(dados),
        "BEG_RPA_URL": f"http://127.0.0.1:{PORTA_SIMULADOR}",
        "BEG_RPA_MAX_CONCURRENCY": "10",
        "BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA": "5",
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "postgres",
        "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "dagster",
        "DAGSTER_CELERY_BROKER_URL": "pyamqp://guest:guest@127.0.0.1:5672//",
        "DAGSTER_CELERY_BACKEND_URL": "redis://127.0.0.1:6379/0",
        "DAGSTER_COMPUTE_LOGS_DIR": str(home / "compute_logs"),
        "DAGSTER_MAX_CONCURRENT_RUNS": str(len(topologia.WORKERS_LOCAIS)),
    }
    env = {**padrao, **{k: v for k, v in base.items() if k in topologia.VARIAVEIS}}
    # The secrets: the shell's, else files created once in the data dir (mode 0600), the same for every process.
    from beg_pipeline.seguranca import chaves_fernet, rpa_token
    from beg_pipeline.settings import load_settings

    settings = load_settings(data_dir=dados, _env_file=None)
    env.setdefault("BEG_SECRET_KEY", ",".join(chaves_fernet(settings)))
    env.setdefault("BEG_RPA_TOKEN", rpa_token(settings))
    return env


def _criar_bancos(env: dict[str, str]) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url_app = make_url(env["BEG_DATABASE_URL"])
    for url, nome in ((url_app, url_app.database),
                      (url_app.set(username=env["DAGSTER_PG_USER"], password=env["DAGSTER_PG_PASSWORD"] or None,
                                   host=env["DAGSTER_PG_HOST"], port=int(env["DAGSTER_PG_PORT"])),
                       env["DAGSTER_PG_DB"])):
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": nome}).scalar():
                print(f"Criando o banco {nome}…", flush=True)
                conn.execute(text(f'CREATE DATABASE "{nome}"'))
        admin.dispose()


def preparar(env: dict[str, str]) -> None:
    """Databases, migrations, demo data on first start, and $DAGSTER_HOME/dagster.yaml."""
    _criar_bancos(env)
    filho = {**os.environ, **env}
    subprocess.run([str(BIN / "beg"), "db", "upgrade"], env=filho, cwd=RAIZ, check=True)
    if not (Path(env["BEG_DATA_DIR"]) / "usuarios-demo.txt").exists():
        subprocess.run([str(BIN / "beg"), "demo"], env=filho, cwd=RAIZ, check=True)
    home = Path(env["DAGSTER_HOME"])
    Path(env["DAGSTER_COMPUTE_LOGS_DIR"]).mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(RAIZ / "deploy" / "dagster.producao.yaml", home / "dagster.yaml")


def comandos(env: dict[str, str]) -> dict[str, tuple[list[str], str | None]]:
    """Name → (argv, health URL) of every process to start."""
    saida: dict[str, tuple[list[str], str | None]] = {}
    if env["BEG_RPA_URL"] == f"http://127.0.0.1:{PORTA_SIMULADOR}":
        saida["simulador"] = ([str(BIN / "beg"), "simulador", "--port", str(PORTA_SIMULADOR), "--latencia", "3",
                               "--jitter", "1", "--capacidade", "10"], f"{env['BEG_RPA_URL']}/health")
    for processo in topologia.PROCESSOS:
        nomes = topologia.WORKERS_LOCAIS if processo is topologia.WORKER else (processo.nome,)
        for nome in nomes:
            argv = processo.argv(nome=nome)
            url = f"http://127.0.0.1:{processo.porta}{processo.saude}" if processo.saude else None
            saida[nome] = ([str(BIN / argv[0]), *argv[1:]], url)
    return saida


def main() -> int:
    try:
        infraestrutura.garantir()
    except infraestrutura.ServicoIndisponivel as exc:
        print(f"ERRO: {exc}", flush=True)
        return 1
    env = ambiente(dict(os.environ))
    preparar(env)
    aviso = "\n".join([
        "", "BEG em produção local (Ctrl-C para parar tudo):",
        f"  Dagster (operação):            http://127.0.0.1:{topologia.WEBSERVER.porta}",
        f"  Dagster (somente leitura):     http://127.0.0.1:{topologia.WEBSERVER_LEITURA.porta}",
        f"  Aprovação de faturas:          http://127.0.0.1:{topologia.APROVACAO.porta}",
        f"  Workers Celery:                {', '.join(topologia.WORKERS_LOCAIS)} (fila dagster)",
        f"  Senhas iniciais:               {env['BEG_DATA_DIR']}/usuarios-demo.txt", ""])
    return supervisionar(comandos(env), cwd=RAIZ, env={**os.environ, **env}, timeout_s=240, aviso=aviso,
                         espera_parada_s=30)


if __name__ == "__main__":
    sys.exit(main())

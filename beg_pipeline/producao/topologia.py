"""The production topology in one place: its processes (commands), image and variables.

``make prod-local`` (scripts/prod_local.py) starts exactly these commands with these variables; the files in
``deploy/`` (docker-compose, systemd units, Helm values) repeat them for other hosts, and
tests/instalacao/test_deploy.py checks they still say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

IMAGEM = "beg-pipeline"
WORKSPACE = "workspace.yaml"
APP = "approval_app/streamlit_app.py"

# Every variable the processes read (compose, systemd and Helm set the same). Secrets: BEG_SECRET_KEY,
# BEG_RPA_TOKEN, DAGSTER_PG_PASSWORD and the passwords inside the broker/backend URLs.
VARIAVEIS_BEG = ("BEG_DATABASE_URL", "BEG_SECRET_KEY", "BEG_DATA_DIR", "BEG_RPA_URL", "BEG_RPA_TOKEN",
                 "BEG_RPA_MAX_CONCURRENCY", "BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA")
VARIAVEIS_DAGSTER = ("DAGSTER_HOME", "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD",
                     "DAGSTER_PG_DB", "DAGSTER_CELERY_BROKER_URL", "DAGSTER_CELERY_BACKEND_URL",
                     "DAGSTER_COMPUTE_LOGS_DIR", "DAGSTER_MAX_CONCURRENT_RUNS")
VARIAVEIS = VARIAVEIS_BEG + VARIAVEIS_DAGSTER


@dataclass(frozen=True)
class Processo:
    """One long-running process of the topology; ``comando`` is argv with ``{host}`` and ``{nome}`` to fill."""

    nome: str
    comando: tuple[str, ...]
    porta: int | None = None
    saude: str | None = None  # HTTP path that answers when the process is up

    def argv(self, host: str = "127.0.0.1", nome: str = "") -> list[str]:
        return [p.format(host=host, nome=nome or self.nome) for p in self.comando]


WEBSERVER = Processo("webserver", ("dagster-webserver", "-w", WORKSPACE, "-h", "{host}", "-p", "3000"), 3000,
                     "/server_info")
WEBSERVER_LEITURA = Processo("webserver-leitura", ("dagster-webserver", "-w", WORKSPACE, "-h", "{host}", "-p", "3001",
                                                   "--read-only"), 3001, "/server_info")
DAEMON = Processo("daemon", ("dagster-daemon", "run", "-w", WORKSPACE))
WORKER = Processo("worker", ("celery", "-A", "beg_pipeline.producao.celery_app", "worker", "-Q", "dagster",
                             "-n", "{nome}@%h", "--concurrency", "1", "--prefetch-multiplier", "1", "-l", "INFO"))
APROVACAO = Processo("aprovacao", ("streamlit", "run", APP, "--server.address", "{host}", "--server.port", "8501",
                                   "--server.headless", "true", "--browser.gatherUsageStats", "false"), 8501,
                     "/_stcore/health")
PROCESSOS = (WEBSERVER, WEBSERVER_LEITURA, DAEMON, WORKER, APROVACAO)
WORKERS_LOCAIS = ("worker1", "worker2")  # make prod-local: two Celery workers on this host

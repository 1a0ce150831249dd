"""A running robot simulator and pipeline settings pointing at it (environment, like production)."""

from __future__ import annotations

import contextlib

import dagster as dg
import pytest

from beg_pipeline.resources import ConfiguracaoResource, recursos
from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
from beg_pipeline.settings import load_settings

RAPIDO = SimuladorConfig(latencia_s=0.05, jitter_s=0.02, capacidade=20, semente=7,
                         mes_referencia="11/2026")  # the month the pipeline tests download


@pytest.fixture
def pipeline_env(monkeypatch, settings, secret_key):
    """BEG_ variables for the code under test; a subprocess started with os.environ sees the same."""
    valores = {
        "BEG_DATA_DIR": str(settings.data_dir), "BEG_DATABASE_URL": settings.resolved_database_url,
        "BEG_SECRET_KEY": secret_key, "BEG_RPA_POLL_INTERVAL_S": "0.05", "BEG_RPA_JOB_TIMEOUT_S": "5",
        "BEG_RPA_RETRY_BACKOFF_S": "0.05", "BEG_RPA_TIMEOUT_S": "5",
    }
    for nome, valor in valores.items():
        monkeypatch.setenv(nome, valor)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return valores


@contextlib.contextmanager
def simulador(config: SimuladorConfig = RAPIDO):
    with Simulador(config, load_settings()) as sim:
        yield sim


def recursos_para(sim: Simulador) -> dict[str, dg.ConfigurableResource]:
    return recursos(ConfiguracaoResource(rpa_url=sim.base_url))

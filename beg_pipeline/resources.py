"""Dagster resources: settings, database, object store and robot client, all built from one Settings."""



import dagster as dg
from pydantic import PrivateAttr

from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import Settings, load_settings
from beg_pipeline.storage import ObjectStore, object_store_from_settings


class ConfiguracaoResource(dg.ConfigurableResource):
    """The BEG settings (``BEG_`` variables); a field set here overrides its variable. Secrets come only from the
    environment, never from here, so they never show in the Dagster UI."""

    data_dir: str | None = None
    database_url: str | None = None
    rpa_url: str | None = None
    rpa_job_timeout_s: float | None = None
    rpa_poll_interval_s: float | None = None
    rpa_max_concurrency: int | None = None
    rpa_max_concurrency_por_operadora: int | None = None
    max_tentativas: int | None = None
    partitions_start: str | None = None  # ISO date; read when the definitions are built
    cron_processos: str | None = None
    cron_downloads: str | None = None
    cron_relatorio: str | None = None
    cron_limpeza_logs: str | None = None
    cron_backup: str | None = None

    def settings(self) -> Settings:
        return load_settings(**{k: v for k, v in self.model_dump().items() if v is not None})


class BancoResource(dg.ConfigurableResource):
    """The service-layer context (database + vault)."""

    configuracao: dg.ResourceDependency[ConfiguracaoResource]
    _contexto: Contexto | None = PrivateAttr(default=None)

    def contexto(self) -> Contexto:
        if self._contexto is None:
            self._contexto = Contexto(self.configuracao.settings())
        return self._contexto

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._contexto is not None:
            self._contexto.db.dispose()


class ArmazenamentoResource(dg.ConfigurableResource):
    """Invoices, reports and backups: local files or MinIO."""

    configuracao: dg.ResourceDependency[ConfiguracaoResource]

    def store(self) -> ObjectStore:
        return object_store_from_settings(self.configuracao.settings())


class RoboResource(dg.ConfigurableResource):
    """The client of the RPA robot API."""

    configuracao: dg.ResourceDependency[ConfiguracaoResource]

    def client(self) -> RpaClient:
        return RpaClient.from_settings(self.configuracao.settings())


def recursos(configuracao: ConfiguracaoResource | None = None) -> dict[str, dg.ConfigurableResource]:
    configuracao = configuracao or ConfiguracaoResource()
    return {
        "configuracao": configuracao,
        "banco": BancoResource(configuracao=configuracao),
        "armazenamento": ArmazenamentoResource(configuracao=configuracao),
        "robo": RoboResource(configuracao=configuracao),
    }

"""The one configuration object of the product (env prefix ``BEG_``, ``.env`` supported)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from beg_pipeline.domain.cadastro import normalizar_codigo_operadora

ENV_PREFIX = "BEG_"


class ConfiguracaoInvalida(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    data_dir: Path = Path(".beg")
    database_url: str | None = None
    database_url_migracoes: str | None = Field(
        default=None, description="The tables' owner, for migrations and restores; the app connects as database_url."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet keys separated by commas; the first encrypts, all decrypt."
    )
    timezone: str = "America/Sao_Paulo"

    quatro_olhos: bool = True
    proxies_confiaveis: Annotated[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], NoDecode] = Field(
        default=(), description="Addresses or networks (CIDR) of the reverse proxies in front of the app, "
                                "comma-separated; X-Forwarded-For is believed only from them (empty: never).")
    max_upload_mb: int = Field(default=20, gt=0)
    pdf_cpu_s: float = Field(default=20.0, gt=0, description="CPU seconds to check or read one PDF (isolated).")
    pdf_memoria_mb: int = Field(default=1024, ge=256, description="Address space of the process checking a PDF.")
    pdf_tempo_s: float = Field(default=60.0, gt=0, description="Wall-clock seconds to check or read one PDF.")
    pdf_processos: int = Field(default=2, gt=0, description="Processes that check PDFs at once.")
    max_tentativas: int = Field(default=3, gt=0)
    limiar_anomalia: float = Field(default=0.5, gt=0, description="Amount this far from the client's median "
                                   "(0.5 = 50 %) is flagged in the approval queue.")
    dias_uteis_alerta: int = Field(default=3, ge=0, description="Business days before a due date (or an invoice's "
                                   "usual arrival) that the app starts flagging it.")

    rpa_url: str = "http://127.0.0.1:8765"
    dagster_url: str = "http://127.0.0.1:3000"  # the webserver the app launches one-process runs through
    rpa_token: SecretStr | None = None
    rpa_timeout_s: float = Field(default=30.0, gt=0)
    rpa_job_timeout_s: float = Field(default=1800.0, gt=0)
    rpa_poll_interval_s: float = Field(default=5.0, gt=0)
    rpa_retry_backoff_s: float = Field(default=60.0, ge=0)
    rpa_max_concurrency: int = Field(default=10, gt=0)
    rpa_max_concurrency_por_operadora: int = Field(default=5, gt=0)
    rpa_operadoras: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset({"OI", "VIVO", "EMBRATEL", "DIGITALNET"}),
        description="Carrier codes the robot API serves, comma-separated: the import creates them with a robot.")
    rpa_arquivo_prazo_s: float = Field(default=120.0, gt=0, description="Overall deadline of one invoice download.")
    rpa_arquivos_origens: str = Field(
        default="", description="Comma-separated origins (scheme://host[:port]) robots' invoice URLs may point to, "
        "besides the robot API and the S3 endpoint; the token is never sent to them.")
    rpa_prefixo_chaves: str = Field(
        default="", description="Folder of the robots' keys in the shared bucket, before <OPERADORA>/<AAAA-MM>/….")
    rpa_vaga_validade_s: float = Field(default=120.0, gt=0)  # a robot slot's lease without a heartbeat

    s3_endpoint: str | None = None
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_bucket: str = "beg"
    s3_secure: bool = False
    s3_region: str = "us-east-1"

    # the legacy system's bucket, read by `beg legado importar` when no --pdfs folder is given
    legado_s3_endpoint: str | None = None
    legado_s3_access_key: SecretStr | None = None
    legado_s3_secret_key: SecretStr | None = None
    legado_s3_bucket: str = "beg"
    legado_s3_secure: bool = False

    partitions_start: dt.date = dt.date(2025, 1, 1)
    log_retention_days: int = Field(default=180, gt=0)

    cron_processos: str = "0 6 1 * *"
    cron_downloads: str = "0 8 * * 1-5"
    cron_relatorio: str = "0 7 5 * *"
    cron_limpeza_logs: str = "0 3 * * 0"
    cron_backup: str = "0 2 * * *"
    cron_resumo: str = "30 7 * * 1-5"
    agendamentos_ligados: bool = Field(
        default=False, description="Schedules start ON (production); off by default so `make dev` runs nothing by "
                                   "the clock. Sensors are always on.")

    # notifications that leave the app (README "Notificações"); no host / no URL = channel off
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, gt=0)
    smtp_usuario: str | None = None
    smtp_senha: SecretStr | None = None
    smtp_remetente: str = "beg@localhost"
    smtp_tls: bool = Field(default=True, description="STARTTLS after connecting")
    notificacoes_timeout_s: float = Field(default=10.0, gt=0, description="One SMTP or webhook call.")
    webhook_urls: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        default=(), description="Comma-separated; prefix slack: or teams: (or a Slack/Teams host) picks the payload.")
    notificacoes_max_tentativas: int = Field(default=20, gt=0)
    notificacoes_espera_s: float = Field(default=60.0, ge=0, description="First retry delay; doubles, up to 1 h.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"fuso horário desconhecido: {value!r} (ex.: America/Sao_Paulo)") from exc
        return value

    @field_validator("cron_processos", "cron_downloads", "cron_relatorio", "cron_limpeza_logs", "cron_backup",
                     "cron_resumo")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"expressão cron {value!r} deve ter 5 campos (minuto hora dia mês dia-da-semana)")
        return value

    @field_validator("rpa_operadoras", mode="before")
    @classmethod
    def _codigos(cls, value: object) -> frozenset[str]:
        if isinstance(value, str):
            value = value.split(",")
        return frozenset(normalizar_codigo_operadora(v) for v in value if v.strip())


    @field_validator("rpa_arquivos_origens")
    @classmethod
    def _origens(cls, value: str) -> str:
        from beg_pipeline.rpa.contrato.procedencia import origem

        for item in filter(None, (parte.strip() for parte in value.split(","))):
            origem(item)  # ValueError names the item
            if urlsplit(item).path.strip("/") or urlsplit(item).query:
                raise ValueError(f"{item!r} não é uma origem: use esquema://host[:porta], separadas por vírgula")
        return value

    @field_validator("rpa_prefixo_chaves")
    @classmethod
    def _prefixo(cls, value: str) -> str:
        from beg_pipeline.storage.base import PASTA_FATURAS

        partes = value.split("/")
        if value and (not value.endswith("/") or value.startswith("/") or ".." in partes or "\\" in value
                      or partes[0] == PASTA_FATURAS):
            raise ValueError(f"prefixo {value!r} inválido: uma pasta terminada em '/' (ex.: robo/), fora de "
                             f"{PASTA_FATURAS}/, sem '..'")
        return value

    @field_validator("webhook_urls", mode="before")
    @classmethod
    def _urls(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            value = value.split(",")
        urls = tuple(str(v).strip() for v in value if str(v).strip())
        for url in urls:
            if not url.removeprefix("slack:").removeprefix("teams:").startswith(("http://", "https://")):
                raise ValueError("cada URL deve começar com http:// ou https:// (opcionalmente slack: ou teams: antes)")
        return urls

    @field_validator("proxies_confiaveis", mode="before")
    @classmethod
    def _redes(cls, value: object) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        if isinstance(value, str):
            value = value.split(",")
        redes = []
        for item in (str(v).strip() for v in value):
            try:
                redes.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                if item:
                    raise ValueError(f"{item!r} não é um IP nem uma rede (ex.: 10.0.0.5,10.1.0.0/16)") from None
        return tuple(redes)

    @field_validator("database_url", "database_url_migracoes")
    @classmethod
    def _supported_url(cls, value: str | None) -> str | None:
        if value is None or value.startswith(("sqlite://", "postgresql+psycopg2://")):
            return value
        raise ValueError("use sqlite:///caminho.db ou postgresql+psycopg2://usuario@host:5432/banco")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'beg.db').resolve()}"

    @property
    def resolved_migration_url(self) -> str:
        return self.database_url_migracoes or self.resolved_database_url

    @property
    def origens_arquivos_rpa(self) -> frozenset[str]:
        from beg_pipeline.rpa.contrato.procedencia import origem

        return frozenset(origem(parte) for parte in self.rpa_arquivos_origens.split(",") if parte.strip())

    @property
    def storage_backend(self) -> str:
        return "minio" if self.s3_endpoint else "local"


def load_settings(**overrides) -> Settings:
    """Read the settings, turning validation errors into one message per ``BEG_`` variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "?"
            problems.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
        raise ConfiguracaoInvalida("Configuração inválida:\n  " + "\n  ".join(problems)) from None

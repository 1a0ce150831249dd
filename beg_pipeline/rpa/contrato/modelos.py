"""Payloads and responses of the robot API, every known variant normalised."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_serializer, field_validator

from beg_pipeline.domain.execucao import ClasseFalha
from beg_pipeline.rpa.contrato.falhas import classificar_falha
from beg_pipeline.rpa.contrato.redacao import REDIGIDO
from beg_pipeline.rpa.contrato.variantes import RefArquivo, parse_data, parse_valor

ESTADOS_TERMINAIS = ("COMPLETED", "FAILED")


class PedidoDownload(BaseModel):
    """Body of ``POST /executar/{OPERADORA}``."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    login: str = Field(min_length=1)
    senha: SecretStr
    filtro: str = ""  # the account number; legacy accounts without one are searched by login and CNPJ
    cnpj: str = Field(min_length=1)
    processo_id: str | None = None

    def payload(self, *, redigido: bool = False) -> dict[str, str]:
        """The JSON body; ``redigido=True`` for logs (password replaced by ``***``)."""
        corpo = self.model_dump(exclude_none=True)
        corpo["senha"] = REDIGIDO if redigido else self.senha.get_secret_value()
        return corpo


class PedidoSat(BaseModel):
    """Body of ``POST /executar/sat`` (the vendor's ``AutomacaoPayloadSat``)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    cnpj: str = Field(min_length=1)
    razao: str = Field(min_length=1)
    operadora: str = Field(min_length=1)
    nome_filtro: str = ""  # empty for accounts without an account number (FILTRO is optional)
    unidade: str
    servico: str
    dados_sat: str
    nome_arquivo: str = Field(min_length=1)
    data_vencimento: dt.date
    processo_id: str | None = None

    @field_validator("data_vencimento", mode="before")
    @classmethod
    def _data(cls, valor: Any) -> dt.date:
        data = parse_data(valor)
        if data is None:
            raise ValueError("data_vencimento obrigatória (DD/MM/AAAA)")
        return data

    @field_serializer("data_vencimento")
    def _data_br(self, valor: dt.date) -> str:
        return valor.strftime("%d/%m/%Y")

    def payload(self, *, redigido: bool = False) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


Pedido = PedidoDownload | PedidoSat


# --------------------------------------------------------------------------- responses


class _Resposta(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class JobAceito(_Resposta):
    """Answer of both ``POST /executar/…`` (200 or 202); ``adotado`` when found via ``GET /jobs``."""

    job_id: str = Field(min_length=1)
    status: str = "PENDING"
    message: str | None = None
    status_url: str | None = None
    adotado: bool = False


class LogLinha(_Resposta):
    """One robot log line (``GET /jobs/{id}/logs`` and ``StatusJob.logs``)."""

    timestamp: str | None = None
    level: str = "INFO"
    message: str = ""
    job_id: str | None = None
    operadora: str | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _nivel(cls, valor: Any) -> str:
        nivel = str(valor or "INFO").upper()
        return "WARN" if nivel == "WARNING" else nivel

    @field_validator("message", mode="before")
    @classmethod
    def _texto(cls, valor: Any) -> str:
        return "" if valor is None else str(valor)


class StatusJob(_Resposta):
    """``GET /status/{job_id}``. Any status other than COMPLETED/FAILED counts as still running."""

    job_id: str
    operadora: str | None = None
    status: str
    progress: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    logs: list[LogLinha] | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, valor: Any) -> str:
        return str(valor or "").strip().upper()

    @property
    def concluido(self) -> bool:
        return self.status == "COMPLETED"

    @property
    def falhou(self) -> bool:
        return self.status == "FAILED"

    @property
    def terminado(self) -> bool:
        return self.status in ESTADOS_TERMINAIS

    @property
    def classe_falha(self) -> ClasseFalha | None:
        return classificar_falha(self.error) if self.falhou else None


class ResumoJob(_Resposta):
    """One entry of ``GET /jobs?limit=N`` (newest first)."""

    job_id: str
    operadora: str | None = None
    status: str | None = None
    created_at: str | None = None
    processo_id: str | None = None


class Health(_Resposta):
    """``GET /health``."""

    status: str
    message: str | None = None
    jobs_pending: int | None = None
    jobs_active: int | None = None

    @property
    def saudavel(self) -> bool:
        return self.status.lower() == "healthy"


class ResultadoDownload(_Resposta):
    """``result`` of a COMPLETED download job, every known variant normalised."""

    arquivo_fatura: RefArquivo
    valor_fatura: Decimal | None = None
    data_vencimento: dt.date | None = None

    @field_validator("arquivo_fatura", mode="before")
    @classmethod
    def _arquivo(cls, valor: Any) -> RefArquivo:
        if isinstance(valor, RefArquivo):
            return valor
        if not isinstance(valor, str):
            raise ValueError("arquivo_fatura deve ser texto")
        return RefArquivo.parse(valor)

    @field_validator("valor_fatura", mode="before")
    @classmethod
    def _valor(cls, valor: Any) -> Decimal | None:
        return parse_valor(valor)

    @field_validator("data_vencimento", mode="before")
    @classmethod
    def _vencimento(cls, valor: Any) -> dt.date | None:
        return parse_data(valor)

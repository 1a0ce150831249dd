"""What the simulated robots do: latency, capacity, injected faults, answer variants and scripted portals."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from beg_pipeline.rpa.contrato import OPERADORAS_CONHECIDAS

Taxa = Annotated[float, Field(ge=0.0, le=1.0)]


class SimuladorConfig(BaseModel):
    """Behaviour of the simulated robots. Rates are probabilities per request (or per job)."""

    model_config = ConfigDict(extra="forbid")

    latencia_s: float = Field(default=5.0, ge=0)
    jitter_s: float = Field(default=2.0, ge=0)
    capacidade: int = Field(default=5, gt=0)
    operadoras: set[str] = Field(default_factory=lambda: set(OPERADORAS_CONHECIDAS))
    status_aceite: Literal[200, 202] = 200
    rtt_s: float = Field(default=0.0, ge=0)  # network round trip: each HTTP call waits this long before its answer

    falha_5xx_submit: Taxa = 0.0
    falha_5xx_status: Taxa = 0.0  # status, logs and job list
    taxa_429: Taxa = 0.0
    retry_after_s: int = Field(default=1, ge=0)
    taxa_reset: Taxa = 0.0
    reset_apos_criar: Taxa = 0.5  # share of submit resets that happen after the job was created
    taxa_job_travado: Taxa = 0.0
    taxa_json_malformado: Taxa = 0.0
    atraso_submit_s: float = Field(default=0.0, ge=0)  # the job exists, the answer comes late
    atraso_pdf_s: float = Field(default=0.0, ge=0)
    taxa_arquivo_nao_pdf: Taxa = 0.0

    formato_arquivo: Literal["s3", "chave", "http", "misto"] = "s3"
    formato_valor: Literal["numero", "texto", "br", "ausente", "misto"] = "numero"
    formato_data: Literal["br", "br_hifen", "iso", "ausente", "misto"] = "br"

    credenciais_invalidas: set[str] = Field(default_factory=set)
    nao_publicada_ate: dict[str, int] = Field(default_factory=dict)
    # the same faults drawn per CNPJ (stable: a client with a wrong password fails every time) or per job
    taxa_credenciais_invalidas: Taxa = 0.0  # share of CNPJs whose portal login is refused
    taxa_nao_publicada: Taxa = 0.0  # share of CNPJs whose invoice is published only at the second attempt
    taxa_mes_errado: Taxa = 0.0  # share of jobs that deliver the previous month's invoice
    eco_senha_no_erro: bool = False
    razao_social: dict[str, str] = Field(default_factory=dict)
    # the invoices' reference month "MM/AAAA": per processo_id, else mes_referencia, else the month before today
    # (a portal shows the invoice of the month that just ended)
    referencias: dict[str, str] = Field(default_factory=dict)
    mes_referencia: str | None = Field(default=None, pattern=r"^(0[1-9]|1[0-2])/\d{4}$")
    mes_errado: set[str] = Field(default_factory=set)  # CNPJs whose portal serves the previous month's invoice
    semente: int | None = None


PERFIS: dict[str, dict[str, object]] = {
    # every job succeeds after a few seconds: the happy path
    "tranquilo": {"latencia_s": 3.0, "jitter_s": 1.0, "capacidade": 10},
    # what production looks like: wrong portal passwords, invoices not yet published, a flaky API, wrong-month PDFs
    "realista": {"latencia_s": 3.0, "jitter_s": 1.0, "capacidade": 10, "taxa_credenciais_invalidas": 0.1,
                 "taxa_nao_publicada": 0.15, "taxa_mes_errado": 0.05, "falha_5xx_submit": 0.05,
                 "falha_5xx_status": 0.02, "taxa_429": 0.05, "taxa_reset": 0.02, "taxa_arquivo_nao_pdf": 0.02},
}


def aplicar_perfil(perfil: str | None, valores: dict[str, object], explicitas: set[str]) -> dict[str, object]:
    """``valores`` (SimuladorConfig fields) with the profile's, except the fields in ``explicitas``."""
    return {**valores, **{k: v for k, v in PERFIS.get(perfil or "", {}).items() if k not in explicitas}}

"""A simulated robot job and its log."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from beg_pipeline.rpa.contrato import PedidoDownload, PedidoSat


def agora_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class JobSimulado:
    job_id: str
    indice: int
    operadora: str
    pedido: PedidoDownload | PedidoSat
    tentativa: int
    duracao_s: float
    travado: bool
    base_url: str
    status: str = "PENDING"
    created_at: str = field(default_factory=agora_iso)
    started_at: str | None = None
    completed_at: str | None = None
    inicio: float | None = None
    finalizando: bool = False
    buscando: bool = False
    result: dict[str, Any] | None = None
    error: str | None = None
    pdf: Future | None = None  # the invoice PDF, generated while the job runs
    logs: list[dict[str, str]] = field(default_factory=list)

    @property
    def sat(self) -> bool:
        return isinstance(self.pedido, PedidoSat)

    def registrar(self, mensagem: str, nivel: str = "INFO") -> None:
        self.logs.append(
            {"timestamp": agora_iso(), "level": nivel, "message": mensagem, "job_id": self.job_id,
             "operadora": self.operadora}
        )

    def resumo(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "operadora": self.operadora,
            "status": self.status,
            "created_at": self.created_at,
            "processo_id": self.pedido.processo_id,
        }

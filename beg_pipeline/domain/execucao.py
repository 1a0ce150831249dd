"""Execution (attempt) types and states, with the legacy names, and retry counting."""

from __future__ import annotations

import enum

from beg_pipeline.domain.processo import StatusProcesso


class TipoExecucao(str, enum.Enum):
    DOWNLOAD_FATURA = "DOWNLOAD_FATURA"
    UPLOAD_SAT = "UPLOAD_SAT"
    UPLOAD_MANUAL = "UPLOAD_MANUAL"


class StatusExecucao(str, enum.Enum):
    EXECUTANDO = "EXECUTANDO"
    CONCLUIDO = "CONCLUIDO"
    FALHOU = "FALHOU"
    TENTANDO_NOVAMENTE = "TENTANDO_NOVAMENTE"
    CANCELADO = "CANCELADO"
    TIMEOUT = "TIMEOUT"


STATUS_TERMINAIS = frozenset(StatusExecucao) - {StatusExecucao.EXECUTANDO}


class ClasseFalha(str, enum.Enum):
    """How a failed robot attempt should be followed up."""

    CREDENCIAIS = "CREDENCIAIS"  # wrong portal login: wait until someone fixes the client
    NAO_PUBLICADA = "NAO_PUBLICADA"  # invoice not yet published: retry on a later day
    TRANSITORIA = "TRANSITORIA"  # anything else: retry with backoff


def pode_tentar_novamente(tentativas: int, max_tentativas: int, classe: ClasseFalha | None) -> bool:
    """Whether another attempt may run now (credentials failures never retry on their own)."""
    if classe == ClasseFalha.CREDENCIAIS:
        return False
    return tentativas < max_tentativas


def status_exigido(tipo: TipoExecucao) -> StatusProcesso:
    """The process status in which an execution of ``tipo`` may be opened."""
    return {
        TipoExecucao.DOWNLOAD_FATURA: StatusProcesso.AGUARDANDO_DOWNLOAD,
        TipoExecucao.UPLOAD_MANUAL: StatusProcesso.AGUARDANDO_DOWNLOAD,
        TipoExecucao.UPLOAD_SAT: StatusProcesso.AGUARDANDO_ENVIO_SAT,
    }[tipo]

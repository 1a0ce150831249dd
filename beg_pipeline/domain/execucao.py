"""Execution (attempt) types and states, with the legacy names, and failure classes (see ``politica_tentativas``)."""

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
    TENTANDO_NOVAMENTE = "TENTANDO_NOVAMENTE"  # legacy only: imported rows carry it; the pipeline never writes it
    CANCELADO = "CANCELADO"
    TIMEOUT = "TIMEOUT"


STATUS_TERMINAIS = frozenset(StatusExecucao) - {StatusExecucao.EXECUTANDO}


class ClasseFalha(str, enum.Enum):
    """Why a robot attempt failed; ``politica_tentativas.decidir`` says what follows."""

    CREDENCIAIS = "CREDENCIAIS"  # wrong portal login
    NAO_PUBLICADA = "NAO_PUBLICADA"  # invoice not yet published
    TRANSITORIA = "TRANSITORIA"  # anything else


def status_exigido(tipo: TipoExecucao) -> StatusProcesso:
    """The process status in which an execution of ``tipo`` may be opened."""
    return {
        TipoExecucao.DOWNLOAD_FATURA: StatusProcesso.AGUARDANDO_DOWNLOAD,
        TipoExecucao.UPLOAD_MANUAL: StatusProcesso.AGUARDANDO_DOWNLOAD,
        TipoExecucao.UPLOAD_SAT: StatusProcesso.AGUARDANDO_ENVIO_SAT,
    }[tipo]

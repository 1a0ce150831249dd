"""The process state machine of the legacy system, kept in one place."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal


class StatusProcesso(str, enum.Enum):
    AGUARDANDO_DOWNLOAD = "AGUARDANDO_DOWNLOAD"
    AGUARDANDO_APROVACAO = "AGUARDANDO_APROVACAO"
    AGUARDANDO_ENVIO_SAT = "AGUARDANDO_ENVIO_SAT"
    UPLOAD_REALIZADO = "UPLOAD_REALIZADO"


class AcaoProcesso(str, enum.Enum):
    DOWNLOAD_CONCLUIDO = "DOWNLOAD_CONCLUIDO"
    UPLOAD_MANUAL = "UPLOAD_MANUAL"
    APROVAR = "APROVAR"
    REJEITAR = "REJEITAR"
    ENVIO_SAT_CONCLUIDO = "ENVIO_SAT_CONCLUIDO"
    DESFAZER_APROVACAO = "DESFAZER_APROVACAO"
    MARCAR_ENVIADO = "MARCAR_ENVIADO"


class EventoProcesso(enum.StrEnum):
    """What a transition announces to the pipeline (written with the status change, read by sensors)."""

    APROVADO = "APROVADO"  # the invoice may go to SAT: ``aprovacoes_sensor`` launches the month's upload run


@dataclass(frozen=True)
class Transicao:
    acao: AcaoProcesso
    origem: StatusProcesso
    destino: StatusProcesso
    descricao: str
    evento: EventoProcesso | None = None


S = StatusProcesso
A = AcaoProcesso
TRANSICOES: dict[AcaoProcesso, Transicao] = {
    t.acao: t
    for t in (
        Transicao(A.DOWNLOAD_CONCLUIDO, S.AGUARDANDO_DOWNLOAD, S.AGUARDANDO_APROVACAO, "download da fatura concluído"),
        Transicao(A.UPLOAD_MANUAL, S.AGUARDANDO_DOWNLOAD, S.AGUARDANDO_APROVACAO, "upload manual do PDF"),
        Transicao(A.APROVAR, S.AGUARDANDO_APROVACAO, S.AGUARDANDO_ENVIO_SAT, "aprovação da fatura",
                  EventoProcesso.APROVADO),
        Transicao(A.REJEITAR, S.AGUARDANDO_APROVACAO, S.AGUARDANDO_DOWNLOAD, "rejeição da fatura"),
        Transicao(A.ENVIO_SAT_CONCLUIDO, S.AGUARDANDO_ENVIO_SAT, S.UPLOAD_REALIZADO, "envio ao SAT concluído"),
        # guarded in the service: only while no SAT execution of the process is EXECUTANDO
        Transicao(A.DESFAZER_APROVACAO, S.AGUARDANDO_ENVIO_SAT, S.AGUARDANDO_APROVACAO, "desfazer a aprovação"),
        Transicao(A.MARCAR_ENVIADO, S.AGUARDANDO_ENVIO_SAT, S.UPLOAD_REALIZADO, "marcação manual de envio ao SAT"),
    )
}

STATUS_FINAL = S.UPLOAD_REALIZADO


class TransicaoInvalida(Exception):
    """An action was asked of a process whose status does not allow it."""

    def __init__(self, acao: AcaoProcesso, atual: StatusProcesso | str, processo: str = ""):
        t = TRANSICOES[acao]
        atual = StatusProcesso(atual)
        alvo = f"processo {processo}" if processo else "processo"
        if atual == t.destino:
            motivo = f"já está em {atual.value} (ação já realizada por outra pessoa ou clique repetido)"
        else:
            motivo = f"está em {atual.value}; {t.descricao} só é possível em {t.origem.value}"
        super().__init__(f"{t.descricao.capitalize()} recusada: o {alvo} {motivo}.")
        self.acao, self.atual, self.transicao = acao, atual, t


def transicao(acao: AcaoProcesso, atual: StatusProcesso | str, processo: str = "") -> Transicao:
    """The transition for ``acao`` from ``atual``, or ``TransicaoInvalida`` saying why not."""
    t = TRANSICOES[acao]
    if StatusProcesso(atual) != t.origem:
        raise TransicaoInvalida(acao, atual, processo)
    return t


def motivo_rejeicao(texto: str | None) -> str:
    """A rejection needs a reason a person can act on."""
    return motivo_exigido(texto, "da rejeição")


def motivo_exigido(texto: str | None, de_que: str) -> str:
    """Every manual action on a process is audited with a reason of at least 5 characters."""
    motivo = (texto or "").strip()
    if len(motivo) < 5:
        raise ValueError(f"Informe o motivo {de_que} (pelo menos 5 caracteres).")
    return motivo


def dados_da_fatura(valor: Decimal | None, vencimento: dt.date | None, mes_ano: str) -> tuple[Decimal, dt.date]:
    """The amount and due date an invoice must have to be approved or sent to SAT (a scan may lack them)."""
    faltam = [nome for nome, v in (("o valor", valor), ("o vencimento", vencimento)) if v is None]
    if faltam:
        raise ValueError(f"A fatura de {mes_ano} está sem {' e '.join(faltam)}: informe na aprovação "
                         "(ou corrija a fatura) antes de aprovar.")
    if valor <= 0:
        raise ValueError(f"Valor inválido ({valor}) na fatura de {mes_ano}: informe um valor maior que zero.")
    return valor, vencimento

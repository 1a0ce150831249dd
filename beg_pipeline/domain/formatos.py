"""Brazilian display formats and labels, in one place: money, CNPJ/CPF, dates, accents, the due-date alert text and
the status labels (keyed by the enums)."""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.prazos import DIAS_UTEIS_DE_ALERTA, SituacaoVencimento
from beg_pipeline.domain.processo import StatusProcesso

VAZIO = "—"
FUSO_BRASIL = ZoneInfo("America/Sao_Paulo")


def prazo_de_alerta(dias: int) -> str:
    """The alert window in words ("vence em até 3 dias úteis"), for ``settings.dias_uteis_alerta`` days."""
    return f"em até {dias} dias úteis"


PRAZO_DE_ALERTA = prazo_de_alerta(DIAS_UTEIS_DE_ALERTA)  # the default window's words

STATUS_PROCESSO: dict[StatusProcesso, str] = {
    StatusProcesso.AGUARDANDO_DOWNLOAD: "Aguardando download",
    StatusProcesso.AGUARDANDO_APROVACAO: "Aguardando aprovação",
    StatusProcesso.AGUARDANDO_ENVIO_SAT: "Aguardando envio ao SAT",
    StatusProcesso.UPLOAD_REALIZADO: "Enviado ao SAT",
}
STATUS_EXECUCAO: dict[StatusExecucao, str] = {
    StatusExecucao.EXECUTANDO: "Executando",
    StatusExecucao.CONCLUIDO: "Concluída",
    StatusExecucao.FALHOU: "Falhou",
    StatusExecucao.TENTANDO_NOVAMENTE: "Tentando novamente",
    StatusExecucao.CANCELADO: "Cancelada",
    StatusExecucao.TIMEOUT: "Tempo esgotado",
}
TIPO_EXECUCAO: dict[TipoExecucao, str] = {
    TipoExecucao.DOWNLOAD_FATURA: "Download da fatura",
    TipoExecucao.UPLOAD_SAT: "Envio ao SAT",
    TipoExecucao.UPLOAD_MANUAL: "Upload manual",
}
SITUACAO_VENCIMENTO: dict[SituacaoVencimento, str] = {
    SituacaoVencimento.VENCIDA: "Vencida",
    SituacaoVencimento.VENCE_EM_BREVE: "Vence em breve",
    SituacaoVencimento.NO_PRAZO: "No prazo",
    SituacaoVencimento.SEM_VENCIMENTO: "Sem vencimento",
}

_SEPARADORES = re.compile(r"[.\-/\s]")


def rotulo(valor: enum.Enum | str | None, rotulos: dict) -> str:
    """The label of ``valor`` (a member or its value) in ``rotulos``; an unknown value as given, none as ``—``."""
    if valor is None or valor == "":
        return VAZIO
    tipo = type(next(iter(rotulos)))
    try:
        return rotulos[tipo(valor)]
    except ValueError:
        return str(valor)


def status_processo(valor: StatusProcesso | str | None) -> str:
    return rotulo(valor, STATUS_PROCESSO)


def numero(valor: Decimal | float | int) -> str:
    """``1234.5`` → ``1.234,50`` (two decimals, Brazilian separators)."""
    return f"{Decimal(str(valor)):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def moeda(valor: Decimal | float | int | None) -> str:
    """``1234.5`` → ``R$ 1.234,50``; ``None`` (or a missing pandas value) → ``—``."""
    if valor is None or valor != valor:  # NaN is the only value unequal to itself
        return VAZIO
    return "R$ " + numero(valor)


def cnpj(valor: str | None) -> str:
    """``84718741000100`` → ``84.718.741/0001-00`` (also the alphanumeric CNPJ); anything else as given."""
    if not valor:
        return VAZIO
    bruto = _SEPARADORES.sub("", valor).upper()
    if len(bruto) != 14 or not bruto.isalnum():
        return valor
    return f"{bruto[:2]}.{bruto[2:5]}.{bruto[5:8]}/{bruto[8:12]}-{bruto[12:]}"


def cpf(valor: str | None) -> str:
    """``52998224725`` → ``529.982.247-25``; anything else as given."""
    if not valor:
        return VAZIO
    bruto = _SEPARADORES.sub("", valor)
    if len(bruto) != 11 or not bruto.isdigit():
        return valor
    return f"{bruto[:3]}.{bruto[3:6]}.{bruto[6:9]}-{bruto[9:]}"


def data(dia: dt.date | None) -> str:
    """``2026-12-03`` → ``03/12/2026``; ``None`` (or a missing pandas value) → ``—``."""
    return dia.strftime("%d/%m/%Y") if dia and dia == dia else VAZIO


def data_hora(momento: dt.datetime | None, fuso: ZoneInfo = FUSO_BRASIL) -> str:
    """A stored instant in local time, ``03/12/2026 14:05``; a naive datetime is taken as UTC (how it is stored)."""
    if momento is None:
        return VAZIO
    if momento.tzinfo is None:
        momento = momento.replace(tzinfo=dt.UTC)
    return momento.astimezone(fuso).strftime("%d/%m/%Y %H:%M")


def sem_acentos(texto: str) -> str:
    """``"Razão Social"`` → ``"Razao Social"``: accents and other diacritics removed, nothing else changed."""
    return "".join(c for c in unicodedata.normalize("NFKD", texto) if not unicodedata.combining(c))


_ROTULOS_DETALHES = {"protocolo": "Protocolo SAT", "job_id": "Job do robô", "motivo": "Motivo", "linha": "Linha",
                     "campos": "Campos", "cnpj": "CNPJ", "operadora": "Operadora", "mensagem": "Mensagem",
                     "resultado": "Resultado", "nome_arquivo": "Arquivo", "arquivo_fatura": "Arquivo"}


def detalhes(valor: object) -> str:
    """An audit or error ``detalhes`` dict as a line a person reads: ``Protocolo SAT: SAT-1A2B · Job do robô: j-1``
    (nested dicts flattened, lists joined, known keys in Portuguese)."""
    if isinstance(valor, dict):
        return " · ".join(detalhes(v) if isinstance(v, dict) else
                          f"{_ROTULOS_DETALHES.get(chave, chave.replace('_', ' ').capitalize())}: {detalhes(v)}"
                          for chave, v in valor.items() if v not in (None, ""))
    if isinstance(valor, list | tuple):
        return ", ".join(detalhes(v) for v in valor)
    return VAZIO if valor is None else str(valor)


_INSTANTE_ISO = re.compile(r"(?m)^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")


def log_em_hora_local(texto: str | None, fuso: ZoneInfo = FUSO_BRASIL) -> str:
    """Robot log lines with their leading ISO instant (UTC when it has no offset) in local time,
    ``03/12/2026 14:05:09``, like every other time on the page."""
    def _local(achado: re.Match) -> str:
        try:
            momento = dt.datetime.fromisoformat(achado.group(1).replace("Z", "+00:00"))
        except ValueError:
            return achado.group(1)
        if momento.tzinfo is None:
            momento = momento.replace(tzinfo=dt.UTC)
        return momento.astimezone(fuso).strftime("%d/%m/%Y %H:%M:%S")
    return _INSTANTE_ISO.sub(_local, texto or "")

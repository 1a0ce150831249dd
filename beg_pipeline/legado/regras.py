"""Pure rules that turn legacy values into the new system's (statuses, due dates, PDF keys, carriers, attempts)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao, status_exigido
from beg_pipeline.domain.processo import StatusProcesso

S = StatusProcesso
STATUS_CANONICO: dict[str, StatusProcesso] = {
    **{s.value: s for s in StatusProcesso},
    "DOWNLOAD_EM_ANDAMENTO": S.AGUARDANDO_DOWNLOAD,
    "ERRO_DOWNLOAD": S.AGUARDANDO_DOWNLOAD,
    "DOWNLOAD_CONCLUIDO": S.AGUARDANDO_APROVACAO,
    "SAT_EM_ANDAMENTO": S.AGUARDANDO_ENVIO_SAT,
    "ERRO_SAT": S.AGUARDANDO_ENVIO_SAT,
    "SAT_CONCLUIDO": S.UPLOAD_REALIZADO,
    "DOWNLOAD_COMPLETO": S.AGUARDANDO_APROVACAO,
    "PENDENTE_APROVACAO": S.AGUARDANDO_APROVACAO,
    "APROVADO": S.AGUARDANDO_ENVIO_SAT,
    "ENVIANDO_SAT": S.AGUARDANDO_ENVIO_SAT,
    "FALHA_ENVIO_SAT": S.AGUARDANDO_ENVIO_SAT,
    "ENVIADO_SAT": S.UPLOAD_REALIZADO,
    "UPLOAD_SAT_REALIZADO": S.UPLOAD_REALIZADO,
    "CONCLUIDO": S.UPLOAD_REALIZADO,
    "REJEITADO": S.AGUARDANDO_DOWNLOAD,
    "DOWNLOAD_FALHOU": S.AGUARDANDO_DOWNLOAD,
}

# Old databases carried 3-letter carrier codes until a script renamed them to the robot codes.
CODIGOS_ANTIGOS = {"EMB": "EMBRATEL", "VIV": "VIVO", "DIG": "DIGITALNET", "OIX": "OI", "AZU": "AZUTON"}
PSEUDO_OPERADORA_SAT = "SAT"


class StatusDesconhecido(ValueError):
    """A legacy status that ``schema.md`` does not list: the row is rejected with this reason."""


def status_canonico(valor: str | None, tem_aprovador: bool) -> StatusProcesso:
    """The new status of a legacy ``status_processo`` (a cancelled job with an approver was a SAT job)."""
    bruto = (valor or "").strip().upper()
    if bruto == "CANCELADO":
        return S.AGUARDANDO_ENVIO_SAT if tem_aprovador else S.AGUARDANDO_DOWNLOAD
    try:
        return STATUS_CANONICO[bruto]
    except KeyError:
        raise StatusDesconhecido(f"status_processo {valor!r} desconhecido (nenhum equivalente em schema.md)") from None


def codigo_operadora(codigo: str) -> str:
    """The robot code of a legacy carrier code (``EMB`` → ``EMBRATEL``)."""
    bruto = (codigo or "").strip().upper()
    return CODIGOS_ANTIGOS.get(bruto, bruto)


@dataclass(frozen=True)
class Vencimento:
    data: dt.date | None
    problema: str | None = None


def corrigir_vencimento(data: dt.date | None, mes_ano: str) -> Vencimento:
    """Detect a day/month swap (PostgreSQL MDY read of a ``DD/MM/AAAA`` value): when the stored date is far from
    the invoice month and the swapped one is near, the swapped one is the due date."""
    if data is None:
        return Vencimento(None)
    mes, ano = (int(p) for p in mes_ano.split("/"))
    referencia = dt.date(ano, mes, 1)
    fim_do_mes_seguinte = dt.date(ano + (mes + 1) // 12, (mes + 1) % 12 + 1, 1) - dt.timedelta(days=1)

    def plausivel(d: dt.date) -> bool:  # invoices fall due in their month or the next one
        return referencia - dt.timedelta(days=31) <= d <= fim_do_mes_seguinte

    if plausivel(data):
        return Vencimento(data)
    if data.day <= 12 and data.day != data.month:
        trocada = dt.date(data.year, data.day, data.month)
        if plausivel(trocada):
            return Vencimento(trocada, f"vencimento {data.isoformat()} com dia e mês trocados: corrigido para "
                                       f"{trocada.isoformat()}")
    return Vencimento(data, f"vencimento {data.isoformat()} longe do mês {mes_ano}: mantido, confira")


_URL_BUCKET = re.compile(r"^https?://[^/]+/(?P<bucket>[^/]+)/(?P<chave>.+)$")


@dataclass(frozen=True)
class ReferenciaPdf:
    chave: str | None  # object key inside bucket ``beg``
    problema: str | None = None


def referencia_pdf(fatura_s3_key: str | None, caminho_s3_fatura: str | None, url_fatura: str | None,
                   bucket: str = "beg") -> ReferenciaPdf:
    """The object key of a process's PDF, in the order ``schema.md`` gives; other buckets and portal links are
    not files of bucket ``beg`` (reported, never fatal)."""
    for valor in (fatura_s3_key, caminho_s3_fatura, url_fatura):
        valor = (valor or "").strip()
        if not valor:
            continue
        if valor.startswith("s3://"):
            resto = valor[len("s3://"):]
            nome, _, chave = resto.partition("/")
            if nome == bucket and chave:
                return ReferenciaPdf(chave)
            return ReferenciaPdf(None, f"PDF em outro bucket ({nome}): {valor}")
        if valor.startswith(("http://", "https://")):
            m = _URL_BUCKET.match(urlsplit(valor)._replace(query="", fragment="").geturl())
            if m and m.group("bucket") == bucket:
                return ReferenciaPdf(unquote(m.group("chave")))
            return ReferenciaPdf(None, f"url_fatura não é um objeto do bucket {bucket}: {valor}")
        return ReferenciaPdf(valor.lstrip("/"))
    return ReferenciaPdf(None)


@dataclass(frozen=True)
class Tentativa:
    id_legado: str
    processo_id: str
    tipo: str
    status: str
    job_id: str | None
    data_inicio: dt.datetime


def status_das_tentativas(tentativas: list[Tentativa], status_processo: dict[str, StatusProcesso],
                          ja_em_andamento: set[tuple[str, str]]) -> dict[str, tuple[StatusExecucao, str | None]]:
    """The new status of each legacy attempt, with a note when it changes.

    Only the newest attempt of a process and type may stay EXECUTANDO, and only when it has a robot job id and the
    process still waits for that work: the next run adopts that job through the robot API. Every other EXECUTANDO
    row is stale (its job monitor died) and is closed as FALHOU. ``ja_em_andamento`` holds (processo, tipo) pairs
    the new system already runs itself.
    """
    resultado: dict[str, tuple[StatusExecucao, str | None]] = {}
    ultimas: dict[tuple[str, str], Tentativa] = {}
    for t in sorted(tentativas, key=lambda t: (t.data_inicio, t.id_legado)):
        ultimas[(t.processo_id, t.tipo)] = t
    for t in tentativas:
        try:
            status = StatusExecucao((t.status or "").strip().upper())
        except ValueError:
            resultado[t.id_legado] = (StatusExecucao.FALHOU, f"status_execucao {t.status!r} desconhecido: FALHOU")
            continue
        if status is not StatusExecucao.EXECUTANDO:
            resultado[t.id_legado] = (status, None)
            continue
        adotavel = (
            t.job_id and ultimas[(t.processo_id, t.tipo)] is t and (t.processo_id, t.tipo) not in ja_em_andamento
            and t.tipo in (TipoExecucao.DOWNLOAD_FATURA.value, TipoExecucao.UPLOAD_SAT.value)
            and status_processo.get(t.processo_id) == status_exigido(TipoExecucao(t.tipo))
        )
        if adotavel:
            resultado[t.id_legado] = (status, None)
        else:
            resultado[t.id_legado] = (StatusExecucao.FALHOU, "EXECUTANDO abandonada no legado (sem job a adotar "
                                                             "ou substituída por tentativa posterior): FALHOU")
    return resultado


def esconder(valor: Any, segredos: list[str]) -> Any:
    """``valor`` (text, or JSON made of dicts and lists) with every secret replaced by ``***``."""
    if valor is None or not segredos:
        return valor
    if isinstance(valor, str):
        for segredo in segredos:
            valor = valor.replace(segredo, "***")
        return valor
    if isinstance(valor, dict):
        return {k: esconder(v, segredos) for k, v in valor.items()}
    if isinstance(valor, list):
        return [esconder(v, segredos) for v in valor]
    return valor

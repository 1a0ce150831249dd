"""Alerts no one has to be looking for: the approvers' daily digest, invoices not downloaded as their usual due
date nears, and the robot API going down and coming back (each notified once, through ``notificacoes``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from beg_pipeline.db.models import Cliente, Notificacao, Processo, agora
from beg_pipeline.domain import calendario, formatos
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.domain.politica_tentativas import CLASSES_PARA_PESSOA
from beg_pipeline.domain.prazos import SituacaoVencimento, situacao_vencimento
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.rpa.contrato import RpaClient, RpaErro
from beg_pipeline.services import notificacoes
from beg_pipeline.services.contexto import Contexto

CHAVE_RESUMO = "RESUMO_APROVADORES:"  # + local date
CHAVE_ROBO_FORA = "ROBO_FORA:"  # + instant the outage was seen
CHAVE_ROBO_VOLTOU = "ROBO_VOLTOU:"
CHAVE_DOWNLOAD_ATRASADO = "DOWNLOAD_ATRASADO:"  # + process id
OK = "OK"


@dataclass
class ResumoAprovacao:
    aguardando: int = 0
    vencem_em_breve: int = 0
    vencidas: int = 0
    bloqueadas: int = 0  # downloads stopped until a person fixes the portal credentials

    @property
    def vazio(self) -> bool:
        return not (self.aguardando or self.vencidas or self.bloqueadas)


def resumo_aprovacao(ctx: Contexto, hoje: dt.date) -> ResumoAprovacao:
    resumo = ResumoAprovacao()
    with ctx.db.leitura() as s:
        vencimentos = s.scalars(select(Processo.data_vencimento).where(
            Processo.status_processo == StatusProcesso.AGUARDANDO_APROVACAO.value)).all()
        resumo.bloqueadas = s.scalar(select(func.count()).where(
            Processo.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value,
            Processo.classe_ultima_falha.in_([c.value for c in CLASSES_PARA_PESSOA])))
    resumo.aguardando = len(vencimentos)
    for vencimento in vencimentos:
        situacao = situacao_vencimento(vencimento, hoje)
        resumo.vencidas += situacao is SituacaoVencimento.VENCIDA
        resumo.vencem_em_breve += situacao is SituacaoVencimento.VENCE_EM_BREVE
    return resumo


def notificar_resumo_aprovadores(ctx: Contexto, hoje: dt.date) -> bool:
    """One digest a day for the approvers (one e-mail to each), none when there is nothing to decide; the day's
    digest resolves the previous ones."""
    r = resumo_aprovacao(ctx, hoje)
    if r.vazio:
        return False
    chave = f"{CHAVE_RESUMO}{hoje.isoformat()}"
    with ctx.db.transacao() as s:
        s.execute(update(Notificacao).where(Notificacao.chave.startswith(CHAVE_RESUMO, autoescape=True),
                                            Notificacao.chave != chave, Notificacao.data_resolucao.is_(None))
                  .values(data_resolucao=agora()))
    return notificacoes.notificar(
        ctx, f"Resumo de aprovações de {formatos.data(hoje)}: {r.aguardando} aguardando",
        f"Aguardando aprovação: {r.aguardando}\nVencem em até 3 dias úteis: {r.vencem_em_breve}\n"
        f"Vencidas: {r.vencidas}\nDownloads bloqueados (credenciais do portal): {r.bloqueadas}\n"
        "Abra a fila de aprovação no aplicativo para decidir.",
        destinatario=Perfil.APROVADOR.value, chave=chave)


def vencimento_habitual(ultimo_vencimento: dt.date, mes_ano: str) -> dt.date:
    """The client's usual due day (that of its last invoice) in the month ``mes_ano``."""
    inicio = calendario.primeiro_dia(mes_ano)
    proximo = (inicio + dt.timedelta(days=32)).replace(day=1)
    return inicio.replace(day=min(ultimo_vencimento.day, (proximo - dt.timedelta(days=1)).day))


def notificar_downloads_atrasados(ctx: Contexto, mes_ano: str, hoje: dt.date) -> int:
    """Invoices of ``mes_ano`` not downloaded yet although their usual due date (the day of the client's latest
    due date in other months) is within 3 business days or past."""
    passado = aliased(Processo)
    anterior = select(func.max(passado.data_vencimento)).where(
        passado.cliente_id == Processo.cliente_id, passado.mes_ano != mes_ano).scalar_subquery()
    with ctx.db.leitura() as s:
        linhas = s.execute(select(Processo.id, Cliente.razao_social, anterior.label("ultimo"))
                           .join(Cliente, Processo.cliente_id == Cliente.id)
                           .where(Processo.mes_ano == mes_ano,
                                  Processo.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value)).all()
    criadas = 0
    for processo_id, cliente, ultimo in linhas:
        if ultimo is None:
            continue
        previsto = vencimento_habitual(ultimo, mes_ano)
        if situacao_vencimento(previsto, hoje) in (SituacaoVencimento.VENCIDA, SituacaoVencimento.VENCE_EM_BREVE):
            criadas += notificacoes.notificar(
                ctx, f"Fatura de {cliente} ainda não baixada (costuma vencer em {formatos.data(previsto)})",
                f"A fatura {mes_ano} de {cliente} não foi baixada e o vencimento habitual está próximo. "
                "Verifique o robô ou faça o upload manual.", destinatario=Perfil.OPERADOR.value,
                processo_id=processo_id, chave=f"{CHAVE_DOWNLOAD_ATRASADO}{processo_id}")
    return criadas


def alertas_diarios(ctx: Contexto, hoje: dt.date) -> dict[str, int]:
    """What the daily schedule runs: due dates of this month and the last, late downloads, the approvers' digest."""
    meses = [calendario.mes_ano_de_data(hoje.replace(day=1) - dt.timedelta(days=1)), calendario.mes_ano_de_data(hoje)]
    return {"vencimentos": sum(notificacoes.notificar_vencimentos(ctx, m, hoje) for m in meses),
            "downloads_atrasados": sum(notificar_downloads_atrasados(ctx, m, hoje) for m in meses),
            "resumo": int(notificar_resumo_aprovadores(ctx, hoje))}


def verificar_robo(ctx: Contexto, client: RpaClient, estado: str | None) -> str:
    """``GET /health``; notify once when it stops answering healthy and once when it is back. ``estado`` is what
    the previous call returned (``OK``, or the key of the open outage notification); returns the new one."""
    try:
        saude = client.health()
        problema = None if saude.saudavel else f"status {saude.status!r}: {saude.message or 'sem mensagem'}"
    except RpaErro as exc:
        problema = str(exc)
    fora = estado is not None and estado.startswith(CHAVE_ROBO_FORA)
    instante = agora()
    if problema is not None:
        if fora:
            return estado
        chave = f"{CHAVE_ROBO_FORA}{instante.isoformat()}"
        notificacoes.notificar(ctx, f"API do robô fora do ar desde {formatos.data_hora(instante)}",
                               f"GET /health em {ctx.settings.rpa_url} falhou: {problema}. Downloads e envios ao "
                               "SAT ficam parados até ela voltar.", destinatario=Perfil.OPERADOR.value, chave=chave)
        return chave
    if fora:
        notificacoes.resolver(ctx, estado)
        notificacoes.notificar(ctx, f"API do robô voltou em {formatos.data_hora(instante)}",
                               "GET /health responde de novo; as próximas execuções seguem normalmente.",
                               destinatario=Perfil.OPERADOR.value, chave=f"{CHAVE_ROBO_VOLTOU}{instante.isoformat()}")
    return OK

"""Notifications of what needs a person (credentials failures, failed runs, due dates): shown in the app, read per
user, queued for e-mail and webhooks (``envios_notificacao``), and resolved when their cause is gone."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Cliente, Notificacao, NotificacaoLida, Operadora, Processo, agora
from beg_pipeline.domain import formatos
from beg_pipeline.domain.cadastro import ROTULO_SEM_CREDENCIAIS, sem_credenciais
from beg_pipeline.domain.perfis import Ator, Perfil
from beg_pipeline.domain.prazos import SituacaoVencimento, situacao_vencimento
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.services import envios_notificacao
from beg_pipeline.services.contexto import Contexto, IdEntidade

TIPO_APP = "APP"  # shown in the approval app; e-mail and webhook copies are rows of envios_notificacao
TODOS = "TODOS"
CHAVE_SEM_CREDENCIAIS = "SEM_CREDENCIAIS:"  # + cliente id
_chaves_sem_credenciais = select(Notificacao.chave).where(
    Notificacao.chave.startswith(CHAVE_SEM_CREDENCIAIS, autoescape=True))


def notificar(ctx: Contexto, assunto: str, mensagem: str, *, destinatario: str = "OPERADOR",
              processo_id: uuid.UUID | None = None, chave: str | None = None,
              status_causa: tuple[str, ...] | None = None) -> bool:
    """Record a notification for a profile (or TODOS) and queue its e-mails and webhooks; recorded once per
    ``chave`` if given, else once per subject and process.

    A notification about a process stays open while the process is in one of ``status_causa`` (default: its status
    now) and resolves when a transition takes it elsewhere."""
    assunto = assunto[:300]
    try:
        with ctx.db.transacao() as s:
            mesma = [Notificacao.chave == chave] if chave else [
                Notificacao.assunto == assunto,
                Notificacao.processo_id == processo_id if processo_id else Notificacao.processo_id.is_(None)]
            repetida = s.scalar(select(Notificacao.id).where(*mesma))
            if repetida is not None:
                return False
            if processo_id is not None and status_causa is None:
                status_causa = (s.scalar(select(Processo.status_processo).where(Processo.id == processo_id)),)
            n = Notificacao(tipo=TIPO_APP, destinatario=destinatario, assunto=assunto, mensagem=mensagem,
                            processo_id=processo_id, chave=chave,
                            status_causa=",".join(x for x in status_causa or () if x) or None)
            s.add(n)
            s.flush()
            envios_notificacao.enfileirar(s, ctx.settings, n)
    except IntegrityError:  # the same key recorded by another writer at the same moment
        return False
    return True


def notificar_falha_sat(ctx: Contexto, processo_id: uuid.UUID, cliente: str, motivo: str | None) -> bool:
    """An SAT upload failed; once per process, resolved when the upload is done."""
    return notificar(ctx, f"Envio ao SAT falhou: {cliente}",
                     f"O robô não conseguiu enviar a fatura ao SAT: {motivo or 'sem mensagem'}. A próxima execução "
                     "tenta de novo; se persistir, verifique os dados SAT do cliente.", processo_id=processo_id,
                     chave=f"FALHA_SAT:{processo_id}")


def notificar_tentativas_esgotadas(ctx: Contexto, processo_id: uuid.UUID, tipo: str, cliente: str,
                                   tentativas: int) -> bool:
    """A run used all its attempts (BEG_MAX_TENTATIVAS) on a process; once per process and kind of work."""
    return notificar(ctx, f"Tentativas esgotadas ({tipo}): {cliente}",
                     f"{tentativas} tentativas de {tipo} falharam nesta execução; o processo aguarda a próxima. "
                     "Veja as execuções no detalhe do processo.", processo_id=processo_id,
                     chave=f"TENTATIVAS_ESGOTADAS:{tipo}:{processo_id}")


def resolver_dos_processos(s: Session, processo_ids: list[uuid.UUID], novo_status: str) -> int:
    """Resolve the open notifications of processes that have just left the statuses that caused them (called by the
    status transition, in its transaction)."""
    abertas = s.execute(select(Notificacao.id, Notificacao.status_causa).where(
        Notificacao.processo_id.in_(processo_ids), Notificacao.data_resolucao.is_(None),
        Notificacao.status_causa.is_not(None))).all()
    ids = [i for i, causa in abertas if novo_status not in causa.split(",")]
    if ids:
        s.execute(update(Notificacao).where(Notificacao.id.in_(ids)).values(data_resolucao=agora())
                  .execution_options(synchronize_session=False))
    return len(ids)


def resolver(ctx: Contexto, chave: str) -> bool:
    """Resolve the open notification with this key (e.g. the robot API is back)."""
    with ctx.db.transacao() as s:
        return s.execute(update(Notificacao).where(Notificacao.chave == chave, Notificacao.data_resolucao.is_(None))
                         .values(data_resolucao=agora())).rowcount == 1


def notificar_sem_credenciais(ctx: Contexto) -> int:
    """One notification per active account on an active robot carrier without portal credentials, once per account
    (a unique key per account and cause): it waits for a manual upload or for credentials. It resolves when the
    account gets credentials (or leaves the robot) and opens again if it loses them."""
    with ctx.db.leitura() as s:
        contas = s.execute(
            select(Cliente.id, Cliente.razao_social, Cliente.filtro, Cliente.unidade, Cliente.servico,
                   Cliente.login_portal, Cliente.senha_portal.is_not(None).label("tem_senha"), Operadora.codigo)
            .join(Operadora, Cliente.operadora_id == Operadora.id)
            .where(Cliente.status_ativo, Operadora.status_ativo, Operadora.possui_rpa)
            .order_by(Operadora.codigo, Cliente.razao_social)).all()
        avisadas = dict(s.execute(select(Notificacao.chave, Notificacao.data_resolucao.is_(None)).where(
            Notificacao.chave.startswith(CHAVE_SEM_CREDENCIAIS, autoescape=True))).tuples().all())
    faltando = {f"{CHAVE_SEM_CREDENCIAIS}{c.id}" for c in contas if sem_credenciais(True, c.login_portal, c.tem_senha)}
    resolver_chaves = [k for k, aberta in avisadas.items() if aberta and k not in faltando]
    reabrir = [k for k, aberta in avisadas.items() if not aberta and k in faltando]
    if resolver_chaves or reabrir:
        with ctx.db.transacao() as s:
            s.execute(update(Notificacao).where(Notificacao.chave.in_(resolver_chaves), Notificacao.data_resolucao
                                                .is_(None)).values(data_resolucao=agora()))
            s.execute(update(Notificacao).where(Notificacao.chave.in_(reabrir)).values(data_resolucao=None))
    novas = [c for c in contas if f"{CHAVE_SEM_CREDENCIAIS}{c.id}" in faltando - avisadas.keys()]
    if not novas:
        return 0
    try:
        with ctx.db.transacao() as s:
            avisadas = set(s.scalars(_chaves_sem_credenciais))
            novas = [c for c in novas if f"{CHAVE_SEM_CREDENCIAIS}{c.id}" not in avisadas]
            criadas = [Notificacao(
                tipo=TIPO_APP, destinatario="OPERADOR", chave=f"{CHAVE_SEM_CREDENCIAIS}{c.id}",
                assunto=f"{c.razao_social} ({' · '.join(p for p in (c.codigo, c.filtro, c.unidade, c.servico) if p)}): "
                        f"{ROTULO_SEM_CREDENCIAIS}"[:300],
                mensagem=f"A operadora {c.codigo} tem robô, mas este cliente não tem login e senha do portal: o robô "
                         "não baixa a fatura dele. A cada mês, faça o upload manual da fatura, ou cadastre login e "
                         "senha em Clientes para o robô passar a baixá-la.") for c in novas]
            s.add_all(criadas)
            s.flush()
            for n in criadas:
                envios_notificacao.enfileirar(s, ctx.settings, n)
    except IntegrityError:  # another import recorded the same accounts at the same moment
        return 0
    return len(novas)


def notificar_vencimentos(ctx: Contexto, mes_ano: str, hoje: dt.date) -> int:
    """One notification per pending invoice of the month that is overdue or due within 3 business days."""
    pendentes = (StatusProcesso.AGUARDANDO_APROVACAO.value, StatusProcesso.AGUARDANDO_ENVIO_SAT.value)
    with ctx.db.leitura() as s:
        linhas = s.execute(select(Processo.id, Processo.data_vencimento, Cliente.razao_social)
                           .join(Cliente, Processo.cliente_id == Cliente.id)
                           .where(Processo.mes_ano == mes_ano, Processo.status_processo.in_(pendentes),
                                  Processo.data_vencimento.is_not(None))).all()
    criadas = 0
    for processo_id, vencimento, cliente in linhas:
        situacao = situacao_vencimento(vencimento, hoje)
        if situacao in (SituacaoVencimento.VENCIDA, SituacaoVencimento.VENCE_EM_BREVE):
            texto = "venceu" if situacao is SituacaoVencimento.VENCIDA else "vence"
            criadas += notificar(ctx, f"Fatura de {cliente} {texto} em {formatos.data(vencimento)}",
                                 f"A fatura {mes_ano} de {cliente} ainda não foi enviada ao SAT.",
                                 destinatario=TODOS, processo_id=processo_id, status_causa=pendentes)
    return criadas


@dataclass
class NotificacaoDoUsuario:
    notificacao: Notificacao
    lida: bool

    @property
    def resolvida(self) -> bool:
        return self.notificacao.data_resolucao is not None


def do_usuario(ctx: Contexto, ator: Ator, limite: int = 200, *, resolvidas: bool = False) -> list[NotificacaoDoUsuario]:
    """Notifications addressed to the user's profile (administrators see all), newest first; the resolved ones
    only if ``resolvidas``."""
    consulta = select(Notificacao, NotificacaoLida.usuario_id).outerjoin(
        NotificacaoLida, (NotificacaoLida.notificacao_id == Notificacao.id)
        & (NotificacaoLida.usuario_id == ator.usuario_id))
    if ator.perfil is not Perfil.ADMINISTRADOR:
        consulta = consulta.where(or_(Notificacao.destinatario == ator.perfil.value, Notificacao.destinatario == TODOS))
    if not resolvidas:
        consulta = consulta.where(Notificacao.data_resolucao.is_(None))
    with ctx.db.leitura() as s:
        linhas = s.execute(consulta.order_by(Notificacao.data_criacao.desc()).limit(limite)).all()
    return [NotificacaoDoUsuario(n, lida is not None) for n, lida in linhas]


def marcar_lida(ctx: Contexto, ator: Ator, notificacao_id: IdEntidade) -> None:
    """Idempotent: a double click records one read mark."""
    try:
        with ctx.db.transacao() as s:
            if s.get(NotificacaoLida, (notificacao_id, ator.usuario_id)) is None:
                s.add(NotificacaoLida(notificacao_id=notificacao_id, usuario_id=ator.usuario_id))
    except IntegrityError:
        pass


def todas(ctx: Contexto) -> list[Notificacao]:
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Notificacao).order_by(Notificacao.data_criacao.desc())))

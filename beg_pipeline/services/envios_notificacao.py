"""The outbox of notifications that leave the app: one row per (notification, channel, recipient), queued in the
notification's transaction and sent by ``enviar_pendentes`` (the Dagster sensor every minute, or
``beg notificacoes enviar``).

Each row is reserved by a conditional UPDATE before it is sent, so two drainers never send the same message; a
failure leaves it PENDENTE with a later ``proxima_tentativa`` (doubling from BEG_NOTIFICACOES_ESPERA_S, at most 1 h)
until BEG_NOTIFICACOES_MAX_TENTATIVAS, then FALHOU (``repetir_falhas`` queues those again). A drainer that dies
between sending and recording leaves its rows reserved for ``RESERVA``; they are then sent again (at least once).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from beg_pipeline.db.models import EnvioNotificacao, Notificacao, PreferenciaNotificacao, Usuario, agora
from beg_pipeline.domain.perfis import PERFIS_DE_PESSOAS, Ator, Perfil, Permissao
from beg_pipeline.services.canais_notificacao import (
    CANAIS,
    EMAIL,
    WEBHOOK,
    ConexaoSmtp,
    FalhaDeEnvio,
    Mensagem,
    enviar_webhook,
    webhooks,
)
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import Settings

PENDENTE, ENVIADO, FALHOU = "PENDENTE", "ENVIADO", "FALHOU"
USUARIO, PERFIL = "USUARIO", "PERFIL"
RESERVA = dt.timedelta(minutes=15)
ESPERA_MAXIMA_S = 3600.0
TODOS = "TODOS"


def _desligados(s: Session) -> set[tuple[str, str, str]]:
    return set(s.execute(select(PreferenciaNotificacao.escopo, PreferenciaNotificacao.alvo,
                                PreferenciaNotificacao.canal)).tuples())


def enfileirar(s: Session, settings: Settings, n: Notificacao) -> int:
    """Queue the e-mails (to the active users of the notification's profile, or of every profile for TODOS) and
    webhook calls of a new notification, minus the channels turned off; channels not configured queue nothing."""
    desligados = _desligados(s)
    linhas = []
    if settings.smtp_host:
        perfis = [p.value for p in PERFIS_DE_PESSOAS] if n.destinatario == TODOS else [n.destinatario]
        for usuario_id, email, perfil in s.execute(select(Usuario.id, Usuario.email, Usuario.perfil_usuario).where(
                Usuario.status_ativo, Usuario.perfil_usuario.in_(perfis)).order_by(Usuario.email)):
            if (USUARIO, str(usuario_id), EMAIL) not in desligados and (PERFIL, perfil, EMAIL) not in desligados:
                linhas.append((EMAIL, email))
    if (PERFIL, n.destinatario, WEBHOOK) not in desligados:
        linhas += [(WEBHOOK, w.destino) for w in webhooks(settings)]
    momento = agora()
    s.add_all(EnvioNotificacao(notificacao_id=n.id, canal=canal, destino=destino, status_envio=PENDENTE,
                               tentativas=0, proxima_tentativa=momento, data_criacao=momento)
              for canal, destino in dict.fromkeys(linhas))
    return len(linhas)


@dataclass
class ResumoEnvios:
    enviados: int = 0
    adiados: int = 0  # failed now, tried again later
    desistidos: int = 0  # failed BEG_NOTIFICACOES_MAX_TENTATIVAS times: FALHOU

    def __str__(self) -> str:
        return f"{self.enviados} enviadas, {self.adiados} adiadas, {self.desistidos} com falha definitiva"


def _reservar(ctx: Contexto, momento: dt.datetime, limite: int) -> tuple[uuid.UUID, list]:
    livre = (EnvioNotificacao.status_envio == PENDENTE, EnvioNotificacao.proxima_tentativa <= momento,
             or_(EnvioNotificacao.reservado_ate.is_(None), EnvioNotificacao.reservado_ate < momento))
    with ctx.db.leitura() as s:
        candidatos = list(s.scalars(select(EnvioNotificacao.id).where(*livre)
                                    .order_by(EnvioNotificacao.proxima_tentativa).limit(limite)))
    reserva = uuid.uuid4()
    if not candidatos:
        return reserva, []
    with ctx.db.transacao() as s:  # re-checked row by row: a row another drainer reserved meanwhile is skipped
        s.execute(update(EnvioNotificacao).where(EnvioNotificacao.id.in_(candidatos), *livre)
                  .values(reserva=reserva, reservado_ate=momento + RESERVA)
                  .execution_options(synchronize_session=False))
    with ctx.db.leitura() as s:
        return reserva, list(s.execute(select(EnvioNotificacao, Notificacao)
                                       .join(Notificacao, EnvioNotificacao.notificacao_id == Notificacao.id)
                                       .where(EnvioNotificacao.reserva == reserva)
                                       .order_by(EnvioNotificacao.data_criacao)).tuples())


def _mensagem(n: Notificacao) -> Mensagem:
    return Mensagem(str(n.id), n.assunto, n.mensagem, n.destinatario, str(n.processo_id) if n.processo_id else None,
                    n.data_criacao.isoformat())


def _registrar(ctx: Contexto, envio: EnvioNotificacao, reserva: uuid.UUID, erro: str | None,
               resumo: ResumoEnvios) -> None:
    momento, tentativas = agora(), envio.tentativas + 1
    valores: dict = {"tentativas": tentativas, "reserva": None, "reservado_ate": None}
    if erro is None:
        valores.update(status_envio=ENVIADO, data_envio=momento, erro=None)
        resumo.enviados += 1
    elif tentativas >= ctx.settings.notificacoes_max_tentativas:
        valores.update(status_envio=FALHOU, erro=erro)
        resumo.desistidos += 1
    else:
        espera = min(ctx.settings.notificacoes_espera_s * 2 ** (tentativas - 1), ESPERA_MAXIMA_S)
        valores.update(erro=erro, proxima_tentativa=momento + dt.timedelta(seconds=espera))
        resumo.adiados += 1
    with ctx.db.transacao() as s:
        s.execute(update(EnvioNotificacao).where(EnvioNotificacao.id == envio.id, EnvioNotificacao.reserva == reserva)
                  .values(**valores).execution_options(synchronize_session=False))


def enviar_pendentes(ctx: Contexto, *, agora_: dt.datetime | None = None, limite: int = 50) -> ResumoEnvios:
    """Send the queued messages that are due, each at most once; a channel that is down is tried once per call."""
    reserva, linhas = _reservar(ctx, agora_ or agora(), limite)
    resumo = ResumoEnvios()
    smtp = ConexaoSmtp(ctx.settings)
    por_destino = {w.destino: w for w in webhooks(ctx.settings)}
    fora: dict[str, str] = {}  # channel or webhook that failed in this call → its error
    try:
        for envio, n in linhas:
            alvo = EMAIL if envio.canal == EMAIL else envio.destino
            erro = fora.get(alvo)
            if erro is None:
                try:
                    if envio.canal == EMAIL:
                        if not ctx.settings.smtp_host:
                            raise FalhaDeEnvio("BEG_SMTP_HOST não configurado", canal_fora=True)
                        smtp.enviar(envio.destino, _mensagem(n))
                    elif envio.destino in por_destino:
                        enviar_webhook(por_destino[envio.destino], _mensagem(n), ctx.settings.notificacoes_timeout_s)
                    else:
                        raise FalhaDeEnvio(f"{envio.destino} não está mais em BEG_WEBHOOK_URLS", canal_fora=True)
                except FalhaDeEnvio as exc:
                    erro = str(exc)
                    if exc.canal_fora:
                        fora[alvo] = erro
            _registrar(ctx, envio, reserva, erro, resumo)
    finally:
        smtp.fechar()
    return resumo


def repetir_falhas(ctx: Contexto) -> int:
    """Queue the FALHOU messages again (after fixing the SMTP or webhook settings)."""
    with ctx.db.transacao() as s:
        return s.execute(update(EnvioNotificacao).where(EnvioNotificacao.status_envio == FALHOU)
                         .values(status_envio=PENDENTE, tentativas=0, proxima_tentativa=agora())).rowcount


def envios(ctx: Contexto, notificacao_id: uuid.UUID | None = None) -> list[EnvioNotificacao]:
    with ctx.db.leitura() as s:
        consulta = select(EnvioNotificacao).order_by(EnvioNotificacao.data_criacao, EnvioNotificacao.destino)
        if notificacao_id is not None:
            consulta = consulta.where(EnvioNotificacao.notificacao_id == notificacao_id)
        return list(s.scalars(consulta))


def canais_desligados(ctx: Contexto, escopo: str, alvo: str) -> set[str]:
    with ctx.db.leitura() as s:
        return set(s.scalars(select(PreferenciaNotificacao.canal).where(
            PreferenciaNotificacao.escopo == escopo, PreferenciaNotificacao.alvo == alvo)))


def definir_canal(ctx: Contexto, ator: Ator, escopo: str, alvo: str, canal: str, ligado: bool) -> None:
    """Turn a channel on or off for a user (themselves, or anyone for an administrator) or a profile
    (administrators); idempotent."""
    if canal not in CANAIS or escopo not in (USUARIO, PERFIL):
        raise ValueError(f"canal {canal!r} ou escopo {escopo!r} desconhecido (canais: {', '.join(CANAIS)})")
    if escopo == PERFIL:
        Perfil(alvo)
    if not (escopo == USUARIO and alvo == str(ator.usuario_id)):
        ator.exigir(Permissao.GERIR_CADASTROS)
    chave = (PreferenciaNotificacao.escopo == escopo, PreferenciaNotificacao.alvo == alvo,
             PreferenciaNotificacao.canal == canal)
    with ctx.db.transacao() as s:
        existe = s.scalar(select(PreferenciaNotificacao.canal).where(*chave)) is not None
        if ligado and existe:
            s.execute(delete(PreferenciaNotificacao).where(*chave))
        elif not ligado and not existe:
            s.add(PreferenciaNotificacao(escopo=escopo, alvo=alvo, canal=canal))

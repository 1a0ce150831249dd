"""Login against ``usuarios`` (argon2id), lockout per account and throttling per client address, password change.

Every attempt first takes a slot in one write transaction (a conditional ``UPDATE``/upsert that checks and counts
at once), then hashes: concurrent wrong passwords cannot check more than ``MAX_FALHAS`` passwords. Unknown e-mail,
locked account and wrong password give the same message after the same argon2 work.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Row, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from beg_pipeline.db.models import TentativaLoginOrigem, Usuario, UTCDateTime, agora
from beg_pipeline.domain.perfis import Ator, Perfil
from beg_pipeline.legado import senhas as senhas_legado
from beg_pipeline.seguranca import hash_senha, senha_confere
from beg_pipeline.services import auditoria, sessoes
from beg_pipeline.services.cadastros import validar_senha_usuario
from beg_pipeline.services.contexto import Contexto, RegraViolada

MAX_FALHAS = 5
BLOQUEIO = dt.timedelta(minutes=15)
MAX_TENTATIVAS_ORIGEM = 10  # attempts per client address per window, whatever the e-mails
JANELA_ORIGEM = dt.timedelta(minutes=15)
RECUSA = (f"E-mail ou senha inválidos. Após {MAX_FALHAS} tentativas erradas, o acesso fica bloqueado por "
          f"{BLOQUEIO.seconds // 60} minutos.")
_HASH_FICTICIO = hash_senha("senha-que-ninguem-usa")  # same work for unknown e-mails and locked accounts


class LoginRecusado(Exception):
    """Refused login. One message for unknown e-mail, wrong password and locked account (no enumeration);
    a deactivated user is told so only after typing the right password."""


def _ator(usuario: Usuario | Row, ip: str | None, user_agent: str | None) -> Ator:
    return Ator(Perfil(usuario.perfil_usuario), usuario_id=usuario.id, email=usuario.email, ip=ip,
                user_agent=user_agent)


def conferir_senha(senha_hash: str, senha: str) -> bool:
    """The password-verify step of the login (the one place that knows the stored hash formats)."""
    return senha_confere(senha_hash, senha)


def autenticar(ctx: Contexto, email: str, senha: str, ip: str | None = None, user_agent: str | None = None) -> Ator:
    email = (email or "").strip().lower()
    momento = agora()
    with ctx.db.transacao() as s:
        origem_livre = ip is None or _reservar_tentativa_da_origem(s, ip, momento)
        usuario = _reservar_tentativa_da_conta(s, email, momento) if origem_livre else None
    if not origem_livre:
        raise LoginRecusado(RECUSA)  # the caller's own address is throttled: nothing to hide, so no hash work
    confere = conferir_senha(_HASH_FICTICIO if usuario is None else usuario.senha_hash, senha or "")
    if usuario is not None and not confere and senhas_legado.eh_hash_legado(usuario.senha_hash):
        confere = senhas_legado.migrar_no_login(ctx, usuario, senha or "")  # legacy import: pbkdf2 accepted once
    if usuario is None:
        raise LoginRecusado(RECUSA)
    if not confere:
        with ctx.db.transacao() as s:
            auditoria.registrar(s, _ator(usuario, ip, user_agent), "LOGIN_FALHOU", "usuarios", usuario.id,
                                detalhes={"falhas": usuario.tentativas_login_falhas,
                                          "bloqueado": usuario.tentativas_login_falhas >= MAX_FALHAS})
        raise LoginRecusado(RECUSA)
    if not usuario.status_ativo:
        raise LoginRecusado("Usuário desativado: fale com um administrador.")
    with ctx.db.transacao() as s:
        s.execute(update(Usuario).where(Usuario.id == usuario.id)
                  .values(tentativas_login_falhas=0, bloqueado_ate=None, ultimo_login=momento))
        if ip is not None:  # a right password gives its address slot back
            s.execute(update(TentativaLoginOrigem)
                      .where(TentativaLoginOrigem.ip_origem == ip, TentativaLoginOrigem.tentativas > 0)
                      .values(tentativas=TentativaLoginOrigem.tentativas - 1))
        ator = _ator(usuario, ip, user_agent)
        auditoria.registrar(s, ator, "LOGIN", "usuarios", usuario.id)
    with ctx.db.transacao() as s:  # alone: holding other row locks while deleting could deadlock on PostgreSQL
        s.execute(delete(TentativaLoginOrigem).where(TentativaLoginOrigem.janela_inicio <= momento - JANELA_ORIGEM))
    return ator


def _reservar_tentativa_da_conta(s: Session, email: str, momento: dt.datetime) -> Row | None:
    """Count one attempt on the account unless it is locked, in one conditional UPDATE; the attempt that reaches
    ``MAX_FALHAS`` locks the account (a right password then unlocks it). None: unknown e-mail or locked account."""
    falhas = case((Usuario.bloqueado_ate.is_(None), Usuario.tentativas_login_falhas + 1), else_=1)  # lock over: anew
    return s.execute(
        update(Usuario)
        .where(Usuario.email == email, or_(Usuario.bloqueado_ate.is_(None), Usuario.bloqueado_ate <= momento))
        .values(tentativas_login_falhas=falhas,
                bloqueado_ate=case((falhas >= MAX_FALHAS, literal(momento + BLOQUEIO, UTCDateTime())), else_=None))
        .returning(Usuario.id, Usuario.email, Usuario.perfil_usuario, Usuario.status_ativo, Usuario.senha_hash,
                   Usuario.tentativas_login_falhas)
    ).first()


def _reservar_tentativa_da_origem(s: Session, ip: str, momento: dt.datetime) -> bool:
    """Count one attempt for the client address in its window, in one upsert; False once the window is full."""
    inicio_valido = momento - JANELA_ORIGEM
    dialeto = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    expirada = TentativaLoginOrigem.janela_inicio <= inicio_valido
    contagem = (
        dialeto.insert(TentativaLoginOrigem)
        .values(ip_origem=ip, tentativas=1, janela_inicio=momento)
        .on_conflict_do_update(
            index_elements=[TentativaLoginOrigem.ip_origem],
            set_={"tentativas": case((expirada, 1), else_=TentativaLoginOrigem.tentativas + 1),
                  "janela_inicio": case((expirada, literal(momento, UTCDateTime())),
                                        else_=TentativaLoginOrigem.janela_inicio)},
            where=or_(expirada, TentativaLoginOrigem.tentativas < MAX_TENTATIVAS_ORIGEM))
        .returning(TentativaLoginOrigem.tentativas)
    )
    return s.execute(contagem).first() is not None


def ator_atual(ctx: Contexto, usuario_id: uuid.UUID, ip: str | None = None,
               user_agent: str | None = None) -> Ator | None:
    """The user's current profile, re-read on every request (a deactivated user loses access at once)."""
    with ctx.db.leitura() as s:
        usuario = s.get(Usuario, usuario_id)
    if usuario is None or not usuario.status_ativo:
        return None
    return _ator(usuario, ip, user_agent)


def registrar_saida(ctx: Contexto, ator: Ator) -> None:
    with ctx.db.transacao() as s:
        auditoria.registrar(s, ator, "LOGOUT", "usuarios", ator.usuario_id)


def trocar_senha(ctx: Contexto, ator: Ator, senha_atual: str, nova: str) -> None:
    validar_senha_usuario(nova)
    with ctx.db.transacao() as s:
        usuario = s.get(Usuario, ator.usuario_id)
        if usuario is None or not senha_confere(usuario.senha_hash, senha_atual or ""):
            raise RegraViolada("A senha atual não confere.")
        usuario.senha_hash = hash_senha(nova)
        sessoes.revogar_do_usuario(s, usuario.id)  # other browsers logged in as this user must log in again
        auditoria.registrar(s, ator, "TROCAR_SENHA", "usuarios", usuario.id)


def existe_usuario(ctx: Contexto) -> bool:
    with ctx.db.leitura() as s:
        return bool(s.scalar(select(func.count()).select_from(Usuario)))

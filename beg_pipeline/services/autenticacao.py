"""Login against ``usuarios`` (argon2id), lockout after repeated failures, password change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from beg_pipeline.db.models import Usuario, agora
from beg_pipeline.domain.perfis import Ator, Perfil
from beg_pipeline.legado import senhas as senhas_legado
from beg_pipeline.seguranca import hash_senha, senha_confere
from beg_pipeline.services import auditoria
from beg_pipeline.services.cadastros import validar_senha_usuario
from beg_pipeline.services.contexto import Contexto, RegraViolada

MAX_FALHAS = 5
BLOQUEIO = dt.timedelta(minutes=15)
_HASH_FICTICIO = hash_senha("senha-que-ninguem-usa")  # same work for unknown e-mails: no user enumeration by timing


class LoginRecusado(Exception):
    """Wrong e-mail/password, inactive user or locked account (the message says which, without leaking who exists)."""


def _ator(usuario: Usuario, ip: str | None, user_agent: str | None) -> Ator:
    return Ator(Perfil(usuario.perfil_usuario), usuario_id=usuario.id, email=usuario.email, ip=ip,
                user_agent=user_agent)


def autenticar(ctx: Contexto, email: str, senha: str, ip: str | None = None, user_agent: str | None = None) -> Ator:
    email = (email or "").strip().lower()
    momento = agora()
    with ctx.db.leitura() as s:
        usuario = s.scalar(select(Usuario).where(Usuario.email == email))
    if usuario is None:
        senha_confere(_HASH_FICTICIO, senha or "")
        raise LoginRecusado("E-mail ou senha inválidos.")
    if usuario.bloqueado_ate and usuario.bloqueado_ate > momento:
        raise LoginRecusado(f"Conta bloqueada por excesso de tentativas até "
                            f"{usuario.bloqueado_ate.astimezone(ctx.settings.tz):%H:%M}. Tente mais tarde.")
    confere = senha_confere(usuario.senha_hash, senha or "")
    if not confere and senhas_legado.eh_hash_legado(usuario.senha_hash):  # legacy import: pbkdf2 accepted once
        confere = senhas_legado.migrar_no_login(ctx, usuario, senha or "")
    if not confere:
        _registrar_falha(ctx, usuario, ip, user_agent)
        raise LoginRecusado("E-mail ou senha inválidos.")
    if not usuario.status_ativo:
        raise LoginRecusado("Usuário desativado: fale com um administrador.")
    with ctx.db.transacao() as s:
        s.execute(update(Usuario).where(Usuario.id == usuario.id)
                  .values(tentativas_login_falhas=0, bloqueado_ate=None, ultimo_login=momento))
        ator = _ator(usuario, ip, user_agent)
        auditoria.registrar(s, ator, "LOGIN", "usuarios", usuario.id)
    return ator


def _registrar_falha(ctx: Contexto, usuario: Usuario, ip: str | None, user_agent: str | None) -> None:
    with ctx.db.transacao() as s:
        falhas = s.execute(update(Usuario).where(Usuario.id == usuario.id)
                           .values(tentativas_login_falhas=Usuario.tentativas_login_falhas + 1)
                           .returning(Usuario.tentativas_login_falhas)).scalar_one()
        detalhes = {"falhas": falhas}
        if falhas >= MAX_FALHAS:
            s.execute(update(Usuario).where(Usuario.id == usuario.id)
                      .values(bloqueado_ate=agora() + BLOQUEIO, tentativas_login_falhas=0))
            detalhes["bloqueado"] = True
        auditoria.registrar(s, _ator(usuario, ip, user_agent), "LOGIN_FALHOU", "usuarios", usuario.id, detalhes=detalhes)


def ator_atual(ctx: Contexto, usuario_id, ip: str | None = None, user_agent: str | None = None) -> Ator | None:
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
        auditoria.registrar(s, ator, "TROCAR_SENHA", "usuarios", usuario.id)


def existe_usuario(ctx: Contexto) -> bool:
    with ctx.db.leitura() as s:
        return bool(s.scalar(select(func.count()).select_from(Usuario)))

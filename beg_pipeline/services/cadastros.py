"""Users, carriers and clients (ADMINISTRADOR), with portal passwords encrypted at rest."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from beg_pipeline.db.models import Cliente, Operadora, Processo, Usuario, agora
from beg_pipeline.domain.cadastro import normalizar_codigo_operadora, sem_credenciais
from beg_pipeline.domain.documentos import validar_cnpj, validar_cpf
from beg_pipeline.domain.perfis import PERFIS_DE_PESSOAS, Ator, Perfil, Permissao
from beg_pipeline.domain.politica_tentativas import CLASSES_PARA_PESSOA, RECOMECO_DOWNLOAD
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.seguranca import hash_senha
from beg_pipeline.services import auditoria, notificacoes
from beg_pipeline.services.contexto import Contexto, IdEntidade, NaoEncontrado, RegraViolada

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SENHA_MINIMA = 10


def validar_senha_usuario(senha: str) -> str:
    if len(senha or "") < SENHA_MINIMA:
        raise RegraViolada(f"A senha deve ter pelo menos {SENHA_MINIMA} caracteres.")
    return senha


@dataclass(frozen=True)
class DadosUsuario:
    id: uuid.UUID
    nome_completo: str
    email: str
    perfil: Perfil
    status_ativo: bool


def _dados(u: Usuario) -> DadosUsuario:
    return DadosUsuario(u.id, u.nome_completo, u.email, Perfil(u.perfil_usuario), u.status_ativo)


def criar_usuario(ctx: Contexto, ator: Ator, *, email: str, nome: str, perfil: str, senha: str,
                  telefone: str | None = None) -> DadosUsuario:
    ator.exigir(Permissao.GERIR_CADASTROS)
    email = (email or "").strip().lower()
    if not _EMAIL.match(email):
        raise RegraViolada(f"E-mail inválido: {email!r}.")
    perfil_ok = _perfil(perfil)
    validar_senha_usuario(senha)
    try:
        with ctx.db.transacao() as s:
            usuario = Usuario(email=email, nome_completo=nome.strip(), perfil_usuario=perfil_ok.value,
                              telefone=telefone, senha_hash=hash_senha(senha))
            s.add(usuario)
            s.flush()
            auditoria.registrar(s, ator, "CRIAR_USUARIO", "usuarios", usuario.id,
                                detalhes={"email": email, "perfil": perfil_ok.value})
    except IntegrityError:
        raise RegraViolada(f"Já existe um usuário com o e-mail {email}.") from None
    return _dados(usuario)


def _perfil(perfil: str) -> Perfil:
    try:
        valor = Perfil(str(perfil).strip().upper())
    except ValueError:
        valor = None
    if valor not in PERFIS_DE_PESSOAS:
        raise RegraViolada(f"Perfil {perfil!r} inválido: use {', '.join(p.value for p in PERFIS_DE_PESSOAS)}.")
    return valor


def alterar_usuario(ctx: Contexto, ator: Ator, usuario_id: IdEntidade, *, perfil: str | None = None,
                    status_ativo: bool | None = None, nova_senha: str | None = None) -> DadosUsuario:
    """Change a user's profile, activation or password (a reset also clears a lockout)."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    valores: dict[str, Any] = {}
    if perfil is not None:
        valores["perfil_usuario"] = _perfil(perfil).value
    if status_ativo is not None:
        valores["status_ativo"] = status_ativo
    if nova_senha is not None:
        valores.update(senha_hash=hash_senha(validar_senha_usuario(nova_senha)), tentativas_login_falhas=0,
                       bloqueado_ate=None)
    with ctx.db.transacao() as s:
        usuario = s.get(Usuario, usuario_id)
        if usuario is None:
            raise NaoEncontrado(f"Usuário {usuario_id} não existe.")
        perde_admin = usuario.perfil_usuario == Perfil.ADMINISTRADOR.value and (
            status_ativo is False
            or valores.get("perfil_usuario", Perfil.ADMINISTRADOR.value) != Perfil.ADMINISTRADOR.value)
        if perde_admin and usuario.id == ator.usuario_id:
            raise RegraViolada("Você não pode desativar nem rebaixar a sua própria conta de administrador.")
        if perde_admin and usuario.status_ativo and s.scalar(select(func.count()).select_from(Usuario).where(
                Usuario.perfil_usuario == Perfil.ADMINISTRADOR.value, Usuario.status_ativo)) <= 1:
            raise RegraViolada("Este é o último administrador ativo: crie ou ative outro antes.")
        for campo, valor in valores.items():
            setattr(usuario, campo, valor)
        auditoria.registrar(s, ator, "ALTERAR_USUARIO", "usuarios", usuario_id,
                            detalhes={k: v for k, v in valores.items() if k not in ("senha_hash",)}
                            | ({"senha_redefinida": True} if nova_senha else {}))
    return _dados(usuario)


def emails_dos_usuarios(ctx: Contexto, ator: Ator, ids: Iterable[IdEntidade | None]) -> dict[uuid.UUID, str]:
    """E-mails of the given users (to show who approved or uploaded), for anyone who may view processes."""
    ator.exigir(Permissao.VER)
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    with ctx.db.leitura() as s:
        return dict(s.execute(select(Usuario.id, Usuario.email).where(Usuario.id.in_(ids))).all())


def listar_usuarios(ctx: Contexto, ator: Ator) -> list[DadosUsuario]:
    ator.exigir(Permissao.GERIR_CADASTROS)
    with ctx.db.leitura() as s:
        return [_dados(u) for u in s.scalars(select(Usuario).order_by(Usuario.nome_completo))]


def garantir_operadora(ctx: Contexto, ator: Ator, codigo: str, *, nome: str | None = None,
                       possui_rpa: bool = False, url_portal: str | None = None) -> Operadora:
    """The carrier with ``codigo``, created (without a robot unless told) when unknown."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    codigo = _codigo(codigo)
    with ctx.db.transacao() as s:
        operadora = s.scalar(select(Operadora).where(Operadora.codigo == codigo))
        if operadora is None:
            operadora = Operadora(codigo=codigo, nome=nome or codigo.title(), possui_rpa=possui_rpa,
                                  url_portal=url_portal, classe_rpa=codigo if possui_rpa else None)
            s.add(operadora)
            s.flush()
            auditoria.registrar(s, ator, "CRIAR_OPERADORA", "operadoras", operadora.id,
                                detalhes={"codigo": codigo, "possui_rpa": possui_rpa})
    return operadora


def _codigo(codigo: str) -> str:
    try:
        return normalizar_codigo_operadora(codigo)
    except ValueError as exc:
        raise RegraViolada(f"Código de operadora inválido: {exc}.") from None


def alterar_operadora(ctx: Contexto, ator: Ator, operadora_id: IdEntidade, *, possui_rpa: bool | None = None,
                      status_ativo: bool | None = None) -> None:
    """Turn a carrier's robot or activation on or off; its accounts left without credentials are then notified."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    valores = {k: v for k, v in {"possui_rpa": possui_rpa, "status_ativo": status_ativo}.items() if v is not None}
    with ctx.db.transacao() as s:
        if s.execute(update(Operadora).where(Operadora.id == operadora_id).values(**valores)).rowcount != 1:
            raise NaoEncontrado(f"Operadora {operadora_id} não existe.")
        auditoria.registrar(s, ator, "ALTERAR_OPERADORA", "operadoras", operadora_id, detalhes=valores)
    notificacoes.notificar_sem_credenciais(ctx)


def definir_robo_operadora(ctx: Contexto, ator: Ator, codigo: str, possui_rpa: bool) -> Operadora:
    """Mark the carrier ``codigo`` as served (or not) by the robot API (``beg operadoras robo``)."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    codigo = _codigo(codigo)
    with ctx.db.leitura() as s:
        operadora = s.scalar(select(Operadora).where(Operadora.codigo == codigo))
    if operadora is None:
        raise NaoEncontrado(f"Operadora {codigo} não cadastrada: veja os códigos com `beg operadoras listar`.")
    alterar_operadora(ctx, ator, operadora.id, possui_rpa=possui_rpa)
    operadora.possui_rpa = possui_rpa
    return operadora


@dataclass(frozen=True)
class ResumoOperadora:
    codigo: str
    nome: str
    possui_rpa: bool
    status_ativo: bool
    clientes: int
    sem_credenciais: int  # accounts the robot cannot download (robot carrier, no login/password)


def resumo_operadoras(ctx: Contexto, ator: Ator) -> list[ResumoOperadora]:
    """Every carrier with its number of clients and of clients without portal credentials."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    with ctx.db.leitura() as s:
        operadoras = list(s.scalars(select(Operadora).order_by(Operadora.codigo)))
        contas = s.execute(select(Cliente.operadora_id, Cliente.login_portal,
                                  Cliente.senha_portal.is_not(None))).all()
    por_operadora: dict[uuid.UUID, list] = {o.id: [] for o in operadoras}
    for operadora_id, login, tem_senha in contas:
        por_operadora[operadora_id].append((login, tem_senha))
    return [ResumoOperadora(o.codigo, o.nome, o.possui_rpa, o.status_ativo, len(por_operadora[o.id]),
                            sum(sem_credenciais(o.possui_rpa, login, tem) for login, tem in por_operadora[o.id]))
            for o in operadoras]


def listar_operadoras(ctx: Contexto, ator: Ator) -> list[Operadora]:
    ator.exigir(Permissao.VER)
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Operadora).order_by(Operadora.codigo)))


def definir_senha_portal(ctx: Contexto, ator: Ator, cliente_id: IdEntidade, senha: str) -> None:
    """Store a client's portal password encrypted (write-only: no service returns it to a person)."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    cifrada = ctx.cofre.cifrar(senha)
    with ctx.db.transacao() as s:
        if s.execute(update(Cliente).where(Cliente.id == cliente_id)
                     .values(senha_portal=cifrada, data_atualizacao=agora())).rowcount != 1:
            raise NaoEncontrado(f"Cliente {cliente_id} não existe.")
        liberados = s.execute(  # new credentials: the robot may try this client's waiting processes again
            update(Processo).where(Processo.cliente_id == cliente_id,
                                   Processo.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value,
                                   Processo.classe_ultima_falha.in_([c.value for c in CLASSES_PARA_PESSOA]))
            .values(**RECOMECO_DOWNLOAD)).rowcount
        auditoria.registrar(s, ator, "DEFINIR_SENHA_PORTAL", "clientes", cliente_id,
                            detalhes={"processos_liberados": liberados})
    notificacoes.notificar_sem_credenciais(ctx)  # resolves this account's "sem credenciais" notification


def alterar_status_cliente(ctx: Contexto, ator: Ator, cliente_id: IdEntidade, ativo: bool) -> None:
    ator.exigir(Permissao.GERIR_CADASTROS)
    with ctx.db.transacao() as s:
        if s.execute(update(Cliente).where(Cliente.id == cliente_id)
                     .values(status_ativo=ativo, data_atualizacao=agora())).rowcount != 1:
            raise NaoEncontrado(f"Cliente {cliente_id} não existe.")
        auditoria.registrar(s, ator, "ATIVAR_CLIENTE" if ativo else "DESATIVAR_CLIENTE", "clientes", cliente_id)



@dataclass(frozen=True)
class DadosCliente:
    razao_social: str
    cnpj: str
    operadora: str
    filtro: str = ""
    nome_sat: str | None = None
    servico: str = ""
    unidade: str = ""
    dados_sat: str | None = None
    login_portal: str | None = None
    cpf: str | None = None
    observacoes: str | None = None


def salvar_cliente(ctx: Contexto, ator: Ator, cliente_id: IdEntidade | None, dados: DadosCliente,
                   nova_senha: str | None = None) -> uuid.UUID:
    """Create (``cliente_id`` None) or edit a client. The portal password is write-only: None keeps it."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    try:
        cnpj = validar_cnpj(dados.cnpj)
        cpf = validar_cpf(dados.cpf) if dados.cpf and dados.cpf.strip() else None
    except ValueError as exc:
        raise RegraViolada(str(exc)) from None
    if not dados.razao_social.strip():
        raise RegraViolada("A razão social é obrigatória.")
    with ctx.db.leitura() as s:
        operadora = s.scalar(select(Operadora).where(Operadora.codigo == dados.operadora.strip().upper()))
    if operadora is None:
        raise RegraViolada(f"Operadora {dados.operadora!r} não cadastrada.")
    valores = dict(razao_social=dados.razao_social.strip(), nome_sat=dados.nome_sat, cnpj=cnpj,
                   operadora_id=operadora.id, filtro=(dados.filtro or "").strip(),
                   servico=(dados.servico or "").strip(),
                   unidade=(dados.unidade or "").strip(), dados_sat=dados.dados_sat, login_portal=dados.login_portal,
                   cpf=cpf, observacoes=dados.observacoes)
    try:
        with ctx.db.transacao() as s:
            if cliente_id is None:
                cliente = Cliente(**valores)
                s.add(cliente)
                s.flush()
                acao = "CRIAR_CLIENTE"
            else:
                cliente = s.get(Cliente, cliente_id)
                if cliente is None:
                    raise NaoEncontrado(f"Cliente {cliente_id} não existe.")
                for campo, valor in valores.items():
                    setattr(cliente, campo, valor)
                acao = "ALTERAR_CLIENTE"
            auditoria.registrar(s, ator, acao, "clientes", cliente.id,
                                detalhes={"cnpj": cnpj, "operadora": operadora.codigo, "filtro": valores["filtro"]})
            cliente_id = cliente.id
    except IntegrityError:
        raise RegraViolada("Já existe um cliente com esse CNPJ, operadora, filtro, unidade e serviço.") from None
    if nova_senha:
        definir_senha_portal(ctx, ator, cliente_id, nova_senha)
    notificacoes.notificar_sem_credenciais(ctx)
    return cliente_id

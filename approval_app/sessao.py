"""Thin UI helpers shared by the pages: cached context and store, the logged-in actor, messages, Brazilian formats."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import streamlit as st
from pydantic import SecretStr

from beg_pipeline.domain.documentos import formatar_cnpj
from beg_pipeline.domain.perfis import Ator, Permissao, PermissaoNegada
from beg_pipeline.domain.processo import TransicaoInvalida
from beg_pipeline.faturas.validacao_pdf import PdfRecusado
from beg_pipeline.services import autenticacao
from beg_pipeline.services.contexto import Contexto, NaoEncontrado, RegraViolada
from beg_pipeline.settings import Settings, load_settings
from beg_pipeline.storage import ObjectStore, object_store_from_settings

CHAVE_USUARIO = "usuario_id"
_AVISOS = "_avisos"
ERROS_DE_NEGOCIO = (RegraViolada, NaoEncontrado, TransicaoInvalida, PermissaoNegada, ValueError)

STATUS = {
    "AGUARDANDO_DOWNLOAD": "Aguardando download",
    "AGUARDANDO_APROVACAO": "Aguardando aprovação",
    "AGUARDANDO_ENVIO_SAT": "Aguardando envio ao SAT",
    "UPLOAD_REALIZADO": "Enviado ao SAT",
}


def _chave(settings: Settings) -> str:
    """A fingerprint of the configuration: one cached context per distinct configuration (tests change it)."""
    valores = {k: v.get_secret_value() if isinstance(v, SecretStr) else str(v)
               for k, v in settings.model_dump().items()}
    return hashlib.sha256(json.dumps(valores, sort_keys=True).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=4, on_release=lambda ctx: ctx.db.dispose())
def _contexto(_settings: Settings, chave: str) -> Contexto:
    return Contexto(_settings)


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(_settings: Settings, chave: str) -> ObjectStore:
    return object_store_from_settings(_settings)


def contexto() -> Contexto:
    """The Contexto (database engine, vault) shared by every session; never a Session."""
    settings = load_settings()
    return _contexto(settings, _chave(settings))


def store() -> ObjectStore:
    settings = load_settings()
    return _store(settings, _chave(settings))


def hoje() -> dt.date:
    return dt.datetime.now(contexto().settings.tz).date()


def ip_de(cabecalhos: Mapping[str, str], ip_conexao: object) -> str | None:
    """The client's IP: the first ``X-Forwarded-For`` entry (behind the proxy), else ``X-Real-IP``, else the
    socket's."""
    encaminhado = (cabecalhos.get("X-Forwarded-For") or "").split(",")[0].strip()
    ip = encaminhado or (cabecalhos.get("X-Real-IP") or "").strip() or ip_conexao
    return ip[:64] if isinstance(ip, str) and ip else None


def origem() -> tuple[str | None, str | None]:
    """``(ip, user_agent)`` of the current browser session, for the audit trail."""
    cabecalhos = st.context.headers
    user_agent = cabecalhos.get("User-Agent")
    return ip_de(cabecalhos, st.context.ip_address), user_agent[:500] if user_agent else None


def ator() -> Ator | None:
    """The logged-in user, re-read from the database on every call: a deactivated user loses access at once."""
    usuario_id = st.session_state.get(CHAVE_USUARIO)
    if usuario_id is None:
        return None
    atual = autenticacao.ator_atual(contexto(), usuario_id, *origem())
    if atual is None:
        st.session_state.clear()
        avisar("Sua sessão foi encerrada: o usuário foi desativado.", "warning")
    return atual


def exigir_ator() -> Ator:
    atual = ator()
    if atual is None:
        st.stop()
    return atual


def exigir_permissao(permissao: Permissao) -> Ator:
    """The logged-in user if the profile allows ``permissao``; otherwise say so and stop the page."""
    atual = exigir_ator()
    if not atual.pode(permissao):
        st.error(f"O perfil {atual.perfil.value} não permite {permissao.value.lower().replace('_', ' ')}.")
        st.stop()
    return atual


def entrar(novo: Ator) -> None:
    st.session_state.clear()
    st.session_state[CHAVE_USUARIO] = novo.usuario_id


def sair(atual: Ator) -> None:
    autenticacao.registrar_saida(contexto(), atual)
    st.session_state.clear()
    avisar("Você saiu do sistema.", "info")


def avisar(mensagem: str, tipo: str = "success") -> None:
    """A message shown once, at the top of the next run (survives ``st.rerun``)."""
    st.session_state.setdefault(_AVISOS, []).append((tipo, mensagem))


def mostrar_avisos() -> None:
    for tipo, mensagem in st.session_state.pop(_AVISOS, []):
        getattr(st, tipo)(mensagem)


def versao(formulario: str) -> int:
    """A counter to put in a form's or uploader's key: after a successful ``executar(limpar=...)`` it starts over."""
    return st.session_state.get(f"_versao_{formulario}", 0)


def executar(acao: Callable[[], Any], sucesso: str | Callable[[Any], str], *, limpar: str | None = None) -> None:
    """Run a service call: on success remember the message, clear the ``limpar`` form and rerun; on a refusal
    show the service's reason (the services make every write idempotent, so a double click is harmless)."""
    try:
        resultado = acao()
    except PdfRecusado as exc:
        st.error(f"Arquivo recusado: {exc}. Nada foi alterado.")
        return
    except ERROS_DE_NEGOCIO as exc:
        st.error(str(exc))
        return
    if limpar:
        st.session_state[f"_versao_{limpar}"] = versao(limpar) + 1
    avisar(sucesso(resultado) if callable(sucesso) else sucesso)
    st.rerun()


def altura(linhas: int) -> int:
    """Height in pixels of a table that shows all its ``linhas`` rows (no inner scroll bar)."""
    return 35 * (linhas + 1) + 3


def moeda(valor: Decimal | float | None) -> str:
    """``1234.5`` → ``R$ 1.234,50``."""
    if valor is None:
        return "—"
    return "R$ " + f"{Decimal(str(valor)):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def data(dia: dt.date | None) -> str:
    return dia.strftime("%d/%m/%Y") if dia else "—"


def data_hora(momento: dt.datetime | None) -> str:
    return momento.astimezone(contexto().settings.tz).strftime("%d/%m/%Y %H:%M") if momento else "—"


def cnpj(numero: str) -> str:
    return formatar_cnpj(numero) if numero and len(numero) == 14 else numero or "—"


def status(valor: str | None) -> str:
    return STATUS.get(valor or "", valor or "—")

"""Login state of a browser session: who is logged in (re-read on every run), entering, leaving, page guards."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

import streamlit as st

from approval_app.avisos import avisar
from approval_app.recursos import contexto
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.services import autenticacao

CHAVE_USUARIO = "usuario_id"


Redes = Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]


def _endereco(texto: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(texto)
    except ValueError:
        return None


def _confiavel(endereco: ipaddress.IPv4Address | ipaddress.IPv6Address | None, proxies: Redes) -> bool:
    return endereco is not None and any(endereco in rede for rede in proxies)


def ip_de(cabecalhos: Mapping[str, str], ip_conexao: object, proxies: Redes = ()) -> str | None:
    """The client's IP: the socket's, unless the connection comes from a trusted proxy (``BEG_PROXIES_CONFIAVEIS``);
    then the nearest ``X-Forwarded-For`` entry that is not itself a trusted proxy (if it is an IP at all). Any client
    can write that header, so it is never believed from anyone else."""
    proxies = tuple(proxies)
    if not isinstance(ip_conexao, str) or not ip_conexao:
        return None
    ip = ip_conexao
    if _confiavel(_endereco(ip), proxies):
        encaminhados = [_endereco(e.strip()) for e in (cabecalhos.get("X-Forwarded-For") or "").split(",")]
        cliente = next((e for e in reversed(encaminhados) if not _confiavel(e, proxies)), None)
        ip = str(cliente) if cliente else ip
    return ip[:64]


def origem() -> tuple[str | None, str | None]:
    """``(ip, user_agent)`` of the current browser session, for the audit trail."""
    cabecalhos = st.context.headers
    user_agent = cabecalhos.get("User-Agent")
    ip = ip_de(cabecalhos, st.context.ip_address, contexto().settings.proxies_confiaveis)
    return ip, user_agent[:500] if user_agent else None


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

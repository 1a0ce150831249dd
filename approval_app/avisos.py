"""Flash messages (shown once, after the rerun) and running a service call that ends in one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from approval_app.layout import literal
from beg_pipeline.domain.perfis import PermissaoNegada
from beg_pipeline.domain.processo import TransicaoInvalida
from beg_pipeline.faturas.validacao_pdf import PdfRecusado
from beg_pipeline.services.contexto import NaoEncontrado, RegraViolada

_AVISOS = "_avisos"
ERROS_DE_NEGOCIO = (RegraViolada, NaoEncontrado, TransicaoInvalida, PermissaoNegada, ValueError)


def avisar(mensagem: str, tipo: str = "success") -> None:
    """A message shown once, at the top of the next run (survives ``st.rerun``); plain text, never Markdown (it
    carries client names and the services' reasons)."""
    st.session_state.setdefault(_AVISOS, []).append((tipo, mensagem))


def mostrar_avisos() -> None:
    for tipo, mensagem in st.session_state.pop(_AVISOS, []):
        getattr(st, tipo)(literal(mensagem))


def versao(formulario: str) -> int:
    """A counter to put in a form's or uploader's key: after a successful ``executar(limpar=...)`` it starts over."""
    return st.session_state.get(f"_versao_{formulario}", 0)


def executar(acao: Callable[[], Any], sucesso: str | Callable[[Any], str], *, limpar: str | None = None,
             limpar_se_recusado: bool = False) -> None:
    """Run a service call: on success remember the message, clear the ``limpar`` form and rerun; on a refusal
    show the service's reason (the services make every write idempotent, so a double click is harmless).
    ``limpar_se_recusado`` also clears ``limpar`` after a refusal (a refused file must not stay in the uploader)."""
    try:
        resultado = acao()
    except (PdfRecusado, *ERROS_DE_NEGOCIO) as exc:
        motivo = f"Arquivo recusado: {exc}. Nada foi alterado." if isinstance(exc, PdfRecusado) else str(exc)
        if limpar and limpar_se_recusado:
            _limpar(limpar)
            avisar(motivo, "error")
            st.rerun()
        st.error(literal(motivo))
        return
    if limpar:
        _limpar(limpar)
    avisar(sucesso(resultado) if callable(sucesso) else sucesso)
    st.rerun()


def _limpar(formulario: str) -> None:
    st.session_state[f"_versao_{formulario}"] = versao(formulario) + 1

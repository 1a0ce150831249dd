"""Entry point of the approval app: page config, login gate, and the pages the user's profile allows."""

import logging
import uuid

import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain.perfis import Permissao
from beg_pipeline.services import notificacoes
from beg_pipeline.settings import ConfiguracaoInvalida

st.set_page_config(page_title="BEG — Faturas", page_icon=":material/receipt_long:", layout="wide")
st.set_option("client.showErrorDetails", "none")  # a traceback shows SQL and server paths: never to the browser
_log = logging.getLogger("approval_app")


def _erro_inesperado() -> None:
    """Log the current exception in full under a reference; the person sees a short message with the reference."""
    referencia = uuid.uuid4().hex[:8]
    _log.exception("Erro inesperado no aplicativo (referência %s)", referencia)
    st.error(f"Ocorreu um erro inesperado. Tente de novo em instantes; se persistir, informe ao administrador a "
             f"referência **{referencia}**.")


try:
    recursos.contexto()  # a bad configuration stops here, naming the BEG_ variable
    ator = acesso.ator()
except ConfiguracaoInvalida as exc:
    st.error(str(exc))
    st.stop()
except Exception:  # noqa: BLE001 - the database may be unreachable: say so in Portuguese, log the detail
    _erro_inesperado()
    st.stop()


def _pagina(arquivo: str, titulo: str, icone: str, **opcoes) -> st.Page:
    return st.Page(f"app_pages/{arquivo}.py", title=titulo, icon=f":material/{icone}:", url_path=arquivo, **opcoes)


if ator is None:
    navegacao = st.navigation([_pagina("login", "Entrar", "login")], position="hidden")
else:
    aprova = ator.pode(Permissao.APROVAR)
    nao_lidas = sum(not n.lida for n in notificacoes.do_usuario(recursos.contexto(), ator))
    faturas = [_pagina("fila_aprovacao", "Fila de aprovação", "fact_check", default=aprova)]
    if ator.pode(Permissao.UPLOAD_MANUAL):
        faturas.append(_pagina("upload_manual", "Upload manual", "upload_file"))
    faturas += [
        _pagina("processos", "Processos", "list_alt", default=not aprova),
        _pagina("processo_detalhe", "Detalhe do processo", "description", visibility="hidden"),
        _pagina("visao_mensal", "Visão mensal", "monitoring"),
        _pagina("notificacoes", f"Notificações ({nao_lidas})" if nao_lidas else "Notificações", "notifications"),
    ]
    secoes = {"Faturas": faturas}
    if ator.pode(Permissao.GERIR_CADASTROS):
        secoes["Cadastros"] = [_pagina("cadastro_clientes", "Clientes", "business"),
                               _pagina("cadastro_operadoras", "Operadoras", "cell_tower"),
                               _pagina("cadastro_usuarios", "Usuários", "group")]
    secoes["Conta"] = [_pagina("minha_conta", "Minha conta", "person")]
    navegacao = st.navigation(secoes)
    with st.sidebar:
        st.caption(f"Conectado como **{layout.literal(ator.email)}** ({ator.perfil.value.lower()})")
        if st.button("Sair", icon=":material/logout:"):
            acesso.sair(ator)
            st.rerun()

avisos.mostrar_avisos()
try:
    navegacao.run()
except Exception:  # noqa: BLE001 - anything a page did not expect; st.stop/st.rerun are not Exceptions
    _erro_inesperado()

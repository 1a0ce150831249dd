"""Notificações: what needs a person (credentials failures, failed runs, due dates), marked read per user."""

import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.services import notificacoes

ctx, ator = recursos.contexto(), acesso.exigir_ator()
st.title("Notificações")
itens = notificacoes.do_usuario(ctx, ator)
nao_lidas = [i for i in itens if not i.lida]

col_filtro, col_todas = st.columns([3, 1], vertical_alignment="bottom")
mostrar = col_filtro.segmented_control("Mostrar", ["Não lidas", "Todas"], default="Não lidas",
                                       key="notificacoes-filtro")
if nao_lidas and col_todas.button(f"Marcar todas como lidas ({len(nao_lidas)})", key="lidas-todas"):
    avisos.executar(lambda: [notificacoes.marcar_lida(ctx, ator, i.notificacao.id) for i in nao_lidas],
                    "Notificações marcadas como lidas.")

visiveis = itens if mostrar == "Todas" else nao_lidas
if not visiveis:
    st.info("Nenhuma notificação não lida." if mostrar != "Todas" else "Nenhuma notificação.")
for item in visiveis:
    n = item.notificacao
    with st.container(border=True):
        texto, acoes = st.columns([4, 1], vertical_alignment="center")
        texto.markdown(f"{'' if item.lida else ':blue-badge[nova] '}**{layout.literal(n.assunto)}**")
        texto.markdown(layout.literal(n.mensagem))
        texto.caption(formatos.data_hora(n.data_criacao) + (" · lida" if item.lida else ""))
        if n.processo_id and acoes.button("Abrir processo", key=f"abrir-{n.id}"):
            notificacoes.marcar_lida(ctx, ator, n.id)
            st.switch_page("app_pages/processo_detalhe.py", query_params={"id": str(n.processo_id)})
        if not item.lida and acoes.button("Marcar como lida", key=f"lida-{n.id}"):
            avisos.executar(lambda n=n: notificacoes.marcar_lida(ctx, ator, n.id), "Notificação marcada como lida.")

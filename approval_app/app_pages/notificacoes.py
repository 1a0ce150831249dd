"""Notificações: what needs a person (credentials failures, failed runs, due dates), marked read per user; those
whose cause is gone (e.g. the invoice was sent) are under "Resolvidas"."""

import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.services import notificacoes

ctx, ator = recursos.contexto(), acesso.exigir_ator()
st.title("Notificações")
itens = notificacoes.do_usuario(ctx, ator, resolvidas=True)
abertas = [i for i in itens if not i.resolvida]
nao_lidas = [i for i in abertas if not i.lida]

col_filtro, col_todas = st.columns([3, 1], vertical_alignment="bottom")
mostrar = col_filtro.segmented_control("Mostrar", ["Não lidas", "Todas", "Resolvidas"], default="Não lidas",
                                       key="notificacoes-filtro")
if nao_lidas and col_todas.button(f"Marcar todas como lidas ({len(nao_lidas)})", key="lidas-todas"):
    avisos.executar(lambda: [notificacoes.marcar_lida(ctx, ator, i.notificacao.id) for i in nao_lidas],
                    "Notificações marcadas como lidas.")

visiveis = {"Todas": abertas, "Resolvidas": [i for i in itens if i.resolvida]}.get(mostrar, nao_lidas)
if not visiveis:
    st.info({"Todas": "Nenhuma notificação em aberto.", "Resolvidas": "Nenhuma notificação resolvida."}.get(
        mostrar, "Nenhuma notificação não lida."))
for item in visiveis:
    n = item.notificacao
    with st.container(border=True):
        texto, acoes = st.columns([4, 1], vertical_alignment="center")
        texto.markdown(f"{'' if item.lida else ':blue-badge[nova] '}**{layout.literal(n.assunto)}**")
        texto.markdown(layout.literal(n.mensagem))
        texto.caption(formatos.data_hora(n.data_criacao) + (" · lida" if item.lida else "")
                      + (f" · resolvida em {formatos.data_hora(n.data_resolucao)}" if item.resolvida else ""))
        if n.processo_id and acoes.button("Abrir processo", key=f"abrir-{n.id}"):
            notificacoes.marcar_lida(ctx, ator, n.id)
            st.switch_page("app_pages/processo_detalhe.py", query_params={"id": str(n.processo_id)})
        if not item.lida and not item.resolvida and acoes.button("Marcar como lida", key=f"lida-{n.id}"):
            avisos.executar(lambda n=n: notificacoes.marcar_lida(ctx, ator, n.id), "Notificação marcada como lida.")

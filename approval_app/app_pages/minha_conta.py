"""Minha conta: who is logged in, and the password change."""

import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.services import autenticacao

ctx, ator = recursos.contexto(), acesso.exigir_ator()
st.title("Minha conta")
st.markdown(f"**E-mail:** {layout.literal(ator.email)}  \n**Perfil:** {ator.perfil.value}")

with st.form("trocar-senha", clear_on_submit=True):
    st.markdown("**Trocar senha**")
    atual = st.text_input("Senha atual", type="password", autocomplete="current-password")
    nova = st.text_input("Nova senha", type="password", autocomplete="new-password", help="Pelo menos 10 caracteres.")
    confirmacao = st.text_input("Confirme a nova senha", type="password", autocomplete="new-password")
    if st.form_submit_button("Trocar senha", type="primary"):
        if nova != confirmacao:
            st.error("A nova senha e a confirmação não conferem.")
        else:
            avisos.executar(lambda: autenticacao.trocar_senha(ctx, ator, atual, nova), "Senha alterada.")

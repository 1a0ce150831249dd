"""Login with e-mail and password (argon2id; locked for 15 minutes after 5 failures)."""

import streamlit as st

from approval_app import acesso, recursos
from beg_pipeline.services import autenticacao

st.title("BEG — Aprovação de faturas")
ctx = recursos.contexto()
if not autenticacao.existe_usuario(ctx):
    st.info("Nenhum usuário cadastrado. Crie o primeiro com `beg usuarios criar --perfil ADMINISTRADOR`.")

with st.form("login"):
    email = st.text_input("E-mail", autocomplete="username")
    senha = st.text_input("Senha", type="password", autocomplete="current-password")
    if st.form_submit_button("Entrar", type="primary"):
        try:
            ator = autenticacao.autenticar(ctx, email, senha, *acesso.origem())
        except autenticacao.LoginRecusado as exc:
            st.error(str(exc))
        else:
            acesso.entrar(ator)
            st.rerun()

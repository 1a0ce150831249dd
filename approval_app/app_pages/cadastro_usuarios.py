"""Cadastro de usuários (ADMINISTRADOR): create, change profile, deactivate, reset password."""

import pandas as pd
import streamlit as st

from approval_app import acesso, avisos, recursos
from beg_pipeline.domain.perfis import PERFIS_DE_PESSOAS, Permissao
from beg_pipeline.services import cadastros

PERFIS = [p.value for p in PERFIS_DE_PESSOAS]

ctx = recursos.contexto()
st.title("Usuários")
ator = acesso.exigir_permissao(Permissao.GERIR_CADASTROS)

usuarios = {u.id: u for u in cadastros.listar_usuarios(ctx, ator)}
st.dataframe(pd.DataFrame([{"Nome": u.nome_completo, "E-mail": u.email, "Perfil": u.perfil.value,
                            "Ativo": u.status_ativo} for u in usuarios.values()]), hide_index=True)

with st.expander("Novo usuário"), st.form("usuario-novo", clear_on_submit=True):
    a, b = st.columns(2)
    nome = a.text_input("Nome completo")
    email = b.text_input("E-mail")
    perfil = a.selectbox("Perfil", PERFIS, index=PERFIS.index("OPERADOR"))
    telefone = b.text_input("Telefone (notificações)")
    senha = a.text_input("Senha inicial", type="password", autocomplete="new-password")
    confirmacao = b.text_input("Confirme a senha", type="password", autocomplete="new-password")
    if st.form_submit_button("Criar usuário", type="primary"):
        if senha != confirmacao:
            st.error("As senhas não conferem.")
        else:
            avisos.executar(lambda: cadastros.criar_usuario(ctx, ator, email=email, nome=nome, perfil=perfil,
                                                            senha=senha, telefone=telefone or None),
                            f"Usuário {email.strip().lower()} criado.")

escolha = st.selectbox("Alterar usuário", list(usuarios),
                       format_func=lambda i: f"{usuarios[i].nome_completo} <{usuarios[i].email}>")
usuario = usuarios[escolha]
proprio = escolha == ator.usuario_id
col_perfil, col_senha = st.columns(2)
with col_perfil, st.form(f"usuario-{escolha}"):
    st.markdown("**Perfil e acesso**")
    novo_perfil = st.selectbox("Perfil", PERFIS, index=PERFIS.index(usuario.perfil.value), disabled=proprio)
    ativo = st.checkbox("Ativo", usuario.status_ativo, disabled=proprio)
    if proprio:
        st.caption("Você não pode mudar o perfil nem desativar a própria conta.")
    if st.form_submit_button("Salvar usuário", type="primary", disabled=proprio):
        avisos.executar(lambda: cadastros.alterar_usuario(ctx, ator, escolha, perfil=novo_perfil, status_ativo=ativo),
                        f"Usuário {usuario.email} salvo.")
with col_senha, st.form(f"senha-{escolha}", clear_on_submit=True):
    st.markdown("**Redefinir senha** (também desbloqueia a conta)")
    nova = st.text_input("Nova senha", type="password", autocomplete="new-password")
    repetida = st.text_input("Confirme a nova senha", type="password", autocomplete="new-password")
    if st.form_submit_button("Redefinir senha"):
        if nova != repetida:
            st.error("As senhas não conferem.")
        else:
            avisos.executar(lambda: cadastros.alterar_usuario(ctx, ator, escolha, nova_senha=nova),
                            f"Senha de {usuario.email} redefinida.")

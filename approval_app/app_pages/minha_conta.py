"""Minha conta: who is logged in, the password change, and which notifications go out by e-mail (administrators
also set the channels of each profile)."""

import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain.perfis import PERFIS_DE_PESSOAS, Permissao
from beg_pipeline.services import autenticacao, envios_notificacao
from beg_pipeline.services.canais_notificacao import EMAIL, WEBHOOK

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

st.subheader("Notificações fora do aplicativo")
with st.form("preferencias-notificacao"):
    eu = str(ator.usuario_id)
    receber = st.toggle("Receber notificações por e-mail", key="pref-email",
                        value=EMAIL not in envios_notificacao.canais_desligados(ctx, envios_notificacao.USUARIO, eu))
    perfis = {}
    if ator.pode(Permissao.GERIR_CADASTROS):
        st.caption("Canais por perfil (valem para todos os usuários do perfil; webhooks vão aos canais da equipe).")
        for perfil in PERFIS_DE_PESSOAS:
            desligados = envios_notificacao.canais_desligados(ctx, envios_notificacao.PERFIL, perfil.value)
            email_col, webhook_col = st.columns(2)
            perfis[perfil.value] = {
                EMAIL: email_col.toggle(f"{perfil.value}: e-mail", value=EMAIL not in desligados,
                                        key=f"pref-{perfil.value}-email"),
                WEBHOOK: webhook_col.toggle(f"{perfil.value}: webhook", value=WEBHOOK not in desligados,
                                            key=f"pref-{perfil.value}-webhook")}
    if st.form_submit_button("Salvar preferências"):
        def salvar() -> None:
            envios_notificacao.definir_canal(ctx, ator, envios_notificacao.USUARIO, eu, EMAIL, receber)
            for perfil, canais in perfis.items():
                for canal, ligado in canais.items():
                    envios_notificacao.definir_canal(ctx, ator, envios_notificacao.PERFIL, perfil, canal, ligado)

        avisos.executar(salvar, "Preferências de notificação salvas.")

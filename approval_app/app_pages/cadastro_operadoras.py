"""Cadastro de operadoras (ADMINISTRADOR): active or not, with or without a download robot."""

import pandas as pd
import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain.perfis import Permissao
from beg_pipeline.services import cadastros

ctx = recursos.contexto()
st.title("Operadoras")
ator = acesso.exigir_permissao(Permissao.GERIR_CADASTROS)

operadoras = {o.id: o for o in cadastros.listar_operadoras(ctx, ator)}
st.dataframe(pd.DataFrame([{
    "Código": o.codigo, "Nome": o.nome, "Ativa": o.status_ativo, "Possui robô": o.possui_rpa,
    "Portal": o.url_portal or "",
} for o in operadoras.values()], columns=["Código", "Nome", "Ativa", "Possui robô", "Portal"]), hide_index=True)
st.caption("Sem robô, as faturas da operadora chegam por upload manual.")

if operadoras:
    escolha = st.selectbox("Alterar", list(operadoras),
                           format_func=lambda i: f"{operadoras[i].codigo} — {operadoras[i].nome}")
    operadora = operadoras[escolha]
    with st.form(f"operadora-{escolha}"):
        ativa = st.checkbox("Ativa", operadora.status_ativo)
        possui_rpa = st.checkbox("Possui robô de download", operadora.possui_rpa)
        if st.form_submit_button("Salvar operadora", type="primary"):
            avisos.executar(lambda: cadastros.alterar_operadora(ctx, ator, escolha, possui_rpa=possui_rpa,
                                                                status_ativo=ativa),
                            f"Operadora {operadora.codigo} salva.")

with st.expander("Nova operadora"), st.form("operadora-nova", clear_on_submit=True):
    codigo = st.text_input("Código", placeholder="ex.: CLARO")
    nome = st.text_input("Nome", placeholder="ex.: Claro")
    url_portal = st.text_input("Portal de faturas (URL)")
    possui_rpa = st.checkbox("Possui robô de download")
    if st.form_submit_button("Cadastrar operadora"):
        if not codigo.strip():
            st.error("Informe o código da operadora.")
        elif codigo.strip().upper() in {o.codigo for o in operadoras.values()}:
            st.error(layout.literal(f"A operadora {codigo.strip().upper()} já está cadastrada."))
        else:
            avisos.executar(lambda: cadastros.garantir_operadora(ctx, ator, codigo, nome=nome.strip() or None,
                                                                 possui_rpa=possui_rpa, url_portal=url_portal or None),
                            f"Operadora {codigo.strip().upper()} cadastrada.")

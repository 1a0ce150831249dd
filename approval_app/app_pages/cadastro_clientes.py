"""Cadastro de clientes (ADMINISTRADOR): search, edit (the portal password is write-only), activate, CSV import."""

import pandas as pd
import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.domain.cadastro import ROTULO_SEM_CREDENCIAIS
from beg_pipeline.domain.perfis import Permissao
from beg_pipeline.services import cadastros, consultas
from beg_pipeline.services.importacao_clientes import COLUNAS, ArquivoInvalido, importar_clientes, modelo_csv

NOVO = "novo"
POR_PAGINA = 50

ctx = recursos.contexto()
st.title("Clientes")
ator = acesso.exigir_permissao(Permissao.GERIR_CADASTROS)

aba_clientes, aba_importar = st.tabs(["Clientes", "Importar planilha"])
with aba_clientes:
    col_texto, col_pagina = st.columns([4, 1])
    texto = col_texto.text_input("Buscar", placeholder="Razão social, CNPJ ou número da conta")
    numero = col_pagina.number_input("Página", min_value=1, step=1, key=f"clientes-pagina-{texto}")
    pagina = consultas.buscar_clientes(ctx, ator, texto=texto, pagina=numero, por_pagina=POR_PAGINA)
    st.caption(f"{pagina.total} cliente(s) · página {numero} de {pagina.paginas}")
    st.dataframe(pd.DataFrame([{
        "Razão social": linha["razao_social"], "CNPJ": formatos.cnpj(linha["cnpj"]), "Operadora": linha["operadora"],
        "Conta (filtro)": linha["filtro"], "Unidade": linha["unidade"], "Serviço": linha["servico"],
        "Login do portal": linha["login_portal"] or "", "Senha cadastrada": "sim" if linha["tem_senha"] else "não",
        "Robô": ROTULO_SEM_CREDENCIAIS if linha["sem_credenciais"] else ("sim" if linha["possui_rpa"] else "não"),
        "Ativo": linha["status_ativo"],
    } for linha in pagina.linhas]), hide_index=True, height=layout.altura(len(pagina.linhas)))

    linhas = {linha["id"]: linha for linha in pagina.linhas}
    escolha = st.selectbox("Editar", [NOVO, *linhas], format_func=lambda i: "+ Novo cliente" if i == NOVO else
                           f"{linhas[i]['razao_social']} · {linhas[i]['operadora']} · {linhas[i]['filtro']}")
    cliente = None if escolha == NOVO else consultas.obter_cliente(ctx, ator, escolha)
    operadoras = [o.codigo for o in cadastros.listar_operadoras(ctx, ator)]
    with st.form(f"cliente-{escolha}-{avisos.versao('cliente')}"):
        a, b = st.columns(2)
        razao_social = a.text_input("Razão social", cliente.razao_social if cliente else "")
        cnpj = b.text_input("CNPJ", formatos.cnpj(cliente.cnpj) if cliente else "")
        codigo = a.selectbox("Operadora", operadoras,
                             index=operadoras.index(cliente.operadora.codigo) if cliente else 0)
        filtro = b.text_input("Conta / filtro", cliente.filtro if cliente else "",
                              help="Número da conta que o robô procura no portal; opcional.")
        unidade = a.text_input("Unidade", cliente.unidade if cliente else "")
        servico = b.text_input("Serviço", cliente.servico if cliente else "")
        nome_sat = a.text_input("Nome no SAT", (cliente.nome_sat or "") if cliente else "")
        dados_sat = b.text_input("Dados SAT", (cliente.dados_sat or "") if cliente else "")
        login_portal = a.text_input("Login do portal", (cliente.login_portal or "") if cliente else "")
        nova_senha = b.text_input("Senha do portal", type="password", autocomplete="new-password",
                                  help="A senha cadastrada nunca é exibida; deixe em branco para mantê-la.")
        cpf = a.text_input("CPF", (cliente.cpf or "") if cliente else "")
        observacoes = st.text_area("Observações", (cliente.observacoes or "") if cliente else "")
        if st.form_submit_button("Salvar cliente", type="primary"):
            dados = cadastros.DadosCliente(
                razao_social=razao_social, cnpj=cnpj, operadora=codigo or "", filtro=filtro, nome_sat=nome_sat or None,
                servico=servico, unidade=unidade, dados_sat=dados_sat or None, login_portal=login_portal or None,
                cpf=cpf or None, observacoes=observacoes or None)
            avisos.executar(lambda: cadastros.salvar_cliente(ctx, ator, None if cliente is None else cliente.id, dados,
                                                             nova_senha or None),
                            f"Cliente {razao_social.strip()} salvo.", limpar="cliente")
    if cliente is not None:
        rotulo = "Desativar cliente" if cliente.status_ativo else "Ativar cliente"
        if st.button(rotulo, key=f"status-{cliente.id}"):
            avisos.executar(lambda: cadastros.alterar_status_cliente(ctx, ator, cliente.id, not cliente.status_ativo),
                            f"Cliente {cliente.razao_social} {'desativado' if cliente.status_ativo else 'ativado'}.")

with aba_importar:
    st.caption("A planilha exportada pela BEG (CSV, separado por vírgula ou ponto e vírgula): cada linha é validada; "
               "as inválidas e as prováveis duplicatas de clientes já cadastrados são relatadas, as boas gravadas.")
    st.markdown("**Colunas** (nesta ordem; RAZÃO SOCIAL, CNPJ, OPERADORA e FILTRO são obrigatórias): "
                + ", ".join(layout.literal(c) for c in COLUNAS))
    st.download_button("Baixar planilha modelo (CSV)", modelo_csv(), file_name="clientes-modelo.csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:")
    # no type= filter: Streamlit would refuse other extensions in English; the import reads the content and says why
    arquivo = st.file_uploader("Planilha de clientes (CSV)", max_upload_size=ctx.settings.max_upload_mb)
    simular = st.checkbox("Apenas simular (não grava nada)", value=True)
    if st.button("Importar", type="primary", disabled=arquivo is None):
        try:
            relatorio = importar_clientes(ctx, ator, arquivo.getvalue(), dry_run=simular)
        except ArquivoInvalido as exc:
            st.error(layout.literal(f"{exc} Nada foi gravado."))
            st.stop()
        resumo = relatorio.resumo()
        (st.warning if relatorio.rejeitados or relatorio.provaveis_duplicados else st.success)(
            layout.literal(resumo.splitlines()[0]))
        st.dataframe(pd.DataFrame(relatorio.tabela_operadoras()), hide_index=True)
        st.code(resumo, language=None)

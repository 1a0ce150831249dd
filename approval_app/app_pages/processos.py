"""Processos: a searchable, paginated list (paged in the database); a row opens the process detail."""

import pandas as pd
import streamlit as st

from approval_app import acesso, layout, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.services import cadastros, consultas

TODOS = "Todos"
POR_PAGINA = 50

ctx, ator = recursos.contexto(), acesso.exigir_ator()
st.title("Processos")
col_texto, col_mes, col_status, col_operadora = st.columns([2, 1, 1, 1])
texto = col_texto.text_input("Buscar", placeholder="Razão social, CNPJ ou número da conta")
mes = col_mes.selectbox("Mês", [TODOS, *consultas.meses_com_processos(ctx)])
status = col_status.selectbox("Situação", [TODOS, *(s.value for s in formatos.STATUS_PROCESSO)],
                              format_func=formatos.status_processo)
operadora = col_operadora.selectbox("Operadora", [TODOS, *(o.codigo for o in cadastros.listar_operadoras(ctx, ator))])
filtros = dict(texto=texto, mes_ano=None if mes == TODOS else mes, status=None if status == TODOS else status,
               operadora=None if operadora == TODOS else operadora)

chave_filtros = hash(tuple(filtros.values()))
numero = st.session_state.get(f"pagina-{chave_filtros}", 1)
pagina = consultas.buscar_processos(ctx, ator, **filtros, pagina=numero, por_pagina=POR_PAGINA)
if not pagina.total:
    st.info("Nenhum processo encontrado.")
    st.stop()

tabela = pd.DataFrame([{
    "Cliente": linha["cliente"], "CNPJ": formatos.cnpj(linha["cnpj"]), "Operadora": linha["operadora"],
    "Mês": linha["mes_ano"],
    "Situação": formatos.status_processo(linha["status_processo"])
    + (f" ({linha['pendencia']})" if linha["pendencia"] else ""),
    "Valor": formatos.moeda(linha["valor_fatura"]),
    "Vencimento": formatos.data(linha["data_vencimento"]), "Tentativas": linha["tentativas_download"],
    "Última falha": linha["classe_ultima_falha"] or "",
} for linha in pagina.linhas])
st.caption("Marque a caixa à esquerda de uma linha para abrir o processo.")
evento = st.dataframe(tabela, hide_index=True, on_select="rerun", selection_mode="single-row",
                      key=f"processos-{chave_filtros}-{numero}", height=layout.altura(len(tabela)),
                      column_config={"Cliente": st.column_config.TextColumn(width=300),
                                     "Situação": st.column_config.TextColumn(width=180),
                                     "Valor": st.column_config.TextColumn(width=110, alignment="right")})
col_pagina, col_total = st.columns([1, 4], vertical_alignment="bottom")
col_pagina.number_input("Página", min_value=1, max_value=pagina.paginas, step=1, key=f"pagina-{chave_filtros}")
col_total.caption(f"{pagina.total} processo(s) · página {pagina.pagina} de {pagina.paginas}")
if evento.selection.rows:
    escolhido = pagina.linhas[evento.selection.rows[0]]["id"]
    st.switch_page("app_pages/processo_detalhe.py", query_params={"id": str(escolhido)})

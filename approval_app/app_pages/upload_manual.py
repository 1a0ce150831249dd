"""Upload manual: a person sends the invoice PDF of a process still waiting for its download."""

import uuid

import streamlit as st

from approval_app import acesso, avisos, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.domain.perfis import Permissao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.services import consultas, upload_manual

TODOS = "Todos"
LIMITE_LISTA = 200
FALHAS = {"CREDENCIAIS": "senha do portal recusada", "NAO_PUBLICADA": "fatura ainda não publicada",
          "TRANSITORIA": "falha temporária do robô"}

ctx, store, ator = recursos.contexto(), recursos.store(), acesso.exigir_ator()
st.title("Upload manual de fatura")
if not ator.pode(Permissao.UPLOAD_MANUAL):
    st.error(f"O perfil {ator.perfil.value} não envia faturas manualmente.")
    st.stop()
st.caption(f"Para operadoras sem robô ou clientes com a senha do portal errada. Só PDFs de verdade, até "
           f"{ctx.settings.max_upload_mb} MB, sem JavaScript, ações automáticas ou arquivos embutidos.")

col_mes, col_texto = st.columns([1, 2])
mes = col_mes.selectbox("Mês", [TODOS, *consultas.meses_com_processos(ctx)])
texto = col_texto.text_input("Cliente", placeholder="Razão social, CNPJ ou número da conta")
pagina = consultas.buscar_processos(ctx, ator, texto=texto, mes_ano=None if mes == TODOS else mes,
                                    status=StatusProcesso.AGUARDANDO_DOWNLOAD.value, por_pagina=LIMITE_LISTA)
if not pagina.linhas:
    st.info("Nenhum processo aguardando download com esses filtros.")
    st.stop()
if pagina.total > len(pagina.linhas):
    st.caption(f"Mostrando {len(pagina.linhas)} de {pagina.total} processos: refine a busca.")

linhas = {linha["id"]: linha for linha in pagina.linhas}
pedido = st.query_params.get("processo")
ids = list(linhas)
indice = next((n for n, i in enumerate(ids) if str(i) == pedido), 0)


def _rotulo(processo_id: uuid.UUID) -> str:
    linha = linhas[processo_id]
    falha = linha["pendencia"] or FALHAS.get(linha["classe_ultima_falha"] or "")
    return (f"{linha['cliente']} · {linha['operadora']} · {linha['mes_ano']} · "
            f"{linha['tentativas_download']} tentativa(s)" + (f" · {falha}" if falha else ""))


processo_id = st.selectbox("Processo aguardando download", ids, index=indice, format_func=_rotulo)
# no type= filter: Streamlit would refuse a PDF named .txt in English; the service checks the bytes and says why
arquivo = st.file_uploader("Fatura em PDF", key=f"upload-{avisos.versao('upload')}",
                           max_upload_size=ctx.settings.max_upload_mb)
if st.button("Enviar fatura", type="primary", disabled=arquivo is None, icon=":material/upload:"):
    avisos.executar(
        lambda: upload_manual.enviar_fatura_manual(ctx, ator, store, processo_id, arquivo.getvalue(), arquivo.name),
        lambda fatura: f"Fatura de {linhas[processo_id]['cliente']} enviada "
                       f"(valor lido: {formatos.moeda(fatura.valor)}, vencimento: {formatos.data(fatura.vencimento)}); "
                       "o processo agora aguarda aprovação.",
        limpar="upload", limpar_se_recusado=True)

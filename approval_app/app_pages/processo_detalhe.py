"""Detalhe do processo: fields, the PDF, the executions with their robot logs, the audit trail; retry a download."""

import json
import uuid

import pandas as pd
import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.domain.perfis import Permissao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.domain.sinais import texto_rejeicao
from beg_pipeline.services import cadastros, consultas, faturas_armazenadas, processos
from beg_pipeline.services.aprovacoes import PREFIXO_REJEICAO
from beg_pipeline.services.contexto import NaoEncontrado
from beg_pipeline.storage import ObjetoNaoEncontrado

ctx, store, ator = recursos.contexto(), recursos.store(), acesso.exigir_ator()
st.page_link("app_pages/processos.py", label="Voltar aos processos", icon=":material/arrow_back:")
try:
    processo_id = uuid.UUID(st.query_params.get("id", ""))
    detalhe = consultas.detalhe_processo(ctx, ator, processo_id)
except (ValueError, NaoEncontrado):
    st.info("Escolha um processo na lista de processos.")
    st.stop()
p, cliente, operadora = detalhe.processo, detalhe.cliente, detalhe.operadora

st.title(cliente.razao_social)
st.caption(f"CNPJ {formatos.cnpj(cliente.cnpj)} · {operadora.nome} · conta {cliente.filtro} · {p.mes_ano}")
st.badge(formatos.status_processo(p.status_processo), icon=":material/flag:")
m1, m2, m3 = st.columns(3)
m1.metric("Valor", formatos.moeda(p.valor_fatura))
m2.metric("Vencimento", formatos.data(p.data_vencimento))
m3.metric("Tentativas de download", p.tentativas_download)
aguarda_aprovacao = p.status_processo == StatusProcesso.AGUARDANDO_APROVACAO.value
if p.observacoes and (p.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value
                      or not p.observacoes.startswith(PREFIXO_REJEICAO)):
    st.info(p.observacoes)  # a rejection's note only while the process waits for a new invoice: then it is history
if detalhe.sinais and aguarda_aprovacao:
    for bloqueio in detalhe.sinais.bloqueios:
        st.error(f"Bloqueio: {bloqueio.texto}. A aprovação exige justificativa.", icon=":material/block:")
for a in detalhe.trilha:
    if a.acao == "APROVAR" and (a.detalhes or {}).get("justificativa"):
        st.warning(f"Aprovada apesar de bloqueio ({'; '.join(a.detalhes.get('bloqueios', []))}) por {a.ator} em "
                   f"{formatos.data_hora(a.data)}. Justificativa: {a.detalhes['justificativa']}",
                   icon=":material/gavel:")
if detalhe.sinais and detalhe.sinais.rejeitada_antes and p.status_processo != StatusProcesso.AGUARDANDO_DOWNLOAD.value:
    st.caption(f"Rejeição anterior: fatura {texto_rejeicao(detalhe.sinais.rejeitada_antes)}")

if p.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value:
    col_tentar, col_upload, _ = st.columns([1, 1, 2])
    if ator.pode(Permissao.REENVIAR_DOWNLOAD) and col_tentar.button(
            "Liberar nova tentativa de download", icon=":material/replay:", key=f"tentar-{p.id}"):
        avisos.executar(lambda: processos.liberar_nova_tentativa(ctx, ator, p.id),
                        "Tentativas zeradas: o robô baixará a fatura na próxima execução.")
    if ator.pode(Permissao.UPLOAD_MANUAL) and col_upload.button("Enviar o PDF manualmente",
                                                                icon=":material/upload_file:"):
        st.switch_page("app_pages/upload_manual.py", query_params={"processo": str(p.id)})

usuarios = cadastros.emails_dos_usuarios(ctx, ator, [p.aprovado_por_usuario_id, p.upload_manual_por_usuario_id,
                                                     *(e.executado_por_usuario_id for e in detalhe.execucoes)])
aba_dados, aba_pdf, aba_execucoes, aba_auditoria = st.tabs(
    ["Dados", "Fatura (PDF)", f"Execuções ({len(detalhe.execucoes)})", f"Auditoria ({len(detalhe.trilha)})"])

with aba_dados:
    st.dataframe(pd.DataFrame({"Campo": [
        "Cliente", "CNPJ", "Operadora", "Conta (filtro)", "Unidade", "Serviço", "Mês", "Situação", "Valor",
        "Vencimento",
        "Aprovada por", "Aprovada em", "Enviada ao SAT em", "Upload manual", "Arquivo", "SHA-256 do PDF",
        "Última falha", "Criado em", "Atualizado em"], "Valor": [
        cliente.razao_social, formatos.cnpj(cliente.cnpj), operadora.nome, cliente.filtro, cliente.unidade or "—",
        cliente.servico or "—", p.mes_ano, formatos.status_processo(p.status_processo), formatos.moeda(p.valor_fatura),
        formatos.data(p.data_vencimento), usuarios.get(p.aprovado_por_usuario_id, "—"),
        formatos.data_hora(p.data_aprovacao),
        formatos.data_hora(p.data_envio_sat),
        f"sim, por {usuarios.get(p.upload_manual_por_usuario_id, '?')} em {formatos.data_hora(p.data_upload_manual)}"
        if p.upload_manual else "não", p.fatura_filename or "—", p.fatura_sha256 or "—", p.classe_ultima_falha or "—",
        formatos.data_hora(p.data_criacao), formatos.data_hora(p.data_atualizacao)]}), hide_index=True,
        height=layout.altura(19))

with aba_pdf:
    try:
        pdf = faturas_armazenadas.pdf_da_fatura(ctx, ator, store, p.id)
    except ObjetoNaoEncontrado:
        st.error("O PDF desta fatura não foi encontrado no armazenamento.")
    else:
        if pdf:
            st.download_button("Baixar PDF", pdf, file_name=p.fatura_filename or f"fatura-{p.id}.pdf",
                               mime="application/pdf", on_click="ignore", icon=":material/download:")
            st.pdf(pdf, height=720, key=f"pdf-{p.id}")
        else:
            st.info("Ainda não há fatura para este processo.")

with aba_execucoes:
    if not detalhe.execucoes:
        st.info("Nenhuma execução registrada.")
    for e in detalhe.execucoes:
        tipo, situacao = (formatos.rotulo(e.tipo_execucao, formatos.TIPO_EXECUCAO),
                          formatos.rotulo(e.status_execucao, formatos.STATUS_EXECUCAO))
        with st.expander(f"{formatos.data_hora(e.data_inicio)} · {tipo} nº {e.numero_tentativa} · {situacao}",
                         expanded=e is detalhe.execucoes[0]):
            partes = [f"Início: {formatos.data_hora(e.data_inicio)}", f"Fim: {formatos.data_hora(e.data_fim)}"]
            if e.job_id:
                partes.append(f"Job do robô: `{e.job_id}`")
            if e.classe_falha:
                partes.append(f"Classe da falha: {e.classe_falha}")
            if e.executado_por_usuario_id:
                partes.append(f"Por: {usuarios.get(e.executado_por_usuario_id, '?')} (IP {e.ip_origem or '—'})")
            st.markdown(" · ".join(partes))
            if e.user_agent:
                st.caption(f"Navegador: {e.user_agent}")
            if e.detalhes_erro:
                st.error(e.detalhes_erro.get("mensagem") or json.dumps(e.detalhes_erro, ensure_ascii=False))
            st.code(e.mensagem_log or "(sem log do robô)", language=None)

with aba_auditoria:
    st.dataframe(pd.DataFrame([{
        "Data": formatos.data_hora(a.data), "Ação": a.acao, "Quem": a.ator, "Perfil": a.perfil, "IP": a.ip_origem or "",
        "Detalhes": json.dumps(a.detalhes, ensure_ascii=False) if a.detalhes else "",
    } for a in detalhe.trilha], columns=["Data", "Ação", "Quem", "Perfil", "IP", "Detalhes"]), hide_index=True)

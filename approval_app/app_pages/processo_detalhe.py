"""Detalhe do processo: fields, the PDF, the executions with their robot logs, the audit trail; and the actions
that move it forward by profile (retry or run a download now, correct the invoice, undo an approval, mark it sent
to SAT, cancel a robot job)."""

import uuid
from decimal import Decimal

import pandas as pd
import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.domain.perfis import Permissao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.domain.sinais import texto_rejeicao
from beg_pipeline.services import acoes_processo, cadastros, consultas, faturas_armazenadas, processos
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

st.title(layout.literal(cliente.razao_social))
st.caption(layout.literal(f"CNPJ {formatos.cnpj(cliente.cnpj)} · {operadora.codigo} · conta {cliente.filtro or '—'} · "
                          f"{p.mes_ano}"))
st.badge(formatos.status_processo(p.status_processo), icon=":material/flag:")
m1, m2, m3 = st.columns(3)
m1.metric("Valor", formatos.moeda(p.valor_fatura))
m2.metric("Vencimento", formatos.data(p.data_vencimento))
m3.metric("Tentativas de download", p.tentativas_download)
aguarda_aprovacao = p.status_processo == StatusProcesso.AGUARDANDO_APROVACAO.value
if p.observacoes and (p.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value
                      or not p.observacoes.startswith(PREFIXO_REJEICAO)):
    st.info(layout.literal(p.observacoes))  # a rejection's note only while the process waits for a new invoice
if detalhe.sinais and aguarda_aprovacao:
    for bloqueio in detalhe.sinais.bloqueios:
        st.error(layout.literal(f"Bloqueio: {bloqueio.texto}. A aprovação exige justificativa."),
                 icon=":material/block:")
for a in detalhe.trilha:
    if a.acao == "APROVAR" and (a.detalhes or {}).get("justificativa"):
        st.warning(layout.literal(
            f"Aprovada apesar de bloqueio ({'; '.join(a.detalhes.get('bloqueios', []))}) por {a.ator} em "
            f"{formatos.data_hora(a.data)}. Justificativa: {a.detalhes['justificativa']}"), icon=":material/gavel:")
if detalhe.sinais and detalhe.sinais.rejeitada_antes and p.status_processo != StatusProcesso.AGUARDANDO_DOWNLOAD.value:
    st.caption(layout.literal(f"Rejeição anterior: fatura {texto_rejeicao(detalhe.sinais.rejeitada_antes)}"))


def _lancado(run: acoes_processo.RunLancado) -> str:
    return f"Execução iniciada no Dagster: [abrir a run {run.run_id[:8]}]({run.url})."


AGORA = {StatusProcesso.AGUARDANDO_DOWNLOAD.value: (acoes_processo.Etapa.BAIXAR, "Baixar agora", ":material/download:"),
         StatusProcesso.AGUARDANDO_ENVIO_SAT.value: (acoes_processo.Etapa.ENVIAR_SAT, "Enviar ao SAT agora",
                                                     ":material/send:")}
corrigivel = p.status_processo in (StatusProcesso.AGUARDANDO_APROVACAO.value, StatusProcesso.AGUARDANDO_ENVIO_SAT.value)
aprovada = p.status_processo == StatusProcesso.AGUARDANDO_ENVIO_SAT.value
aguardando = p.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value
if (p.status_processo in AGORA and ator.pode(Permissao.EXECUTAR_AGORA)) or (
        corrigivel and ator.pode(Permissao.CORRIGIR_FATURA)) or (
        aprovada and (ator.pode(Permissao.DESFAZER_APROVACAO) or ator.pode(Permissao.MARCAR_ENVIADO_SAT))) or (
        aguardando and (ator.pode(Permissao.REENVIAR_DOWNLOAD) or ator.pode(Permissao.UPLOAD_MANUAL))):
    st.subheader("Ações")
if aguardando:
    col_tentar, col_upload, _ = st.columns([1, 1, 2])
    if ator.pode(Permissao.REENVIAR_DOWNLOAD) and col_tentar.button(
            "Liberar nova tentativa de download", icon=":material/replay:", key=f"tentar-{p.id}"):
        avisos.executar(lambda: processos.liberar_nova_tentativa(ctx, ator, p.id),
                        "Tentativas zeradas: o robô baixará a fatura na próxima execução.")
    if ator.pode(Permissao.UPLOAD_MANUAL) and col_upload.button("Enviar o PDF manualmente",
                                                                icon=":material/upload_file:"):
        st.switch_page("app_pages/upload_manual.py", query_params={"processo": str(p.id)})
if p.status_processo in AGORA and ator.pode(Permissao.EXECUTAR_AGORA):
    etapa, rotulo, icone = AGORA[p.status_processo]
    if st.button(rotulo, icon=icone, key=f"agora-{p.id}", help="Inicia no Dagster uma execução só deste processo"):
        avisos.executar(lambda: acoes_processo.executar_agora(ctx, ator, p.id, etapa), _lancado)
if corrigivel and ator.pode(Permissao.CORRIGIR_FATURA):
    with (st.expander("Corrigir valor e vencimento", icon=":material/edit:",
                      expanded=p.valor_fatura is None or p.data_vencimento is None),
          st.form(f"corrigir-{p.id}", clear_on_submit=True)):
        valor = st.number_input("Valor (R$)", min_value=0.0, step=0.01, format="%.2f",
                                value=float(p.valor_fatura) if p.valor_fatura is not None else None)
        vencimento = st.date_input("Vencimento", value=p.data_vencimento, format="DD/MM/YYYY")
        motivo = st.text_area("Motivo da correção", placeholder="Obrigatório: por que o valor ou a data mudam?")
        if st.form_submit_button("Salvar correção", icon=":material/save:"):
            avisos.executar(lambda: acoes_processo.corrigir_fatura(
                ctx, ator, p.id, None if valor is None else Decimal(f"{valor:.2f}"), vencimento, motivo),
                "Fatura corrigida.")
if aprovada and ator.pode(Permissao.DESFAZER_APROVACAO):
    with st.expander("Desfazer a aprovação", icon=":material/undo:"), st.form(f"desfazer-{p.id}", clear_on_submit=True):
        st.caption("Possível até o robô começar o envio ao SAT; a fatura volta à fila de aprovação.")
        motivo = st.text_area("Motivo para desfazer", placeholder="Obrigatório")
        if st.form_submit_button("Desfazer aprovação", icon=":material/undo:"):
            avisos.executar(lambda: acoes_processo.desfazer_aprovacao(ctx, ator, p.id, motivo),
                            "Aprovação desfeita: a fatura voltou à fila de aprovação.")
if aprovada and ator.pode(Permissao.MARCAR_ENVIADO_SAT):
    with (st.expander("Marcar como enviada ao SAT", icon=":material/task_alt:"),
          st.form(f"marcar-{p.id}", clear_on_submit=True)):
        st.caption("Para uma fatura enviada ao SAT fora do robô: o robô não a enviará.")
        protocolo = st.text_input("Protocolo do SAT")
        motivo = st.text_area("Motivo da marcação", placeholder="Obrigatório: como e por que foi enviada à mão?")
        if st.form_submit_button("Marcar como enviada", icon=":material/task_alt:"):
            avisos.executar(lambda: acoes_processo.marcar_enviado_sat(ctx, ator, p.id, protocolo, motivo),
                            "Processo marcado como enviado ao SAT.")

usuarios = cadastros.emails_dos_usuarios(ctx, ator, [p.aprovado_por_usuario_id, p.upload_manual_por_usuario_id,
                                                     *(e.executado_por_usuario_id for e in detalhe.execucoes)])
protocolo_sat = next((e.resultado_saida["protocolo"] for e in detalhe.execucoes
                      if e.tipo_execucao == "UPLOAD_SAT" and (e.resultado_saida or {}).get("protocolo")), None)
aba_dados, aba_pdf, aba_execucoes, aba_auditoria = st.tabs(
    ["Dados", "Fatura (PDF)", f"Execuções ({len(detalhe.execucoes)})", f"Auditoria ({len(detalhe.trilha)})"])

with aba_dados:
    st.dataframe(pd.DataFrame({"Campo": [
        "Cliente", "CNPJ", "Operadora", "Conta (filtro)", "Unidade", "Serviço", "Mês", "Situação", "Valor",
        "Vencimento", "Aprovada por", "Aprovada em", "Enviada ao SAT em", "Protocolo SAT", "Upload manual", "Arquivo",
        "SHA-256 do PDF",
        "Última falha", "Criado em", "Atualizado em"], "Valor": [
        cliente.razao_social, formatos.cnpj(cliente.cnpj), operadora.codigo, cliente.filtro, cliente.unidade or "—",
        cliente.servico or "—", p.mes_ano, formatos.status_processo(p.status_processo), formatos.moeda(p.valor_fatura),
        formatos.data(p.data_vencimento), usuarios.get(p.aprovado_por_usuario_id, "—"),
        formatos.data_hora(p.data_aprovacao),
        formatos.data_hora(p.data_envio_sat), protocolo_sat or "—",
        f"sim, por {usuarios.get(p.upload_manual_por_usuario_id, '?')} em {formatos.data_hora(p.data_upload_manual)}"
        if p.upload_manual else "não", p.fatura_filename or "—", p.fatura_sha256 or "—", p.classe_ultima_falha or "—",
        formatos.data_hora(p.data_criacao), formatos.data_hora(p.data_atualizacao)]}), hide_index=True,
        height=layout.altura(20))

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
                partes.append(f"Job do robô: {e.job_id}")
            if e.classe_falha:
                partes.append(f"Classe da falha: {e.classe_falha}")
            if e.executado_por_usuario_id:
                partes.append(f"Por: {usuarios.get(e.executado_por_usuario_id, '?')} (IP {e.ip_origem or '—'})")
            st.markdown(layout.literal(" · ".join(partes)))
            if e.user_agent:
                st.caption(layout.literal(f"Navegador: {e.user_agent}"))
            if e.detalhes_erro:
                st.error(layout.literal(e.detalhes_erro.get("mensagem") or formatos.detalhes(e.detalhes_erro)))
            if e.status_execucao == "EXECUTANDO" and e.job_id and ator.pode(Permissao.CANCELAR_JOB):
                with st.form(f"cancelar-{e.id}", clear_on_submit=True):
                    motivo = st.text_input("Motivo do cancelamento", placeholder="Obrigatório")
                    if st.form_submit_button("Cancelar o job do robô", icon=":material/cancel:"):
                        avisos.executar(lambda e=e, motivo=motivo: acoes_processo.cancelar_job(ctx, ator, e.id, motivo),
                                        "Job cancelado no robô; a execução ficou CANCELADO.")
            st.code(formatos.log_em_hora_local(e.mensagem_log) or "(sem log do robô)", language=None)

with aba_auditoria:
    st.dataframe(pd.DataFrame([{
        "Data": formatos.data_hora(a.data), "Ação": a.acao, "Quem": a.ator, "Perfil": a.perfil, "IP": a.ip_origem or "",
        "Detalhes": formatos.detalhes(a.detalhes),
    } for a in detalhe.trilha], columns=["Data", "Ação", "Quem", "Perfil", "IP", "Detalhes"]), hide_index=True)

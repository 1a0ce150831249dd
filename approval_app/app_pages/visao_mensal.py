"""Visão mensal: counts by status and carrier, amounts, due dates, download success and the report files."""

import pandas as pd
import streamlit as st

from approval_app import acesso, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.services import consultas, faturas_faltando

# success green, waiting amber/blue; the chart's default palette painted "Enviado ao SAT" red
CORES = {StatusProcesso.AGUARDANDO_DOWNLOAD.value: "#f79009", StatusProcesso.AGUARDANDO_APROVACAO.value: "#2e90fa",
         StatusProcesso.AGUARDANDO_ENVIO_SAT.value: "#7a5af8", StatusProcesso.UPLOAD_REALIZADO.value: "#12b76a"}

ctx, store, ator = recursos.contexto(), recursos.store(), acesso.exigir_ator()
st.title("Visão mensal")
meses = consultas.meses_com_processos(ctx)
if not meses:
    st.info("Ainda não há processos.")
    st.stop()
mes = st.selectbox("Mês", meses)
relatorio = consultas.visao_mensal(ctx, ator, mes, recursos.hoje())

m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Processos", len(relatorio.processos))
m2.metric("Valor total", formatos.moeda(relatorio.valor_total))
m3.metric("Vencidas", relatorio.vencidas)
m4.metric(f"Vencem {formatos.PRAZO_DE_ALERTA}", relatorio.vencem_em_breve)
taxa = relatorio.taxa_sucesso_download
m5.metric("Sucesso dos downloads", "—" if taxa is None else f"{taxa:.0%}".replace(".", ","))

contagens = relatorio.por_operadora.drop(index="Total", columns=["Total", "valor_total"], errors="ignore")
if not contagens.empty:
    st.subheader("Processos por operadora e situação")
    situacoes = [s for s in CORES if s in contagens.columns]
    grafico = contagens[situacoes].rename(columns=formatos.status_processo).rename_axis(index="Operadora").reset_index()
    st.bar_chart(grafico, x="Operadora", y=[formatos.status_processo(s) for s in situacoes],
                 color=[CORES[s] for s in situacoes], stack=True, horizontal=True, height=80 + 40 * len(contagens))
    tabela = relatorio.por_operadora.rename(
        columns=lambda c: "Valor total" if c == "valor_total" else formatos.status_processo(c))
    if "Valor total" in tabela:
        tabela["Valor total"] = tabela["Valor total"].map(formatos.moeda)
    st.dataframe(tabela.rename_axis(index="Operadora"))

st.subheader("Faturas vencidas ou vencendo")
risco = relatorio.em_risco
if risco.empty:
    st.caption(f"Nenhuma fatura pendente vencida ou vencendo {formatos.PRAZO_DE_ALERTA}.")
else:
    st.dataframe(pd.DataFrame({
        "Prazo": risco["situacao_vencimento"].map(lambda s: formatos.rotulo(s, formatos.SITUACAO_VENCIMENTO)),
        "Cliente": risco["cliente"], "Operadora": risco["operadora"],
        "Situação": risco["status_processo"].map(formatos.status_processo),
        "Valor": risco["valor_fatura"].map(formatos.moeda),
        "Vencimento": risco["data_vencimento"].map(formatos.data),
    }), hide_index=True)

faltando = faturas_faltando.faturas_faltando(ctx, mes, recursos.hoje())
if faltando:
    st.subheader("Faturas ainda não baixadas, perto do vencimento usual")
    st.dataframe(pd.DataFrame({"Cliente": [f["cliente"] for f in faltando],
                               "Operadora": [f["operadora"] for f in faltando],
                               "Vencimento usual": [formatos.data(f["previsto"]) for f in faltando]}),
                 hide_index=True)

if not relatorio.falhas_por_classe.empty:
    st.subheader("Falhas de download por classe")
    st.dataframe(relatorio.falhas_por_classe.rename(columns={"classe_falha": "Classe", "tentativas": "Tentativas"}),
                 hide_index=True)

st.subheader("Relatório do mês")
arquivos = consultas.arquivos_do_relatorio(store, mes)
if not arquivos:
    st.caption("O relatório deste mês ainda não foi gerado (ativo relatorio_mensal no Dagster).")
for extensao, chave in sorted(arquivos.items()):
    st.download_button(f"Baixar relatório ({extensao.upper()})", store.get(chave),
                       file_name=f"relatorio-{mes.replace('/', '-')}.{extensao}", on_click="ignore",
                       icon=":material/download:", key=f"relatorio-{extensao}")

"""Fila de aprovação: invoices waiting for a decision, their flags and PDF; approve, reject, approve in bulk."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from approval_app import acesso, avisos, layout, recursos
from beg_pipeline.domain import formatos
from beg_pipeline.domain.perfis import Permissao, PermissaoNegada
from beg_pipeline.domain.prazos import SituacaoVencimento
from beg_pipeline.domain.sinais import TipoBloqueio, texto_rejeicao
from beg_pipeline.services import (
    aprovacoes,
    cadastros,
    consultas,
    faturas_armazenadas,
    faturas_faltando,
    fila_aprovacao,
)
from beg_pipeline.storage import ObjetoNaoEncontrado

LOTE = "fila_lote"
VISTOS = "fila_vistos"  # processo_id -> SHA-256 of the PDF each item had when the page was last drawn
SITUACAO = {
    SituacaoVencimento.VENCIDA: "● Vencida",
    SituacaoVencimento.VENCE_EM_BREVE: "● Vence em breve",
    SituacaoVencimento.NO_PRAZO: "● No prazo",
    SituacaoVencimento.SEM_VENCIMENTO: "○ Sem vencimento",
}
COR = {SituacaoVencimento.VENCIDA: "#b42318", SituacaoVencimento.VENCE_EM_BREVE: "#b54708",
       SituacaoVencimento.NO_PRAZO: "#067647", SituacaoVencimento.SEM_VENCIMENTO: "#667085"}
FUNDO = {SituacaoVencimento.VENCIDA: "#fde2e1", SituacaoVencimento.VENCE_EM_BREVE: "#fff1d6"}
TODOS = "Todos"
LIMITE_ESTILO = 1_000  # pandas' Styler renders every cell in Python: ~2 s for 10,000 rows; colours only below this

ctx, store, ator = recursos.contexto(), recursos.store(), acesso.exigir_ator()

st.title("Fila de aprovação")
col_mes, col_operadora, col_texto = st.columns([1, 1, 2])
mes = col_mes.selectbox("Mês", [TODOS, *consultas.meses_com_processos(ctx)])
operadora = col_operadora.selectbox("Operadora", [TODOS, *(o.codigo for o in cadastros.listar_operadoras(ctx, ator))])
texto = col_texto.text_input("Cliente", placeholder="Razão social, CNPJ ou número da conta")
fila = fila_aprovacao.fila_de_aprovacao(ctx, ator, hoje=recursos.hoje(), mes_ano=None if mes == TODOS else mes,
                                        operadora=None if operadora == TODOS else operadora, texto=texto)
por_id = {item.processo_id: item for item in fila}
vistos = st.session_state.get(VISTOS, {})  # what the person saw (the previous run): an approval carries it
st.session_state[VISTOS] = {item.processo_id: item.sha256 for item in fila}

m1, m2, m3, m4 = st.columns([1, 1, 1, 1.4])  # the total in R$ is the longest value: room so it is not cut
m1.metric("Aguardando aprovação", len(fila))
m2.metric("Vencidas", sum(i.situacao is SituacaoVencimento.VENCIDA for i in fila))
PRAZO = formatos.prazo_de_alerta(ctx.settings.dias_uteis_alerta)
m3.metric(f"Vencem {PRAZO}", sum(i.situacao is SituacaoVencimento.VENCE_EM_BREVE for i in fila))
m4.metric("Valor total", formatos.moeda(sum(i.valor or 0 for i in fila)))
if ctx.settings.quatro_olhos:
    st.caption("Regra dos quatro olhos ativa: quem enviou uma fatura manualmente não pode aprová-la.")
meses = consultas.meses_com_processos(ctx)
mes_faltando = meses[0] if mes == TODOS and meses else (None if mes == TODOS else mes)
faltando = faturas_faltando.faturas_faltando(ctx, mes_faltando, recursos.hoje()) if mes_faltando else []
if faltando:
    with st.expander(f"⚠ {len(faltando)} fatura(s) de {mes_faltando} ainda não baixada(s), perto do vencimento "
                     "usual", expanded=True):
        st.dataframe(pd.DataFrame({"Cliente": [f["cliente"] for f in faltando],
                                   "Operadora": [f["operadora"] for f in faltando],
                                   "Vencimento usual": [formatos.data(f["previsto"]) for f in faltando]}),
                     hide_index=True)
if not fila:
    st.info("Nenhuma fatura aguardando aprovação com esses filtros.")
    st.stop()


def _estilo(linha: pd.Series) -> list[str]:
    situacao = fila[linha.name].situacao
    fundo = f"background-color: {FUNDO[situacao]};" if situacao in FUNDO else ""
    return [fundo + (f"color: {COR[situacao]}; font-weight: 600" if coluna == "Situação" else "")
            for coluna in linha.index]


def _historico(item: fila_aprovacao.ItemFila) -> list[float] | None:
    return [*item.anomalia["historico"], float(item.valor)] if item.anomalia else None


tabela = pd.DataFrame([{
    # the flags first, next to the due-date mark: on a laptop screen the last columns are off-screen
    "Situação": SITUACAO[i.situacao], "Sinais": " · ".join(i.sinais), "Cliente": i.cliente,
    "CNPJ": formatos.cnpj(i.cnpj), "Operadora": i.operadora, "Mês": i.mes_ano, "Valor": formatos.moeda(i.valor),
    "Últimos valores": _historico(i), "Vencimento": i.vencimento,
} for i in fila])
st.caption("Marque as linhas para aprovar em lote; a última marcada abre abaixo para análise." if
           ator.pode(Permissao.APROVAR) else "Marque uma linha para vê-la abaixo, com o PDF.")
estilo = tabela.style.apply(_estilo, axis=1) if len(tabela) <= LIMITE_ESTILO else tabela  # "Situação" keeps the mark
evento = st.dataframe(
    estilo, hide_index=True, on_select="rerun", selection_mode="multi-row",
    key=f"fila-{hash(tuple(por_id))}",
    column_config={
        "Situação": st.column_config.TextColumn(width=140),
        "Sinais": st.column_config.TextColumn(width=220, help="Upload manual, PDF repetido, valor fora do padrão, …"),
        "Cliente": st.column_config.TextColumn(width=260),
        "CNPJ": st.column_config.TextColumn(width=150),
        "Operadora": st.column_config.TextColumn(width=105),
        "Mês": st.column_config.TextColumn(width=75),
        "Valor": st.column_config.TextColumn(width=110, alignment="right"),
        "Últimos valores": st.column_config.BarChartColumn(
            width=120, y_min=0,
            help="As últimas faturas do cliente e, na última barra, esta (quando o valor foge do padrão)"),
        "Vencimento": st.column_config.DateColumn(width=100, format="DD/MM/YYYY"),
    },
)
selecionados = [fila[linha].processo_id for linha in evento.selection.rows]


def _cancelar_lote() -> None:
    st.session_state.pop(LOTE, None)


@st.dialog("Aprovar faturas selecionadas", on_dismiss=_cancelar_lote)
def _confirmar_lote(shas: dict) -> None:
    ids = list(shas)
    itens = [por_id[i] for i in ids]
    st.write(f"Aprovar **{len(itens)}** fatura(s), no total de **{formatos.moeda(sum(i.valor or 0 for i in itens))}**?")
    st.dataframe(pd.DataFrame({"Cliente": [i.cliente for i in itens], "Operadora": [i.operadora for i in itens],
                               "Valor": [formatos.moeda(i.valor) for i in itens]}), hide_index=True)
    confirmar, cancelar = st.columns(2)
    if confirmar.button("Confirmar aprovação", type="primary", key="lote-confirmar"):
        _cancelar_lote()
        try:
            resultado = aprovacoes.aprovar_em_lote(ctx, acesso.exigir_ator(), ids, sha256=shas)
        except PermissaoNegada as exc:
            st.error(str(exc))
            return
        avisos.avisar(f"{len(resultado.aprovados)} fatura(s) aprovada(s).")
        for processo_id, motivo in resultado.recusados:
            avisos.avisar(f"{por_id[processo_id].cliente}: {motivo}", "warning")
        st.rerun()
    if cancelar.button("Cancelar", key="lote-cancelar"):
        _cancelar_lote()
        st.rerun()


if ator.pode(Permissao.APROVAR):
    if st.button(f"Aprovar selecionadas ({len(selecionados)})", disabled=not selecionados, key="lote-abrir",
                 icon=":material/done_all:"):
        st.session_state[LOTE] = {i: vistos.get(i) for i in selecionados}
    if st.session_state.get(LOTE):
        lote = {i: sha for i, sha in st.session_state[LOTE].items() if i in por_id}
        if lote:
            _confirmar_lote(lote)
        else:
            _cancelar_lote()

st.divider()
foco = selecionados[-1] if selecionados else fila[0].processo_id
processo_id = st.selectbox(
    "Fatura em análise", list(por_id), index=list(por_id).index(foco), key=f"analise-{foco}",
    format_func=lambda i: f"{por_id[i].cliente} · {por_id[i].operadora} · {por_id[i].mes_ano} · "
                          f"{formatos.moeda(por_id[i].valor)} · vence {formatos.data(por_id[i].vencimento)}")
item = por_id[processo_id]
col_pdf, col_decisao = st.columns([3, 2], gap="large")

with col_pdf:
    try:
        pdf = faturas_armazenadas.pdf_da_fatura(ctx, ator, store, processo_id)
    except ObjetoNaoEncontrado:
        pdf = None
    if pdf:
        st.pdf(pdf, height=720, key=f"pdf-{processo_id}")
        st.download_button("Baixar PDF", pdf, file_name=f"fatura-{item.operadora}-{item.mes_ano.replace('/', '-')}"
                           f"-{item.cnpj}.pdf", mime="application/pdf", on_click="ignore", icon=":material/download:")
    else:
        st.error("O PDF desta fatura não foi encontrado no armazenamento.")

with col_decisao:
    st.subheader(layout.literal(item.cliente))
    st.caption(layout.literal(f"CNPJ {formatos.cnpj(item.cnpj)} · {item.operadora} · {item.mes_ano}"))
    valor, vencimento = st.columns(2)
    valor.metric("Valor", formatos.moeda(item.valor))
    vencimento.metric("Vencimento", formatos.data(item.vencimento), SITUACAO[item.situacao], delta_color="off",
                      delta_arrow="off")
    if item.situacao is SituacaoVencimento.VENCIDA:
        st.error("Fatura vencida.")
    elif item.situacao is SituacaoVencimento.VENCE_EM_BREVE:
        st.warning(f"Vence {PRAZO}.")
    if item.pdf_duplicado:
        st.warning("O mesmo PDF (mesmo SHA-256) está em outro processo.")
    if item.upload_manual:
        st.info("Fatura enviada manualmente" + (" por você." if item.enviado_por_mim else "."))
    lido = item.conferencias or {}
    if lido.get("valor_boleto") or lido.get("mes_referencia"):
        st.caption(" · ".join(parte for parte in (
            lido.get("valor_boleto") and f"Boleto {formatos.moeda(Decimal(lido['valor_boleto']))}",
            lido.get("valor_pdf") and f"total do PDF {formatos.moeda(Decimal(lido['valor_pdf']))}",
            lido.get("mes_referencia") and f"referência do PDF {lido['mes_referencia']}") if parte))
    for bloqueio in item.bloqueios:
        st.error(layout.literal(f"Bloqueio: {bloqueio.texto}."), icon=":material/block:")
    if item.rejeitada_antes and not any(b.tipo is TipoBloqueio.PDF_JA_REJEITADO for b in item.bloqueios):
        st.info(layout.literal(f"Este processo já teve uma fatura {texto_rejeicao(item.rejeitada_antes)}."))
    if item.anomalia:
        st.warning(f"Valor {item.anomalia['desvio']} distante da mediana das últimas faturas "
                   f"({formatos.moeda(item.anomalia['mediana'])}; limiar {ctx.settings.limiar_anomalia:.0%}).")
        historico = item.anomalia["historico"]
        st.bar_chart(pd.DataFrame({
            "Fatura": [f"{n}ª anterior" for n in range(len(historico), 0, -1)] + ["Esta fatura"],
            "Valor (R$)": [*historico, float(item.valor)],
            "Cor": ["#98a2b3"] * len(historico) + ["#d92d20"],
        }), x="Fatura", y="Valor (R$)", color="Cor", horizontal=True, sort=False, height=230)

    if ator.pode(Permissao.APROVAR):
        bloqueada = ctx.settings.quatro_olhos and item.enviado_por_mim
        if bloqueada:
            st.warning("Regra dos quatro olhos: você enviou esta fatura manualmente; outro aprovador precisa "
                       "aprová-la.")
        novo_valor = novo_vencimento = None
        if item.valor is None or item.vencimento is None:  # e.g. a scanned upload: the approver supplies them
            st.warning("Esta fatura está sem valor ou vencimento (PDF digitalizado?): informe-os para aprovar.")
            if item.valor is None:
                novo_valor = st.number_input("Valor da fatura (R$)", min_value=0.0, step=0.01, format="%.2f",
                                             value=None, key=f"valor-{processo_id}")
            if item.vencimento is None:
                novo_vencimento = st.date_input("Vencimento da fatura", value=None, format="DD/MM/YYYY",
                                                key=f"vencimento-{processo_id}")
        justificativa = None
        if item.bloqueios and not bloqueada:
            justificativa = st.text_area(
                "Justificativa para aprovar mesmo assim", key=f"justificativa-{processo_id}",
                placeholder="Obrigatória enquanto houver bloqueio: por que esta fatura está certa? Fica na auditoria.")
        if st.button("Aprovar com justificativa" if item.bloqueios else "Aprovar", type="primary",
                     key=f"aprovar-{processo_id}", disabled=bloqueada, icon=":material/check:"):
            avisos.executar(lambda: aprovacoes.aprovar(
                ctx, ator, processo_id, valor=None if novo_valor is None else Decimal(f"{novo_valor:.2f}"),
                vencimento=novo_vencimento, sha256=vistos.get(processo_id, ""), justificativa=justificativa),
                f"Fatura de {item.cliente} ({item.mes_ano}) aprovada.")
    if ator.pode(Permissao.REJEITAR):
        with st.form(f"rejeitar-{processo_id}", clear_on_submit=True):
            motivo = st.text_area("Motivo da rejeição", placeholder="Obrigatório: o que está errado nesta fatura?")
            if st.form_submit_button("Rejeitar", icon=":material/close:"):
                avisos.executar(lambda: aprovacoes.rejeitar(ctx, ator, processo_id, motivo),
                                f"Fatura de {item.cliente} ({item.mes_ano}) rejeitada: o processo voltou a "
                                "aguardar download.")
    if not ator.pode(Permissao.APROVAR) and not ator.pode(Permissao.REJEITAR):
        st.info(f"O perfil {ator.perfil.value} acompanha a fila, mas não aprova nem rejeita faturas.")

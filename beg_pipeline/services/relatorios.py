"""The monthly report: a pandas summary of the month, stored as CSV and XLSX.

pandas is imported where it is used: loading the code location (every CLI command, every run) does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from beg_pipeline.db.models import Cliente, Execucao, Operadora, Processo
from beg_pipeline.domain import calendario, formatos
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.prazos import SituacaoVencimento, situacao_vencimento
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.storage.base import ObjectStore, chave

if TYPE_CHECKING:
    import pandas as pd

INICIO_DE_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a CSV cell as a formula
COLUNAS = ["processo_id", "cliente", "cnpj", "operadora", "filtro", "status_processo", "valor_fatura",
           "data_vencimento", "upload_manual", "classe_ultima_falha"]


@dataclass
class RelatorioMensal:
    mes_ano: str
    processos: pd.DataFrame
    por_operadora: pd.DataFrame
    falhas_por_classe: pd.DataFrame
    taxa_sucesso_download: float | None
    vencidas: int
    vencem_em_breve: int
    valor_total: float

    @property
    def em_risco(self) -> pd.DataFrame:
        """Invoices not yet sent to SAT, overdue or due within DIAS_UTEIS_DE_ALERTA business days, soonest first."""
        df = self.processos
        return df[df["em_risco"]].sort_values("data_vencimento")

    def markdown(self) -> str:
        taxa = "—" if self.taxa_sucesso_download is None else f"{self.taxa_sucesso_download:.0%}"
        partes = [
            f"## Relatório {self.mes_ano}",
            f"- Processos: **{len(self.processos)}** · valor total: **{formatos.moeda(self.valor_total)}**",
            f"- Faturas vencidas: **{self.vencidas}** · vencem {formatos.PRAZO_DE_ALERTA}: **{self.vencem_em_breve}**",
            f"- Taxa de sucesso dos downloads: **{taxa}**",
            "", "### Por operadora e status", self.por_operadora.to_markdown(),
        ]
        if not self.falhas_por_classe.empty:
            partes += ["", "### Falhas por classe", self.falhas_por_classe.to_markdown(index=False)]
        return "\n".join(partes)


def _processos(ctx: Contexto, mes_ano: str) -> pd.DataFrame:
    import pandas as pd

    with ctx.db.leitura() as s:
        linhas = s.execute(
            select(Processo.id.label("processo_id"), Cliente.razao_social.label("cliente"), Cliente.cnpj,
                   Operadora.codigo.label("operadora"), Cliente.filtro, Processo.status_processo,
                   Processo.valor_fatura, Processo.data_vencimento, Processo.upload_manual,
                   Processo.classe_ultima_falha)
            .join(Cliente, Processo.cliente_id == Cliente.id).join(Operadora, Cliente.operadora_id == Operadora.id)
            .where(Processo.mes_ano == mes_ano)
        ).all()
    df = pd.DataFrame(linhas, columns=COLUNAS)
    df["processo_id"] = df["processo_id"].astype(str)
    df["valor_fatura"] = pd.to_numeric(df["valor_fatura"], errors="coerce").astype(float)
    return df


def _execucoes(ctx: Contexto, mes_ano: str) -> pd.DataFrame:
    import pandas as pd

    with ctx.db.leitura() as s:
        linhas = s.execute(
            select(Execucao.status_execucao, Execucao.classe_falha)
            .join(Processo, Execucao.processo_id == Processo.id)
            .where(Processo.mes_ano == mes_ano, Execucao.tipo_execucao == TipoExecucao.DOWNLOAD_FATURA.value,
                   Execucao.status_execucao != StatusExecucao.EXECUTANDO.value)
        ).all()
    return pd.DataFrame(linhas, columns=["status_execucao", "classe_falha"])


def gerar_relatorio(ctx: Contexto, mes_ano: str, hoje: dt.date) -> RelatorioMensal:
    import pandas as pd

    calendario.particao_de_mes_ano(mes_ano)
    df = _processos(ctx, mes_ano)
    pendentes = df["status_processo"] != StatusProcesso.UPLOAD_REALIZADO.value
    df["situacao_vencimento"] = [situacao_vencimento(v, hoje).value for v in df["data_vencimento"]]
    df["em_risco"] = pendentes & df["situacao_vencimento"].isin(
        [SituacaoVencimento.VENCIDA.value, SituacaoVencimento.VENCE_EM_BREVE.value])
    por_operadora = pd.crosstab(df["operadora"], df["status_processo"], margins=True, margins_name="Total")
    if not df.empty:
        por_operadora["valor_total"] = df.groupby("operadora")["valor_fatura"].sum().reindex(por_operadora.index)
        por_operadora.loc["Total", "valor_total"] = df["valor_fatura"].sum()
    execucoes = _execucoes(ctx, mes_ano)
    falhas = execucoes[execucoes["status_execucao"] != StatusExecucao.CONCLUIDO.value]
    falhas_por_classe = (falhas.fillna({"classe_falha": "SEM_CLASSE"}).groupby("classe_falha").size()
                         .rename("tentativas").reset_index())
    return RelatorioMensal(
        mes_ano=mes_ano,
        processos=df,
        por_operadora=por_operadora,
        falhas_por_classe=falhas_por_classe,
        taxa_sucesso_download=None if execucoes.empty else float(
            (execucoes["status_execucao"] == StatusExecucao.CONCLUIDO.value).mean()),
        vencidas=int((df["em_risco"] & (df["situacao_vencimento"] == SituacaoVencimento.VENCIDA.value)).sum()),
        vencem_em_breve=int((df["em_risco"]
                             & (df["situacao_vencimento"] == SituacaoVencimento.VENCE_EM_BREVE.value)).sum()),
        valor_total=float(df["valor_fatura"].sum()),
    )


def armazenar_relatorio(relatorio: RelatorioMensal, store: ObjectStore) -> dict[str, str]:
    """CSV (one row per process) and XLSX (one sheet per table) under ``relatorios/AAAA-MM/``."""
    import pandas as pd

    pasta = calendario.particao_de_mes_ano(relatorio.mes_ano)[:7]
    csv_bytes = _texto_escapado(relatorio.processos).to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")
    xlsx = io.BytesIO()
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        relatorio.processos.to_excel(writer, sheet_name="processos", index=False)
        relatorio.por_operadora.to_excel(writer, sheet_name="por_operadora")
        relatorio.falhas_por_classe.to_excel(writer, sheet_name="falhas", index=False)
        _sem_formulas(writer)
    chaves = {"csv": chave("relatorios", pasta, "relatorio_mensal.csv"),
              "xlsx": chave("relatorios", pasta, "relatorio_mensal.xlsx")}
    store.put(chaves["csv"], csv_bytes, "text/csv")
    store.put(chaves["xlsx"], xlsx.getvalue(),
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return chaves


def _texto_escapado(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (a client named ``=HYPERLINK(…)``) get a leading ``'``."""
    import pandas as pd

    def escapar(valor: object) -> object:
        return f"'{valor}" if isinstance(valor, str) and valor.startswith(INICIO_DE_FORMULA) else valor

    def texto(coluna: pd.Series) -> bool:
        return coluna.dtype == object or pd.api.types.is_string_dtype(coluna.dtype)

    return df.apply(lambda coluna: coluna.map(escapar) if texto(coluna) else coluna)


def _sem_formulas(writer: pd.ExcelWriter) -> None:
    """openpyxl stores any text starting with ``=`` as a formula: the report has none, so every cell is data."""
    for planilha in writer.sheets.values():
        for linha in planilha.iter_rows():
            for celula in linha:
                if celula.data_type == "f":
                    celula.data_type = "s"

"""Data checks of a month, shared by Dagster asset checks and the approval app's flags."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Float, String, func, select, type_coerce

from beg_pipeline.db.models import Auditoria, Cliente, Execucao, Operadora, Processo, agora
from beg_pipeline.domain import calendario
from beg_pipeline.domain.execucao import StatusExecucao
from beg_pipeline.faturas.validacao_pdf import PdfRecusado, validar_pdf
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.storage.base import ObjectStore, ObjetoNaoEncontrado, sha256_hex

HISTORICO_ANOMALIA = 6


def clientes_ativos_sem_processo(ctx: Contexto, mes_ano: str) -> list[str]:
    with ctx.db.leitura() as s:
        tem = select(Processo.cliente_id).where(Processo.mes_ano == mes_ano)
        return list(s.scalars(
            select(Cliente.razao_social).join(Operadora, Cliente.operadora_id == Operadora.id)
            .where(Cliente.status_ativo, Operadora.status_ativo, Cliente.id.not_in(tem))))


def execucoes_presas(ctx: Contexto, mes_ano: str, momento: dt.datetime | None = None) -> list[dict]:
    """Executions still EXECUTANDO longer than the robot job timeout (plus a margin of 10 %)."""
    limite = (momento or agora()) - dt.timedelta(seconds=ctx.settings.rpa_job_timeout_s * 1.1)
    with ctx.db.leitura() as s:
        linhas = s.execute(
            select(Execucao.id, Execucao.tipo_execucao, Execucao.job_id, Execucao.data_inicio)
            .join(Processo, Execucao.processo_id == Processo.id)
            .where(Processo.mes_ano == mes_ano, Execucao.status_execucao == StatusExecucao.EXECUTANDO.value,
                   Execucao.data_inicio < limite)).all()
    return [{"execucao": str(e.id), "tipo": e.tipo_execucao, "job_id": e.job_id or "",
             "inicio": e.data_inicio.isoformat()} for e in linhas]


def shas_duplicados(ctx: Contexto, mes_ano: str) -> dict[str, int]:
    """SHA-256 of this month's invoices that another process (any month) also has, with how many share it."""
    with ctx.db.leitura() as s:
        do_mes = select(Processo.fatura_sha256).where(Processo.mes_ano == mes_ano, Processo.fatura_sha256.is_not(None))
        return dict(s.execute(
            select(Processo.fatura_sha256, func.count()).where(Processo.fatura_sha256.in_(do_mes))
            .group_by(Processo.fatura_sha256).having(func.count() > 1)).all())


CONFERIDA_NA_CHEGADA = ("DOWNLOAD_CONCLUIDO", "UPLOAD_MANUAL")  # audit actions recording the SHA-256 of checked bytes


def faturas_com_problema(ctx: Contexto, store: ObjectStore, mes_ano: str) -> list[dict]:
    """Stored invoices of the month that are missing, whose bytes are not the ones recorded (SHA-256), that are not
    a readable PDF, or that another process shares.

    Every object is read and hashed. A PDF is parsed again only if its bytes never passed the PDF check on arrival:
    a robot download and a manual upload check the bytes and record their SHA-256 in the audit trail; a legacy
    import copies what the old system had. The same bytes through the same check give the same answer, and parsing
    every PDF of the month on every run took most of a month's materialization (~16 ms per invoice)."""
    duplicados = shas_duplicados(ctx, mes_ano)
    with ctx.db.leitura() as s:
        faturas = s.execute(select(Processo.id, Processo.fatura_s3_key, Processo.fatura_sha256)
                            .where(Processo.mes_ano == mes_ano, Processo.fatura_s3_key.is_not(None))).all()
        conferidas = set(s.execute(
            select(Auditoria.processo_id, Auditoria.sha256_pdf).join(Processo, Auditoria.processo_id == Processo.id)
            .where(Processo.mes_ano == mes_ano, Auditoria.acao.in_(CONFERIDA_NA_CHEGADA),
                   Auditoria.sha256_pdf.is_not(None))).all())
    problemas = []
    for pid, chave, sha in faturas:
        motivo = None
        if sha in duplicados:
            motivo = f"mesmo PDF (SHA-256 {sha[:12]}…) em {duplicados[sha]} processos"
        else:
            try:
                dados = store.get(chave)
                if sha is not None and sha256_hex(dados) != sha:
                    motivo = f"o arquivo guardado não é o registrado (SHA-256 {sha[:12]}…): foi trocado ou corrompido"
                elif (pid, sha) not in conferidas:
                    validar_pdf(dados, ctx.settings.max_upload_mb * 1024 * 1024)
            except ObjetoNaoEncontrado:
                motivo = "arquivo não encontrado no armazenamento"
            except PdfRecusado as exc:
                motivo = f"PDF ilegível: {exc}"
        if motivo:
            problemas.append({"processo": str(pid), "chave": chave, "motivo": motivo})
    return problemas


def anomalias_de_valor(ctx: Contexto, mes_ano: str) -> list[dict]:
    """Invoices farther than ``settings.limiar_anomalia`` (0.5 = 50 %) from the median of the client's previous 6
    amounts."""
    import pandas as pd  # here: loading the code location does not pay for pandas

    with ctx.db.leitura() as s:
        clientes = select(Processo.cliente_id).where(Processo.mes_ano == mes_ano, Processo.valor_fatura.is_not(None))
        linhas = s.execute(select(type_coerce(Processo.id, String), type_coerce(Processo.cliente_id, String),
                                  Processo.mes_ano, type_coerce(Processo.valor_fatura, Float))  # no UUID/Decimal
                           .where(Processo.cliente_id.in_(clientes), Processo.valor_fatura.is_not(None))).all()
    if not linhas:
        return []
    colunas = zip(*linhas, strict=True)  # by column: fast
    df = pd.DataFrame(dict(zip(["processo_id", "cliente_id", "mes_ano", "valor"], colunas, strict=True)))
    df["valor"] = df["valor"].astype(float)
    df["particao"] = df["mes_ano"].map({m: calendario.particao_de_mes_ano(m) for m in df["mes_ano"].unique()})
    df = df.sort_values(["cliente_id", "particao"])
    grupo = df.groupby("cliente_id", sort=False)["valor"]
    # column k-1 holds the client's k-th previous amount (NaN when there is none): no Python code per client
    anteriores = pd.concat([grupo.shift(k) for k in range(1, HISTORICO_ANOMALIA + 1)], axis=1)
    df["mediana"] = anteriores.median(axis=1)  # of the amounts there are; NaN without history
    df["desvio"] = (df["valor"] - df["mediana"]).abs() / df["mediana"]
    anomalas = (df["mes_ano"] == mes_ano) & (df["mediana"] > 0) & (df["desvio"] > ctx.settings.limiar_anomalia)
    historicos = anteriores[anomalas].round(2).to_numpy()
    return [{"processo": str(uuid.UUID(str(r.processo_id))), "valor": Decimal(str(r.valor)),
             "mediana": round(float(r.mediana), 2), "desvio": f"{r.desvio:.0%}",
             "historico": [float(v) for v in h[::-1] if v == v]}  # oldest first; v == v drops NaN
            for r, h in zip(df[anomalas].itertuples(), historicos, strict=True)]

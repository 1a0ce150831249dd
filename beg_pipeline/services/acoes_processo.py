"""A person's way forward for a process in any state: correct the invoice, undo an approval, mark it sent to SAT,
run its download or SAT upload now (a Dagster run limited to it), cancel its robot job. Each action is audited with
its reason."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Execucao, Processo, agora
from beg_pipeline.domain import calendario
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.domain.processo import AcaoProcesso, StatusProcesso, dados_da_fatura, motivo_exigido
from beg_pipeline.rpa.contrato import RpaClient, RpaErro
from beg_pipeline.services import auditoria
from beg_pipeline.services.contexto import Contexto, NaoEncontrado, RegraViolada
from beg_pipeline.services.processos import _carregar, _transitar, cancelar_execucao, obter_processo

TAG_PROCESSO = "beg/processo"  # run tag: the run's download / SAT assets handle only this process


def processo_da_run(context: Any) -> uuid.UUID | None:  # a Dagster execution context
    """The process a run is limited to (its ``beg/processo`` tag), or None for the whole month."""
    valor = context.run.tags.get(TAG_PROCESSO)
    try:
        return uuid.UUID(valor) if valor else None
    except ValueError:
        raise ValueError(f"Tag {TAG_PROCESSO}={valor!r} da run não é um id de processo (UUID).") from None


class DagsterIndisponivel(RegraViolada):
    """The Dagster webserver did not accept the run (not running, unreachable, or it refused)."""


class Etapa(enum.StrEnum):
    """What "agora" runs for one process: the job and asset launched, and the status it needs."""

    BAIXAR = "BAIXAR"
    ENVIAR_SAT = "ENVIAR_SAT"


_ETAPAS = {
    Etapa.BAIXAR: ("downloads_job", "faturas", StatusProcesso.AGUARDANDO_DOWNLOAD, "o download"),
    Etapa.ENVIAR_SAT: ("envios_sat_job", "envios_sat", StatusProcesso.AGUARDANDO_ENVIO_SAT, "o envio ao SAT"),
}
_CORRIGIVEIS = (StatusProcesso.AGUARDANDO_APROVACAO.value, StatusProcesso.AGUARDANDO_ENVIO_SAT.value)


@dataclass(frozen=True)
class RunLancado:
    run_id: str
    url: str


def _sat_em_andamento(s: Session, processo_id: uuid.UUID) -> bool:
    return s.scalar(select(Execucao.id).where(
        Execucao.processo_id == processo_id, Execucao.tipo_execucao == TipoExecucao.UPLOAD_SAT.value,
        Execucao.status_execucao == StatusExecucao.EXECUTANDO.value).limit(1)) is not None


_SAT_EM_ANDAMENTO = ("O envio ao SAT deste processo já começou (execução em andamento): cancele o job do robô "
                     "na aba Execuções ou aguarde o resultado.")


def corrigir_fatura(ctx: Contexto, ator: Ator, processo_id: uuid.UUID, valor: Decimal, vencimento: dt.date,
                    motivo: str) -> None:
    """Set the invoice's amount and due date (waiting for approval or for SAT, before its SAT job starts)."""
    ator.exigir(Permissao.CORRIGIR_FATURA)
    motivo = motivo_exigido(motivo, "da correção")
    with ctx.db.transacao() as s:
        processo = _carregar(s, processo_id)
        try:
            dados_da_fatura(valor, vencimento, processo.mes_ano)
        except ValueError as exc:
            raise RegraViolada(str(exc)) from None
        antes = {"valor_fatura": str(processo.valor_fatura), "data_vencimento": str(processo.data_vencimento)}
        mudou = s.execute(
            update(Processo).where(Processo.id == processo_id, Processo.status_processo.in_(_CORRIGIVEIS))
            .values(valor_fatura=valor, data_vencimento=vencimento, data_atualizacao=agora())
            .execution_options(synchronize_session=False)).rowcount
        if not mudou:
            raise RegraViolada(f"Só uma fatura aguardando aprovação ou envio ao SAT pode ser corrigida; "
                               f"este processo está em {processo.status_processo}.")
        if _sat_em_andamento(s, processo_id):
            raise RegraViolada(_SAT_EM_ANDAMENTO)
        auditoria.registrar(s, ator, "CORRIGIR_FATURA", "processos", processo_id, processo_id=processo_id,
                            sha256_pdf=processo.fatura_sha256,
                            detalhes={"motivo": motivo, "antes": antes,
                                      "depois": {"valor_fatura": str(valor), "data_vencimento": str(vencimento)}})


def desfazer_aprovacao(ctx: Contexto, ator: Ator, processo_id: uuid.UUID, motivo: str) -> None:
    """AGUARDANDO_ENVIO_SAT → AGUARDANDO_APROVACAO, refused once the SAT job started. The status update locks the
    row first, so a SAT run opening its execution at the same moment either waits and is refused, or is seen here."""
    ator.exigir(Permissao.DESFAZER_APROVACAO)
    motivo = motivo_exigido(motivo, "para desfazer a aprovação")
    with ctx.db.transacao() as s:
        processo = _carregar(s, processo_id)
        aprovador = str(processo.aprovado_por_usuario_id) if processo.aprovado_por_usuario_id else None
        _transitar(s, AcaoProcesso.DESFAZER_APROVACAO, processo_id, aprovado_por_usuario_id=None, data_aprovacao=None,
                   tentativas_upload_sat=0)
        if _sat_em_andamento(s, processo_id):
            raise RegraViolada(_SAT_EM_ANDAMENTO)
        auditoria.registrar(s, ator, "DESFAZER_APROVACAO", "processos", processo_id, processo_id=processo_id,
                            sha256_pdf=processo.fatura_sha256,
                            detalhes={"motivo": motivo, "aprovado_por": aprovador,
                                      "data_aprovacao": str(processo.data_aprovacao)})


def marcar_enviado_sat(ctx: Contexto, ator: Ator, processo_id: uuid.UUID, protocolo: str, motivo: str) -> None:
    """AGUARDANDO_ENVIO_SAT → UPLOAD_REALIZADO by hand (the invoice was sent to SAT outside the robot), recorded as a
    concluded UPLOAD_SAT attempt by this person with the SAT protocol."""
    ator.exigir(Permissao.MARCAR_ENVIADO_SAT)
    motivo = motivo_exigido(motivo, "da marcação manual")
    protocolo = (protocolo or "").strip()
    if not protocolo:
        raise RegraViolada("Informe o protocolo do SAT do envio feito por fora do robô.")
    with ctx.db.transacao() as s:
        processo = _carregar(s, processo_id)
        momento = agora()
        _transitar(s, AcaoProcesso.MARCAR_ENVIADO, processo_id, enviado_para_sat=True, data_envio_sat=momento)
        if _sat_em_andamento(s, processo_id):
            raise RegraViolada(_SAT_EM_ANDAMENTO)
        do_tipo = (Execucao.processo_id == processo_id, Execucao.tipo_execucao == TipoExecucao.UPLOAD_SAT.value)
        numero = (s.scalar(select(func.max(Execucao.numero_tentativa)).where(*do_tipo)) or 0) + 1
        s.add(Execucao(processo_id=processo_id, tipo_execucao=TipoExecucao.UPLOAD_SAT.value, numero_tentativa=numero,
                       status_execucao=StatusExecucao.CONCLUIDO.value, data_inicio=momento, data_fim=momento,
                       resultado_saida={"protocolo": protocolo, "manual": True, "motivo": motivo},
                       executado_por_usuario_id=ator.usuario_id, ip_origem=ator.ip, user_agent=ator.user_agent))
        auditoria.registrar(s, ator, "MARCAR_ENVIADO_SAT", "processos", processo_id, processo_id=processo_id,
                            sha256_pdf=processo.fatura_sha256, detalhes={"motivo": motivo, "protocolo": protocolo})


def cancelar_job(ctx: Contexto, ator: Ator, execucao_id: uuid.UUID, motivo: str,
                 client: RpaClient | None = None) -> None:
    """``DELETE /jobs/{id}`` for a running attempt, then the attempt is closed CANCELADO (the process stays retryable).
    Refused when the job already finished: the next run concludes the attempt from the job's result."""
    ator.exigir(Permissao.CANCELAR_JOB)
    motivo = motivo_exigido(motivo, "do cancelamento")
    with ctx.db.leitura() as s:
        execucao = s.get(Execucao, execucao_id)
    if execucao is None:
        raise NaoEncontrado(f"Execução {execucao_id} não existe.")
    if execucao.status_execucao != StatusExecucao.EXECUTANDO.value:
        raise RegraViolada(f"A execução já terminou ({execucao.status_execucao}); nada a cancelar.")
    if not execucao.job_id:
        raise RegraViolada("O robô ainda não informou o job desta execução; tente de novo em alguns segundos.")
    try:
        if client is not None:
            cancelado = client.cancelar(execucao.job_id)
        else:
            with RpaClient.from_settings(ctx.settings) as proprio:
                cancelado = proprio.cancelar(execucao.job_id)
    except RpaErro as exc:
        raise RegraViolada(f"O robô não cancelou o job {execucao.job_id}: {exc}") from None
    if not cancelado:
        raise RegraViolada(f"O job {execucao.job_id} já terminou no robô: a próxima execução registra o resultado.")
    cancelar_execucao(ctx, ator, execucao_id, f"cancelado por {ator.email}: {motivo}")


def executar_agora(ctx: Contexto, ator: Ator, processo_id: uuid.UUID, etapa: Etapa) -> RunLancado:
    """Launch, through the Dagster webserver (BEG_DAGSTER_URL), a run of the process's month limited to this process
    (run tag ``beg/processo``), so ops see it in the Dagster UI. Returns the run id and its link."""
    from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError  # heavy: only when launching

    ator.exigir(Permissao.EXECUTAR_AGORA)
    job, asset, exigido, nome = _ETAPAS[etapa]
    processo = obter_processo(ctx, processo_id)
    if processo.status_processo != exigido.value:
        raise RegraViolada(f"Só é possível executar {nome} agora com o processo em {exigido.value}; "
                           f"está em {processo.status_processo}.")
    base = ctx.settings.dagster_url.rstrip("/")
    url = urlsplit(base)
    try:
        client = DagsterGraphQLClient(url.hostname or "127.0.0.1", port_number=url.port,
                                      use_https=url.scheme == "https", timeout=15, path_prefix=url.path)
        run_id = client.submit_job_execution(job, asset_selection=[asset], tags={
            "dagster/partition": calendario.particao_de_mes_ano(processo.mes_ano), TAG_PROCESSO: str(processo_id)})
    except (DagsterGraphQLClientError, OSError) as exc:
        raise DagsterIndisponivel(
            f"O Dagster em {base} não iniciou a execução ({exc}). Confira se o webserver está no ar e "
            "BEG_DAGSTER_URL; o processo segue na próxima execução agendada.") from None
    with ctx.db.transacao() as s:
        auditoria.registrar(s, ator, f"EXECUTAR_AGORA_{etapa.value}", "processos", processo_id,
                            processo_id=processo_id, detalhes={"run_id": run_id, "job": job})
    return RunLancado(run_id, f"{base}/runs/{run_id}")

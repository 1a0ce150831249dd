"""Schedules (America/Sao_Paulo; cron from BEG_CRON_*, read when built), replacing the legacy cron thread."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from beg_pipeline.jobs import (
    alertas_diarios_job,
    backup_job,
    downloads_job,
    limpeza_logs_job,
    processos_job,
    relatorio_job,
)
from beg_pipeline.partitions import FUSO
from beg_pipeline.settings import Settings


def mes(instante: dt.datetime, deslocamento: int = 0) -> str:
    """Partition key of the month of ``instante`` (local time), shifted by ``deslocamento`` months."""
    indice = instante.year * 12 + instante.month - 1 + deslocamento
    return f"{indice // 12:04d}-{indice % 12 + 1:02d}-01"


def _local(context: dg.ScheduleEvaluationContext) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return context.scheduled_execution_time.astimezone(ZoneInfo(FUSO))


def _pedidos(context: dg.ScheduleEvaluationContext, nome: str, particoes: list[str],
             inicio: str) -> list[dg.RunRequest]:
    """One run per partition key from ``inicio`` (BEG_PARTITIONS_START) on; the run key names the day."""
    dia = _local(context).date().isoformat()
    return [dg.RunRequest(run_key=f"{nome}:{dia}:{p}", partition_key=p) for p in particoes if p >= inicio]


def construir_agendamentos(settings: Settings) -> list[dg.ScheduleDefinition]:
    inicio = settings.partitions_start.isoformat()
    ligado = dg.DefaultScheduleStatus.RUNNING

    @dg.schedule(job=processos_job, cron_schedule=settings.cron_processos, execution_timezone=FUSO,
                 default_status=ligado, description="Dia 1: abre os processos do mês.")
    def processos_do_mes_schedule(context: dg.ScheduleEvaluationContext):
        return _pedidos(context, "processos", [mes(_local(context))], inicio)

    @dg.schedule(job=downloads_job, cron_schedule=settings.cron_downloads, execution_timezone=FUSO,
                 default_status=ligado,
                 description="Dias úteis: downloads (e envios ao SAT) do mês atual e do anterior.")
    def downloads_dias_uteis_schedule(context: dg.ScheduleEvaluationContext):
        agora = _local(context)
        return _pedidos(context, "downloads", [mes(agora, -1), mes(agora)], inicio)

    @dg.schedule(job=relatorio_job, cron_schedule=settings.cron_relatorio, execution_timezone=FUSO,
                 default_status=ligado, description="Dia 5: relatório do mês anterior.")
    def relatorio_mensal_schedule(context: dg.ScheduleEvaluationContext):
        return _pedidos(context, "relatorio", [mes(_local(context), -1)], inicio)

    limpeza = dg.ScheduleDefinition(name="limpeza_logs_schedule", job=limpeza_logs_job,
                                    cron_schedule=settings.cron_limpeza_logs, execution_timezone=FUSO,
                                    default_status=ligado, description="Arquiva logs de execução antigos.")
    backup = dg.ScheduleDefinition(name="backup_schedule", job=backup_job, cron_schedule=settings.cron_backup,
                                   execution_timezone=FUSO, default_status=ligado,
                                   description="Backup diário do banco.")
    alertas = dg.ScheduleDefinition(name="alertas_diarios_schedule", job=alertas_diarios_job,
                                    cron_schedule=settings.cron_resumo, execution_timezone=FUSO, default_status=ligado,
                                    description="Vencimentos, downloads atrasados e resumo aos aprovadores.")
    return [processos_do_mes_schedule, downloads_dias_uteis_schedule, relatorio_mensal_schedule, limpeza, backup,
            alertas]

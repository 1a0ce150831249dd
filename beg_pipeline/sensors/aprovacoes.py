"""``aprovacoes_sensor``: new approvals in the database launch the month's SAT upload run."""

import dagster as dg

from beg_pipeline.domain.calendario import particao_de_mes_ano
from beg_pipeline.jobs import envios_sat_job
from beg_pipeline.resources import BancoResource
from beg_pipeline.services.processos import aprovacoes_desde


@dg.sensor(job=envios_sat_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def aprovacoes_sensor(context: dg.SensorEvaluationContext, banco: BancoResource) -> dg.SensorResult:
    """One indexed query per tick; the run key names the newest approval seen, so a repeated tick launches nothing."""
    cursor = int(context.cursor or 0)
    novas = aprovacoes_desde(banco.contexto(), cursor)
    if not novas:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"nenhuma aprovação nova após #{cursor}"))
    ultima_por_mes: dict[str, int] = {}
    for auditoria_id, mes_ano in novas:
        ultima_por_mes[mes_ano] = auditoria_id
    pedidos = [dg.RunRequest(run_key=f"envios_sat:{particao_de_mes_ano(m)}:{i}", partition_key=particao_de_mes_ano(m),
                             tags={"beg/aprovacoes_ate": str(i)}) for m, i in sorted(ultima_por_mes.items())]
    return dg.SensorResult(run_requests=pedidos, cursor=str(novas[-1][0]))

"""``falhas_de_execucao_sensor``: a failed run leaves a notification for the operators."""

import dagster as dg

from beg_pipeline.resources import BancoResource
from beg_pipeline.services.notificacoes import notificar


@dg.run_failure_sensor(monitor_all_code_locations=False, default_status=dg.DefaultSensorStatus.RUNNING)
def falhas_de_execucao_sensor(context: dg.RunFailureSensorContext, banco: BancoResource) -> None:
    run = context.dagster_run
    particao = run.tags.get("dagster/partition", "")
    notificar(banco.contexto(), f"Execução do Dagster falhou: {run.job_name} {particao} ({run.run_id[:8]})",
              f"A execução {run.run_id} terminou em falha: {context.failure_event.message or 'sem mensagem'}. "
              "Veja os detalhes na interface do Dagster.", destinatario="OPERADOR")

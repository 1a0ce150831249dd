"""Sensors of the notifications that leave the app: the outbox is drained every minute, and the robot API's
``/health`` is watched (cursor: ``OK`` or the key of the open outage notification, so down and recovery notify once
each)."""

import dagster as dg

from beg_pipeline.resources import BancoResource, ConfiguracaoResource
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.services import alertas, envios_notificacao


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def envios_notificacao_sensor(context: dg.SensorEvaluationContext, banco: BancoResource) -> dg.SensorResult:
    """Sends the due e-mails and webhook calls (the same function as ``beg notificacoes enviar``)."""
    resumo = envios_notificacao.enviar_pendentes(banco.contexto())
    context.log.info(f"notificações: {resumo}")
    return dg.SensorResult(skip_reason=dg.SkipReason(f"notificações: {resumo}"))


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def saude_robo_sensor(context: dg.SensorEvaluationContext, banco: BancoResource,
                      configuracao: ConfiguracaoResource) -> dg.SensorResult:
    """One ``GET /health`` per tick, without retries (the next tick is the retry)."""
    settings = configuracao.settings()
    client = RpaClient.from_settings(settings, max_retries=0, timeout_s=min(settings.rpa_timeout_s, 15.0))
    try:
        estado = alertas.verificar_robo(banco.contexto(), client, context.cursor)
    finally:
        client.close()
    texto = "API do robô no ar" if estado == alertas.OK else "API do robô fora do ar (notificado)"
    return dg.SensorResult(skip_reason=dg.SkipReason(texto), cursor=estado)

"""One month's downloads split by carrier, so several Celery workers share a month.

``downloads_por_operadora_job`` is partitioned month × carrier (``mes`` = the monthly partitions, ``operadora`` = the
dynamic partitions ``operadoras``, kept equal to the carriers with a robot by ``operadoras_sensor``). Each run
downloads one carrier's invoices of one month and records a materialization of the ``faturas`` asset's *month*
partition, so ops keep seeing (and backfilling) months: a backfill of N months × all carriers fans out into N × C
runs. Dagster tags every run with ``dagster/partition/operadora``; the run queue limits those per carrier
(``tag_concurrency_limits`` in deploy/dagster.producao.yaml), and the robot budget in the database holds across
workers. The ``faturas`` asset and its monthly jobs stay as they were (whole month in one run).
"""

import datetime as dt

import dagster as dg

from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.domain.perfis import SISTEMA
from beg_pipeline.resources import ArmazenamentoResource, BancoResource, RoboResource
from beg_pipeline.services.cadastros import listar_operadoras
from beg_pipeline.services.notificacoes import notificar_vencimentos
from beg_pipeline.services.robos import baixar_faturas

OPERADORAS = dg.DynamicPartitionsDefinition(name="operadoras")
DIMENSAO_MES, DIMENSAO_OPERADORA = "mes", "operadora"
TAG_OPERADORA = f"dagster/partition/{DIMENSAO_OPERADORA}"


def particoes_mes_operadora(mensais: dg.PartitionsDefinition) -> dg.MultiPartitionsDefinition:
    """Keys ``2026-11-01|VIVO``: the month first, as ops read it."""
    return dg.MultiPartitionsDefinition({DIMENSAO_MES: mensais, DIMENSAO_OPERADORA: OPERADORAS})


@dg.op(description="Baixa as faturas pendentes de uma operadora em um mês.")
def baixar_faturas_da_operadora(context: dg.OpExecutionContext, banco: BancoResource,
                                armazenamento: ArmazenamentoResource, robo: RoboResource) -> None:
    chaves = context.partition_key.keys_by_dimension
    particao, operadora = chaves[DIMENSAO_MES], chaves[DIMENSAO_OPERADORA]
    contexto = banco.contexto()
    mes_ano = mes_ano_de_particao(particao)
    hoje = dt.datetime.now(contexto.settings.tz).date()
    with robo.client() as client:
        resumo = baixar_faturas(contexto, armazenamento.store(), client, mes_ano, hoje=hoje, log=context.log.info,
                                apenas_operadora=operadora)
    notificar_vencimentos(contexto, mes_ano, hoje)
    context.log_event(dg.AssetMaterialization(asset_key="faturas", partition=particao,
                                              metadata={"mes_ano": mes_ano, "operadora": operadora,
                                                        **resumo.metadados()}))


def construir_job(mensais: dg.PartitionsDefinition) -> dg.JobDefinition:
    @dg.job(name="downloads_por_operadora_job", partitions_def=particoes_mes_operadora(mensais),
            description="Downloads de um mês divididos por operadora (um run por mês × operadora).")
    def downloads_por_operadora_job():
        baixar_faturas_da_operadora()

    return downloads_por_operadora_job


@dg.sensor(minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Mantém as partições 'operadoras' iguais às operadoras ativas com robô.")
def operadoras_sensor(context: dg.SensorEvaluationContext, banco: BancoResource) -> dg.SensorResult:
    codigos = {o.codigo for o in listar_operadoras(banco.contexto(), SISTEMA) if o.possui_rpa and o.status_ativo}
    novas = sorted(codigos - set(context.instance.get_dynamic_partitions(OPERADORAS.name)))
    return dg.SensorResult(dynamic_partitions_requests=[OPERADORAS.build_add_request(novas)] if novas else [],
                           skip_reason=None if novas else "operadoras já sincronizadas")

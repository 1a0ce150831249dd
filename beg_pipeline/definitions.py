"""The Dagster code location (loaded by workspace.yaml): definitions built from the settings when Dagster loads
them, not at import, so BEG_PARTITIONS_START and BEG_CRON_* (or a ConfiguracaoResource override) reach the
partitions and schedules."""

import dagster as dg

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.assets.processos_mensais import processos_mensais
from beg_pipeline.assets.relatorio_mensal import relatorio_mensal
from beg_pipeline.checks.decisoes_das_pessoas import decisoes_das_pessoas
from beg_pipeline.checks.verificacoes_mensais import verificacoes_mensais
from beg_pipeline.downloads_por_operadora import construir_job, operadoras_sensor
from beg_pipeline.jobs import todos as jobs
from beg_pipeline.partitions import nas_particoes, particoes_mensais
from beg_pipeline.resources import ConfiguracaoResource, recursos
from beg_pipeline.schedules import construir_agendamentos
from beg_pipeline.sensors.aprovacoes import aprovacoes_sensor
from beg_pipeline.sensors.falhas import falhas_de_execucao_sensor
from beg_pipeline.sensors.notificacoes import envios_notificacao_sensor, saude_robo_sensor


def construir_definicoes(configuracao: ConfiguracaoResource | None = None) -> dg.Definitions:
    """Assets, checks, jobs, schedules and sensors on the partitions and cron times of ``configuracao``'s settings
    (the ``BEG_`` variables, fields set on it winning), with the resources built from the same configuration."""
    configuracao = configuracao or ConfiguracaoResource()
    settings = configuracao.settings()
    particoes = particoes_mensais(settings)
    return dg.Definitions(
        assets=[nas_particoes(a, particoes) for a in (processos_mensais, faturas, envios_sat, relatorio_mensal)],
        asset_checks=[*verificacoes_mensais(particoes), decisoes_das_pessoas(particoes)],
        jobs=[*jobs, construir_job(particoes)],
        schedules=construir_agendamentos(settings),
        sensors=[aprovacoes_sensor, falhas_de_execucao_sensor, envios_notificacao_sensor, saude_robo_sensor,
                 operadoras_sensor],
        resources=recursos(configuracao),
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return construir_definicoes()

"""The Dagster code location (loaded by workspace.yaml)."""

import dagster as dg

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.assets.processos_mensais import processos_mensais
from beg_pipeline.assets.relatorio_mensal import relatorio_mensal
from beg_pipeline.checks.verificacoes_mensais import verificacoes_mensais
from beg_pipeline.jobs import todos as jobs
from beg_pipeline.resources import recursos
from beg_pipeline.schedules import construir_agendamentos
from beg_pipeline.sensors.aprovacoes import aprovacoes_sensor
from beg_pipeline.sensors.falhas import falhas_de_execucao_sensor

defs = dg.Definitions(
    assets=[processos_mensais, faturas, envios_sat, relatorio_mensal],
    asset_checks=verificacoes_mensais,
    jobs=jobs,
    schedules=construir_agendamentos(),
    sensors=[aprovacoes_sensor, falhas_de_execucao_sensor],
    resources=recursos(),
    executor=dg.in_process_executor,
)

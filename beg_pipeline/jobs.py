"""Jobs ops launch (and schedules and sensors target)."""

import datetime as dt

import dagster as dg

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.assets.processos_mensais import processos_mensais
from beg_pipeline.assets.relatorio_mensal import relatorio_mensal
from beg_pipeline.resources import ArmazenamentoResource, BancoResource
from beg_pipeline.services import alertas, manutencao

ciclo_mensal_job = dg.define_asset_job(
    "ciclo_mensal_job", selection=dg.AssetSelection.assets(processos_mensais, faturas, envios_sat, relatorio_mensal),
    description="O mês inteiro: processos, downloads, envios ao SAT e relatório.")
processos_job = dg.define_asset_job("processos_job", selection=[processos_mensais],
                                    description="Abre os processos do mês.")
downloads_job = dg.define_asset_job("downloads_job", selection=[faturas, envios_sat],
                                    description="Baixa as faturas pendentes e envia ao SAT as aprovadas.")
envios_sat_job = dg.define_asset_job("envios_sat_job", selection=[envios_sat],
                                     description="Envia ao SAT as faturas aprovadas do mês.")
relatorio_job = dg.define_asset_job("relatorio_job", selection=[relatorio_mensal],
                                    description="Gera o relatório mensal.")


@dg.op
def arquivar_logs(context: dg.OpExecutionContext, banco: BancoResource, armazenamento: ArmazenamentoResource) -> int:
    """Archives robot logs older than BEG_LOG_RETENTION_DAYS to the object store, then trims them."""
    contexto = banco.contexto()
    n = manutencao.arquivar_logs_antigos(contexto, armazenamento.store(), contexto.settings.log_retention_days)
    context.log.info(f"{n} execuções com logs arquivados")
    return n


@dg.op
def copiar_banco(context: dg.OpExecutionContext, banco: BancoResource, armazenamento: ArmazenamentoResource) -> str:
    """Backs the database up into the object store (restore with `beg db restaurar CHAVE`)."""
    chave = manutencao.backup_banco(banco.contexto(), armazenamento.store())
    context.log.info(f"backup gravado em {chave}")
    return chave


@dg.op(config_schema={"hoje": dg.Field(str, is_required=False, description="AAAA-MM-DD; default: hoje (local)")})
def emitir_alertas_diarios(context: dg.OpExecutionContext, banco: BancoResource) -> dict:
    """Due dates, late downloads and the approvers' digest (notified once each; e-mailed by the outbox sensor)."""
    contexto = banco.contexto()
    dia = context.op_config.get("hoje")
    hoje = dt.date.fromisoformat(dia) if dia else dt.datetime.now(contexto.settings.tz).date()
    criadas = alertas.alertas_diarios(contexto, hoje)
    context.log.info(f"alertas de {hoje}: {criadas}")
    return criadas


@dg.job(description="Alertas diários: vencimentos, downloads atrasados e resumo para os aprovadores.")
def alertas_diarios_job():
    emitir_alertas_diarios()


@dg.job(description="Arquiva e apaga logs de execução antigos.")
def limpeza_logs_job():
    arquivar_logs()


@dg.job(description="Backup diário do banco no armazenamento de objetos.")
def backup_job():
    copiar_banco()


todos = [ciclo_mensal_job, processos_job, downloads_job, envios_sat_job, relatorio_job, limpeza_logs_job, backup_job,
         alertas_diarios_job]

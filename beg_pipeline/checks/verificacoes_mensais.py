"""Checks of a month: every client has a process, nothing stuck, invoices readable and unique, amounts plausible."""

import dagster as dg

from beg_pipeline.assets.metadados import tabela
from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.resources import ArmazenamentoResource, BancoResource
from beg_pipeline.services import verificacoes


def verificacoes_mensais(particoes: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    """The checks of a month, on ``particoes`` (the same partitions as the assets they check)."""

    @dg.asset_check(asset="processos_mensais", partitions_def=particoes,
                    description="Todo cliente ativo de operadora ativa tem processo no mês. Metadados: "
                                "sem_processo (quantidade) e os clientes faltando.")
    def todo_cliente_ativo_tem_processo(context: dg.AssetCheckExecutionContext,
                                        banco: BancoResource) -> dg.AssetCheckResult:
        faltando = verificacoes.clientes_ativos_sem_processo(banco.contexto(),
                                                             mes_ano_de_particao(context.partition_key))
        return dg.AssetCheckResult(passed=not faltando, metadata={"sem_processo": len(faltando),
                                                                  "clientes": ", ".join(faltando[:50]) or "—"})

    @dg.asset_check(asset="faturas", partitions_def=particoes,
                    description="Nenhuma execução de robô do mês parada em andamento além do prazo do job "
                                "(BEG_RPA_JOB_TIMEOUT_S + 10 %). Metadados: presas (quantidade) e a tabela delas.")
    def nada_preso_em_execucao(context: dg.AssetCheckExecutionContext, banco: BancoResource) -> dg.AssetCheckResult:
        presas = verificacoes.execucoes_presas(banco.contexto(), mes_ano_de_particao(context.partition_key))
        return dg.AssetCheckResult(passed=not presas,
                                   metadata={"presas": len(presas), "execucoes": tabela(presas)})

    @dg.asset_check(asset="faturas", partitions_def=particoes,
                    description="Cada fatura guardada do mês existe no armazenamento com o conteúdo registrado "
                                "(SHA-256), é um PDF legível (conferido de novo só o que não passou pela conferência "
                                "na chegada, como PDFs do legado) e não repete o PDF de outro processo. Metadados: "
                                "problemas (quantidade) e a tabela.")
    def faturas_legiveis_e_unicas(context: dg.AssetCheckExecutionContext, banco: BancoResource,
                                  armazenamento: ArmazenamentoResource) -> dg.AssetCheckResult:
        problemas = verificacoes.faturas_com_problema(banco.contexto(), armazenamento.store(),
                                                      mes_ano_de_particao(context.partition_key))
        return dg.AssetCheckResult(passed=not problemas, metadata={"problemas": len(problemas),
                                                                   "faturas": tabela(problemas)})

    @dg.asset_check(asset="faturas", partitions_def=particoes,
                    description="Aviso (não bloqueia): valores a mais de 50 % da mediana dos 6 anteriores do "
                                "cliente. "
                                "Metadados: anomalias (quantidade) e a tabela das faturas.")
    def valores_plausiveis(context: dg.AssetCheckExecutionContext, banco: BancoResource) -> dg.AssetCheckResult:
        anomalias = verificacoes.anomalias_de_valor(banco.contexto(), mes_ano_de_particao(context.partition_key))
        return dg.AssetCheckResult(passed=not anomalias, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"anomalias": len(anomalias), "faturas": tabela(anomalias)})

    return [todo_cliente_ativo_tem_processo, nada_preso_em_execucao, faturas_legiveis_e_unicas, valores_plausiveis]

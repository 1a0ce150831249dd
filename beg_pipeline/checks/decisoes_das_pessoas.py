"""Asset check of ``faturas``: the month's approval state (waiting, overdue, blocked, approved), so the asset graph
shows a month held up by people rather than by robots."""

import datetime as dt

import dagster as dg

from beg_pipeline.assets.metadados import tabela
from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.resources import BancoResource
from beg_pipeline.services import sinais


def decisoes_das_pessoas(particoes: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset="faturas", partitions_def=particoes,
                    description="Faturas do mês aguardando aprovação, vencidas sem aprovação, bloqueadas por um "
                                "sinal e aprovadas; falha (aviso) quando há vencidas ou bloqueadas.")
    def aprovacoes_em_dia(context: dg.AssetCheckExecutionContext, banco: BancoResource) -> dg.AssetCheckResult:
        contexto = banco.contexto()
        situacao = sinais.decisoes_do_mes(contexto, mes_ano_de_particao(context.partition_key),
                                          dt.datetime.now(contexto.settings.tz).date())
        retidas = situacao.pop("retidas")
        return dg.AssetCheckResult(passed=not retidas, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={**situacao, "retidas": tabela(retidas)})

    return aprovacoes_em_dia

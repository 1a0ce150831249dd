"""Asset ``envios_sat``: the robot uploads every approved invoice of the month to SAT, once."""

import dagster as dg

from beg_pipeline.assets.faturas import faturas
from beg_pipeline.assets.metadados import tabela
from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.partitions import PARTICOES_PADRAO
from beg_pipeline.resources import BancoResource, RoboResource
from beg_pipeline.services.acoes_processo import processo_da_run
from beg_pipeline.services.robos import enviar_ao_sat


@dg.asset(partitions_def=PARTICOES_PADRAO, group_name="ciclo_mensal", deps=[faturas], kinds={"python"})
def envios_sat(context: dg.AssetExecutionContext, banco: BancoResource, robo: RoboResource) -> dg.MaterializeResult:
    """AGUARDANDO_ENVIO_SAT → UPLOAD_REALIZADO; an in-flight SAT job is adopted, a process never sent twice. A run
    tagged ``beg/processo`` ("enviar ao SAT agora" in the app) handles only that process."""
    mes_ano = mes_ano_de_particao(context.partition_key)
    with robo.client() as client:
        resumo = enviar_ao_sat(banco.contexto(), client, mes_ano, log=context.log.info,
                               processo_id=processo_da_run(context))
    return dg.MaterializeResult(metadata={"mes_ano": mes_ano, **resumo.metadados(),
                                          "processos": tabela(resumo.linhas)})

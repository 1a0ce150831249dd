"""The month × carrier job: one run downloads one carrier's invoices of one month and ops see the month."""

from __future__ import annotations

from collections import Counter

import dagster as dg
from sqlalchemy import select

from beg_pipeline.db.models import Cliente, Operadora, Processo
from beg_pipeline.definitions import construir_definicoes
from beg_pipeline.downloads_por_operadora import OPERADORAS, TAG_OPERADORA, operadoras_sensor
from beg_pipeline.resources import BancoResource, ConfiguracaoResource
from beg_pipeline.services import cadastros
from tests.builders import ADMIN, mes_com_processos
from tests.pipeline_fixtures import simulador


def _status_por_operadora(ctx) -> Counter:
    with ctx.db.leitura() as s:
        return Counter(s.execute(
            select(Operadora.codigo, Processo.status_processo).join(Cliente, Processo.cliente_id == Cliente.id)
            .join(Operadora, Cliente.operadora_id == Operadora.id)).all())


def test_a_month_carrier_run_downloads_only_that_carrier_and_records_the_month(ctx, pipeline_env):
    processos = mes_com_processos(ctx, n_clientes=8, mes_ano="11/2026")
    with dg.DagsterInstance.ephemeral() as instancia, simulador() as sim:
        instancia.add_dynamic_partitions(OPERADORAS.name, ["OI", "VIVO"])
        job = construir_definicoes(ConfiguracaoResource(rpa_url=sim.base_url)).resolve_job_def(
            "downloads_por_operadora_job")
        chave = dg.MultiPartitionKey({"mes": "2026-11-01", "operadora": "OI"})
        resultado = job.execute_in_process(partition_key=chave, instance=instancia)
        assert resultado.success
        run = instancia.get_run_by_id(resultado.run_id)
        assert run.tags[TAG_OPERADORA] == "OI" and run.tags["dagster/partition/mes"] == "2026-11-01"
        assert instancia.get_materialized_partitions(dg.AssetKey("faturas")) == {"2026-11-01"}
        (evento,) = instancia.fetch_materializations(dg.AssetKey("faturas"), limit=10).records
        assert evento.asset_materialization.metadata["operadora"].value == "OI"
        assert evento.asset_materialization.metadata["concluidos"].value == 2
    status = _status_por_operadora(ctx)
    assert status[("OI", "AGUARDANDO_APROVACAO")] == 2
    assert sum(n for (codigo, _), n in status.items() if codigo != "OI") == len(processos) - 2
    assert all(s == "AGUARDANDO_DOWNLOAD" for (codigo, s) in status if codigo != "OI")
    assert len(sim.submissoes_por_processo) == 2


def test_the_carrier_partitions_follow_the_active_carriers_with_a_robot(ctx, pipeline_env):
    mes_com_processos(ctx, n_clientes=4)
    cadastros.garantir_operadora(ctx, ADMIN, "SEMROBO", possui_rpa=False)
    banco = BancoResource(configuracao=ConfiguracaoResource())
    with dg.DagsterInstance.ephemeral() as instancia, \
            dg.build_sensor_context(instance=instancia, resources={"banco": banco}) as contexto:
        resultado = operadoras_sensor(contexto)
        (pedido,) = resultado.dynamic_partitions_requests
        instancia.add_dynamic_partitions(pedido.partitions_def_name, list(pedido.partition_keys))
        assert sorted(instancia.get_dynamic_partitions(OPERADORAS.name)) == ["DIGITALNET", "EMBRATEL", "OI", "VIVO"]
        assert not operadoras_sensor(contexto).dynamic_partitions_requests

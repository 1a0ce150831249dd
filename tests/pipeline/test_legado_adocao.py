"""A robot job the legacy left running is adopted by the next ``faturas`` run, never submitted again."""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
from click.testing import CliRunner
from sqlalchemy import select

from beg_pipeline.assets.faturas import faturas
from beg_pipeline.cli import cli
from beg_pipeline.db.models import Execucao, Processo
from beg_pipeline.rpa.contrato import PedidoDownload, RpaClient
from beg_pipeline.settings import load_settings
from tests.legado_fixture import CANARIO, LegadoFicticio, cnpj_ficticio
from tests.pipeline_fixtures import recursos_para, simulador


def test_legacy_job_in_flight_is_adopted_without_a_second_submit(ctx, pipeline_env, tmp_path):
    cnpj = cnpj_ficticio(0)  # the OI client "c/oi" of the fixture
    with simulador() as sim:
        # the legacy submitted this job (without a processo_id) and stopped following it
        with RpaClient.from_settings(load_settings(rpa_url=sim.base_url)) as client:
            job_id = client.submeter_download("OI", PedidoDownload(login="acme", senha=CANARIO, filtro="FAT-1001",
                                                                   cnpj=cnpj)).job_id
        legado = LegadoFicticio(f"sqlite:///{tmp_path / 'legado.sqlite3'}", tmp_path / "bucket", sqlite=True,
                                job_em_voo=job_id).criar()
        try:
            resultado = CliRunner().invoke(cli, ["legado", "importar", "--url", legado.url, "--pdfs",
                                                 str(legado.pasta_pdfs)], env=pipeline_env, catch_exceptions=False)
        finally:
            legado.fechar()
        assert resultado.exit_code == 0, resultado.output
        processo_id = uuid.UUID(legado.processo_em_voo)
        with ctx.db.leitura() as s:
            assert s.scalar(select(Execucao.status_execucao).where(Execucao.job_id == job_id)) == "EXECUTANDO"
        dagster_home = tmp_path / "dagster"
        dagster_home.mkdir()
        with dg.DagsterInstance.local_temp(str(dagster_home)) as instancia:
            run = dg.materialize([faturas], partition_key="2026-11-01", resources=recursos_para(sim),
                                 instance=instancia)
            assert run.success
            mensagens = "\n".join(e.user_message for e in instancia.all_logs(run.run_id))
        assert f"adotando o job {job_id}" in mensagens
        assert str(processo_id) not in sim.submissoes_por_processo  # the new system never submitted it
        assert sum(1 for job in sim.jobs.values() if getattr(job.pedido, "cnpj", None) == cnpj) == 1
    with ctx.db.leitura() as s:
        execucao = s.scalar(select(Execucao).where(Execucao.job_id == job_id))
        processo = s.get(Processo, processo_id)
    assert execucao.status_execucao == "CONCLUIDO" and execucao.processo_id == processo_id
    assert processo.status_processo == "AGUARDANDO_APROVACAO" and processo.fatura_sha256
    for arquivo in Path(dagster_home).rglob("*"):  # nor does the canary reach Dagster's storage
        if arquivo.is_file():
            assert CANARIO.encode() not in arquivo.read_bytes(), arquivo

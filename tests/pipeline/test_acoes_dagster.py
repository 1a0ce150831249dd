"""One-process runs and run termination through a real Dagster webserver + daemon and the robot simulator:
"Baixar agora" in the app starts a run for that process only (linked in the app); terminating a run mid-download
cancels its robot jobs, which end CANCELADO at the robot and in the database."""

from __future__ import annotations

import time

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient
from sqlalchemy import select

from beg_pipeline.db.models import Auditoria, Execucao
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import processos
from beg_pipeline.services.acoes_processo import TAG_PROCESSO
from tests.app_fixtures import botao, entrar, ir, mensagens
from tests.builders import mes_com_processos, pessoa
from tests.dagster_servicos import dagster_no_ar, preparar_home
from tests.pipeline.test_dagster_servicos import _esperar_fim
from tests.pipeline_fixtures import simulador
from tests.servicos.test_acoes_processo import LENTO


def _aguardar(condicao, timeout: float = 120, mensagem: str = "") -> None:
    limite = time.monotonic() + timeout
    while not condicao():
        if time.monotonic() > limite:
            raise AssertionError(f"condição não atingida em {timeout} s: {mensagem}")
        time.sleep(0.2)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_download_now_in_the_app_runs_dagster_for_that_process_only(ctx, pipeline_env, app_env, tmp_path,
                                                                     monkeypatch):
    alvo, *outros = mes_com_processos(ctx, n_clientes=3)
    pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    home = preparar_home(tmp_path / "dagster_home")
    with simulador() as sim, dagster_no_ar(home, {**pipeline_env, "BEG_RPA_URL": sim.base_url}, tmp_path) as porta:
        monkeypatch.setenv("BEG_DAGSTER_URL", f"http://127.0.0.1:{porta}")
        at = ir(entrar("operador@beg.com.br"), "processo_detalhe", id=str(alvo.id))
        botao(at, "Baixar agora").click().run()
        assert not at.exception, at.exception
        with ctx.db.leitura() as s:
            [registro] = s.scalars(select(Auditoria).where(Auditoria.acao == "EXECUTAR_AGORA_BAIXAR"))
        run_id = registro.detalhes["run_id"]
        [aviso] = mensagens(at, "success")
        assert f"http://127.0.0.1:{porta}/runs/{run_id}" in aviso
        client = DagsterGraphQLClient("127.0.0.1", port_number=porta)
        fim = _esperar_fim(client, run_id)
        assert fim == dg.DagsterRunStatus.SUCCESS, (tmp_path / "daemon.log").read_text()[-3000:]
        assert dict(sim.submissoes_por_processo) == {str(alvo.id): 1}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run.tags[TAG_PROCESSO] == str(alvo.id) and run.tags["dagster/partition"] == "2026-11-01"
    assert processos.obter_processo(ctx, alvo.id).status_processo == "AGUARDANDO_APROVACAO"
    assert {processos.obter_processo(ctx, p.id).status_processo for p in outros} == {"AGUARDANDO_DOWNLOAD"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_terminating_a_run_mid_download_leaves_no_robot_job_running(ctx, pipeline_env, tmp_path):
    procs = mes_com_processos(ctx, n_clientes=3)
    home = preparar_home(tmp_path / "dagster_home")
    with simulador(LENTO) as sim, dagster_no_ar(home, {**pipeline_env, "BEG_RPA_URL": sim.base_url,
                                                       "BEG_RPA_JOB_TIMEOUT_S": "600"}, tmp_path) as porta:
        client = DagsterGraphQLClient("127.0.0.1", port_number=porta)
        run_id = client.submit_job_execution("downloads_job", asset_selection=["faturas"],
                                             tags={"dagster/partition": "2026-11-01"})

        def jobs_registrados() -> bool:
            with ctx.db.leitura() as s:
                return len([e for e in s.scalars(select(Execucao)) if e.job_id]) == len(procs)

        assert sim.aguardar(lambda s: s.contar("RUNNING") + s.contar("PENDING") == len(procs), timeout=120), \
            (tmp_path / "daemon.log").read_text()[-3000:]
        _aguardar(jobs_registrados, mensagem="job ids gravados")
        client.terminate_run(run_id)
        assert _esperar_fim(client, run_id) == dg.DagsterRunStatus.CANCELED
        assert sim.contar("RUNNING") + sim.contar("PENDING") == 0
        assert sim.contar("CANCELLED") == len(procs)
    with ctx.db.leitura() as s:
        assert [e.status_execucao for e in s.scalars(select(Execucao))] == ["CANCELADO"] * len(procs)
    assert {processos.obter_processo(ctx, p.id).status_processo for p in procs} == {"AGUARDANDO_DOWNLOAD"}

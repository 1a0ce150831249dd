"""deploy/ says what `make prod-local` does: the same commands, image and BEG_*/DAGSTER_* variables, so they cannot
drift (the files cannot run here: no Docker engine, no cluster, no systemd)."""

from __future__ import annotations

import configparser
import re
import shlex

import pytest
import yaml

from beg_pipeline.producao import topologia
from scripts import prod_local
from tests.dagster_servicos import RAIZ

DEPLOY = RAIZ / "deploy"
VARIAVEL = re.compile(r"\b(?:BEG|DAGSTER)_[A-Z0-9_]+\b")
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
PRODUCAO = yaml.safe_load((DEPLOY / "dagster.producao.yaml").read_text())
UNIDADES = {"webserver": "beg-webserver.service", "webserver-leitura": "beg-webserver-leitura.service",
            "daemon": "beg-daemon.service", "worker": "beg-worker@.service", "aprovacao": "beg-aprovacao.service"}


def _variaveis(texto: str) -> set[str]:
    return set(VARIAVEL.findall(texto)) - {"DAGSTER_CELERY_BROKER_HOST"}


def test_prod_local_sets_every_variable_of_the_topology(tmp_path):
    env = prod_local.ambiente({"BEG_DATA_DIR": str(tmp_path / "dados"), "DAGSTER_HOME": str(tmp_path / "home")})
    assert set(env) == set(topologia.VARIAVEIS)
    assert env["BEG_SECRET_KEY"] and env["BEG_RPA_TOKEN"]
    comandos = prod_local.comandos(env)
    assert {n for n in comandos if n != "simulador"} == ({p.nome for p in topologia.PROCESSOS} - {"worker"}
                                                         | set(topologia.WORKERS_LOCAIS))
    assert comandos["worker2"][0][1:] == topologia.WORKER.argv(nome="worker2")[1:]


@pytest.mark.parametrize("processo", topologia.PROCESSOS, ids=lambda p: p.nome)
def test_compose_runs_the_same_commands_with_the_same_image_and_variables(processo):
    servico = COMPOSE["services"][processo.nome]
    assert servico["command"] == processo.argv(host="0.0.0.0", nome="worker")
    assert servico["image"].split(":")[0] == topologia.IMAGEM
    assert set(servico["environment"]) == set(topologia.VARIAVEIS)


def test_the_example_environment_file_lists_every_variable_once():
    linhas = [linha for linha in (DEPLOY / "beg.env.exemplo").read_text().splitlines()
              if linha and not linha.startswith("#")]
    nomes = [linha.split("=", 1)[0] for linha in linhas]
    assert sorted(nomes) == sorted(topologia.VARIAVEIS)
    assert all(" #" not in linha for linha in linhas), "systemd reads an inline comment as part of the value"


@pytest.mark.parametrize("processo", topologia.PROCESSOS, ids=lambda p: p.nome)
def test_systemd_units_run_the_same_commands(processo):
    unidade = configparser.ConfigParser(interpolation=None, strict=True)
    unidade.optionxform = str
    unidade.read_string((DEPLOY / "systemd" / UNIDADES[processo.nome]).read_text())
    servico = unidade["Service"]
    assert servico["EnvironmentFile"] == "/etc/beg/beg.env"
    argv = shlex.split(servico["ExecStart"].replace("%i", "1").replace("%%", "%"))
    assert argv[0].endswith(f"/.venv/bin/{processo.comando[0]}")
    assert argv[1:] == processo.argv(nome="worker1")[1:]


def test_helm_values_use_the_image_the_variables_and_the_queue_rules_of_the_topology():
    texto = (DEPLOY / "helm" / "values.yaml").read_text()
    valores = yaml.safe_load(texto)
    (codigo,) = valores["dagster-user-deployments"]["deployments"]
    assert codigo["image"]["repository"] == topologia.IMAGEM
    assert codigo["dagsterApiGrpcArgs"][:2] == ["-m", "beg_pipeline.definitions"]
    assert set(topologia.VARIAVEIS_BEG) <= _variaveis(texto) <= set(topologia.VARIAVEIS)
    fila = valores["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    coordenador = PRODUCAO["run_coordinator"]["config"]
    assert coordenador["max_concurrent_runs"] == {"env": "DAGSTER_MAX_CONCURRENT_RUNS"}
    assert isinstance(fila["maxConcurrentRuns"], int)
    assert fila["tagConcurrencyLimits"] == coordenador["tag_concurrency_limits"]
    monitoramento = valores["dagsterDaemon"]["runMonitoring"]
    assert monitoramento["maxRuntimeSeconds"] == PRODUCAO["run_monitoring"]["max_runtime_seconds"]
    assert monitoramento["maxResumeRunAttempts"] == PRODUCAO["run_monitoring"]["max_resume_run_attempts"]
    assert valores["dagsterDaemon"]["runRetries"]["maxRetries"] == PRODUCAO["run_retries"]["max_retries"]


def test_every_dagster_variable_the_instance_reads_is_in_the_topology():
    assert _variaveis((DEPLOY / "dagster.producao.yaml").read_text()) <= set(topologia.VARIAVEIS)
    assert _variaveis((DEPLOY / "Dockerfile").read_text()) <= set(topologia.VARIAVEIS)


def test_the_dockerfile_installs_the_package_and_the_production_instance_config():
    texto = (DEPLOY / "Dockerfile").read_text()
    assert "pip install --no-cache-dir ." in texto
    assert "deploy/dagster.producao.yaml /opt/dagster/home/dagster.yaml" in texto
    assert COMPOSE["x-beg"]["environment"]["DAGSTER_HOME"].startswith("/opt/dagster/home")


def test_the_reverse_proxy_guards_both_dagster_webservers():
    texto = (DEPLOY / "nginx" / "beg.conf").read_text()
    blocos = re.split(r"\nserver \{", texto)
    for porta in (topologia.WEBSERVER.porta, topologia.WEBSERVER_LEITURA.porta):
        (bloco,) = [b for b in blocos if f"proxy_pass http://127.0.0.1:{porta};" in b]
        assert re.search(r"^\s*auth_basic_user_file \S+;", bloco, re.M), porta
    assert "--read-only" in topologia.WEBSERVER_LEITURA.comando

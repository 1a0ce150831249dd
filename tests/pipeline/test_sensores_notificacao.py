"""Dagster side of the notifications that leave the app: the robot API health sensor (down and back, once each),
the outbox sensor, the daily alerts job and schedule, and `beg notificacoes enviar`."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest

from beg_pipeline.definitions import construir_definicoes
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.jobs import alertas_diarios_job
from beg_pipeline.resources import ConfiguracaoResource, recursos
from beg_pipeline.sensors.notificacoes import envios_notificacao_sensor, saude_robo_sensor
from beg_pipeline.services import alertas, envios_notificacao, notificacoes
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import load_settings
from tests.builders import baixar, mes_com_processos, pessoa
from tests.notificacao_servidores import ServidorSmtp
from tests.pipeline_fixtures import recursos_para, simulador


def _saude(sim, cursor: str | None) -> dg.SensorResult:
    recursos_sim = recursos_para(sim)
    with dg.build_sensor_context(cursor=cursor, resources={k: recursos_sim[k] for k in ("banco", "configuracao")}) \
            as context:
        return saude_robo_sensor(context)


def _assuntos(ctx: Contexto) -> list[tuple[str, bool]]:
    return sorted((n.assunto.split(" desde ")[0].split(" em ")[0], n.data_resolucao is not None)
                  for n in notificacoes.todas(ctx))


def test_health_sensor_notifies_once_when_the_robot_api_goes_down_and_once_when_it_is_back(ctx, pipeline_env):
    with simulador() as sim:
        porta = int(sim.base_url.rsplit(":", 1)[1])
        cursor = _saude(sim, None).cursor
        assert cursor == alertas.OK and notificacoes.todas(ctx) == []

        sim.stop()
        fora = _saude(sim, cursor).cursor
        assert fora.startswith(alertas.CHAVE_ROBO_FORA)
        assert _saude(sim, fora).cursor == fora
        assert _assuntos(ctx) == [("API do robô fora do ar", False)]

        sim.start(port=porta)
        voltou = _saude(sim, fora).cursor
        assert voltou == alertas.OK
        assert _saude(sim, voltou).cursor == alertas.OK
        assert _assuntos(ctx) == [("API do robô fora do ar", True), ("API do robô voltou", False)]


@pytest.fixture
def smtp_env(monkeypatch, pipeline_env):
    servidor = ServidorSmtp()
    servidor.ligar()
    for nome, valor in {"BEG_SMTP_HOST": "127.0.0.1", "BEG_SMTP_PORT": str(servidor.porta),
                        "BEG_SMTP_TLS": "false"}.items():
        monkeypatch.setenv(nome, valor)
    yield servidor
    servidor.desligar()


def test_outbox_sensor_sends_the_queued_emails(smtp_env):
    ctx = Contexto(load_settings())
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    notificacoes.notificar(ctx, "Execução falhou", "detalhes", chave="teste:1")
    with dg.build_sensor_context(resources={"banco": recursos(ConfiguracaoResource())["banco"]}) as context:
        resultado = envios_notificacao_sensor(context)
    assert "1 enviadas" in resultado.skip_reason.skip_message
    assert [(m["To"], m["Subject"]) for m in smtp_env.mensagens] == [("op@beg.com.br", "Execução falhou")]
    ctx.db.dispose()


def test_beg_notificacoes_enviar_drains_once_from_the_command_line(smtp_env):
    ctx = Contexto(load_settings())
    pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    notificacoes.notificar(ctx, "Fatura vence amanhã", "aprove", destinatario=notificacoes.TODOS)
    comando = [sys.executable, "-m", "beg_pipeline.cli", "notificacoes", "enviar"]
    saida = subprocess.run(comando, env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    assert saida.returncode == 0, saida.stderr
    assert "1 enviadas, 0 adiadas" in saida.stdout
    assert [m["To"] for m in smtp_env.mensagens] == ["ap@beg.com.br"]
    assert [e.status_envio for e in envios_notificacao.envios(ctx)] == ["ENVIADO"]
    ctx.db.dispose()


def test_daily_alerts_job_sends_the_digest_to_approvers(smtp_env):
    ctx = Contexto(load_settings())
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    baixar(ctx, processo.id)
    pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    resultado = alertas_diarios_job.execute_in_process(
        resources=recursos(ConfiguracaoResource()),
        run_config={"ops": {"emitir_alertas_diarios": {"config": {"hoje": "2026-11-24"}}}})
    assert resultado.success and resultado.output_for_node("emitir_alertas_diarios")["resumo"] == 1
    envios_notificacao.enviar_pendentes(ctx)
    [email] = smtp_env.mensagens
    assert email["To"] == "ap@beg.com.br" and email["Subject"].startswith("Resumo de aprovações de 24/11/2026")
    assert "Aguardando aprovação: 1" in email.get_content()
    ctx.db.dispose()


def test_the_alerts_schedule_and_notification_sensors_are_registered(monkeypatch):
    monkeypatch.setenv("BEG_CRON_RESUMO", "0 8 * * 1-5")
    definicoes = construir_definicoes()
    assert definicoes.resolve_schedule_def("alertas_diarios_schedule").cron_schedule == "0 8 * * 1-5"
    nomes = {s.name for s in definicoes.sensors}
    assert {"envios_notificacao_sensor", "saude_robo_sensor"} <= nomes

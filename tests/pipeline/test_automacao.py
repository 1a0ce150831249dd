"""Sensors and schedules, evaluated with a fixed clock and real database rows."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from beg_pipeline.db import migracoes
from beg_pipeline.db.models import Auditoria, Evento
from beg_pipeline.definitions import construir_definicoes
from beg_pipeline.domain.execucao import TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.resources import ConfiguracaoResource, recursos
from beg_pipeline.schedules import mes
from beg_pipeline.sensors.aprovacoes import aprovacoes_sensor
from beg_pipeline.services import aprovacoes, auditoria, processos
from beg_pipeline.services.notificacoes import todas
from tests.builders import baixar, mes_com_processos, pessoa, visto

SP = ZoneInfo("America/Sao_Paulo")


def _tick(cursor=None):
    banco = recursos(ConfiguracaoResource())["banco"]
    with dg.build_sensor_context(cursor=cursor, resources={"banco": banco}) as context:
        return aprovacoes_sensor(context)


def test_approvals_in_two_months_request_two_runs_once(ctx, pipeline_env):
    outubro = mes_com_processos(ctx, n_clientes=2, mes_ano="10/2026")
    processos.criar_processos_do_mes(ctx, SISTEMA, "11/2026")
    novembro = processos.processos_do_mes(ctx, "11/2026")
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    assert isinstance(_tick().skip_reason, dg.SkipReason)
    for n, p in enumerate([*outubro, *novembro]):
        baixar(ctx, p.id, n)
        aprovacoes.aprovar(ctx, aprovador, p.id, sha256=visto(ctx, p.id))
    primeiro = _tick()
    pedidos = sorted(primeiro.run_requests, key=lambda r: r.partition_key)
    assert [r.partition_key for r in pedidos] == ["2026-10-01", "2026-11-01"]
    assert all(r.job_name in (None, "envios_sat_job") for r in pedidos)
    # a repeated tick from the same cursor (a restart) asks with the same run keys: Dagster launches nothing twice
    assert sorted(r.run_key for r in _tick().run_requests) == [r.run_key for r in pedidos]
    segundo = _tick(primeiro.cursor)
    assert not segundo.run_requests and segundo.skip_reason is not None
    # a new approval later asks again, only for its month, with a new run key
    extra = mes_com_processos(ctx, n_clientes=3, mes_ano="10/2026")[-1]
    baixar(ctx, extra.id, 99)
    aprovacoes.aprovar(ctx, aprovador, extra.id, sha256=visto(ctx, extra.id))
    terceiro = _tick(primeiro.cursor)
    assert [r.partition_key for r in terceiro.run_requests] == ["2026-10-01"]
    assert terceiro.run_requests[0].run_key not in {r.run_key for r in pedidos}


def test_renaming_the_approval_audit_action_does_not_stop_sat_runs(ctx, pipeline_env, monkeypatch):
    registrar = auditoria.registrar

    def renomeado(s, ator, acao, *args, **kwargs):
        return registrar(s, ator, "FATURA_APROVADA" if acao == "APROVAR" else acao, *args, **kwargs)

    monkeypatch.setattr(auditoria, "registrar", renomeado)  # as if someone renamed the audit text
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    for n, p in enumerate(mes_com_processos(ctx, n_clientes=2, mes_ano="10/2026")):
        baixar(ctx, p.id, n)
        aprovacoes.aprovar(ctx, aprovador, p.id, sha256=visto(ctx, p.id))
    with ctx.db.leitura() as s:
        assert s.scalar(select(func.count()).where(Auditoria.acao == "APROVAR")) == 0
        assert s.scalar(select(func.count()).where(Auditoria.acao == "FATURA_APROVADA")) == 2
    assert [r.partition_key for r in _tick().run_requests] == ["2026-10-01"]


def test_upgrade_carries_waiting_approvals_over_and_an_old_cursor_is_harmless(ctx, settings, pipeline_env):
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    enviado, esperando, nao_aprovado = mes_com_processos(ctx, n_clientes=3, mes_ano="10/2026")
    for n, p in enumerate([enviado, esperando, nao_aprovado]):
        baixar(ctx, p.id, n)
    for p in (enviado, esperando):
        aprovacoes.aprovar(ctx, aprovador, p.id, sha256=visto(ctx, p.id))
    execucao = processos.abrir_execucao(ctx, SISTEMA, enviado.id, TipoExecucao.UPLOAD_SAT)
    processos.concluir_envio_sat(ctx, execucao.id, {"protocolo": "1"})
    with ctx.db.leitura() as s:
        cursor_antigo = str(s.scalar(select(func.max(Auditoria.id))))  # the sensor's cursor before 0003: an audit id
    ctx.db.dispose()
    config = migracoes.alembic_config(settings.resolved_database_url)
    anterior = ScriptDirectory.from_config(config).get_revision("0003").down_revision
    command.downgrade(config, anterior)  # the database as it was before the events table
    command.upgrade(config, "head")
    with ctx.db.leitura() as s:
        assert s.execute(select(Evento.processo_id, Evento.mes_ano, Evento.tipo)).all() == [
            (esperando.id, "10/2026", "APROVADO")]  # only the approval still waiting for SAT
    [pedido] = _tick(cursor_antigo).run_requests
    assert pedido.partition_key == "2026-10-01" and ":evento:" in pedido.run_key
    assert not _tick(_tick(cursor_antigo).cursor).run_requests


def _avaliar(nome: str, quando: dt.datetime, defs: dg.Definitions | None = None) -> list[dg.RunRequest]:
    defs = defs or construir_definicoes()
    schedule = defs.resolve_schedule_def(nome)
    repositorio = defs.get_repository_def()
    with dg.build_schedule_context(scheduled_execution_time=quando, repository_def=repositorio) as context:
        return list(schedule.evaluate_tick(context).run_requests or [])


def test_schedules_target_the_right_months():
    assert [r.partition_key for r in _avaliar("processos_do_mes_schedule", dt.datetime(2026, 12, 1, 6, tzinfo=SP))] \
        == ["2026-12-01"]
    downloads = _avaliar("downloads_dias_uteis_schedule", dt.datetime(2026, 11, 30, 8, tzinfo=SP))
    assert [r.partition_key for r in downloads] == ["2026-10-01", "2026-11-01"]
    assert len({r.run_key for r in downloads}) == 2
    # 1 January, 00:30 in São Paulo is still 31 December nowhere else that matters: local time decides
    virada = _avaliar("downloads_dias_uteis_schedule", dt.datetime(2027, 1, 4, 8, tzinfo=SP))
    assert [r.partition_key for r in virada] == ["2026-12-01", "2027-01-01"]
    assert [r.partition_key for r in _avaliar("relatorio_mensal_schedule", dt.datetime(2026, 12, 5, 7, tzinfo=SP))] \
        == ["2026-11-01"]
    assert [r.partition_key for r in _avaliar("downloads_dias_uteis_schedule", dt.datetime(2025, 1, 6, 8, tzinfo=SP))] \
        == ["2025-01-01"]  # nothing before BEG_PARTITIONS_START


def test_schedule_crons_come_from_settings(monkeypatch):
    monkeypatch.setenv("BEG_CRON_DOWNLOADS", "30 9 * * 1-5")
    agendamentos = {s.name: s for s in construir_definicoes().schedules}
    assert agendamentos["downloads_dias_uteis_schedule"].cron_schedule == "30 9 * * 1-5"
    assert agendamentos["downloads_dias_uteis_schedule"].execution_timezone == "America/Sao_Paulo"
    assert agendamentos["processos_do_mes_schedule"].cron_schedule == "0 6 1 * *"


def test_settings_read_when_definitions_are_built_reach_partitions_and_schedules(monkeypatch):
    """Overrides given after the modules were imported (a variable, or a field of the configuration resource)
    reach the partitions' start, the schedules' cron and the months a schedule asks for."""
    monkeypatch.setenv("BEG_PARTITIONS_START", "2026-06-01")
    monkeypatch.setenv("BEG_CRON_PROCESSOS", "15 5 1 * *")
    defs = construir_definicoes()
    for chave in ("processos_mensais", "faturas", "envios_sat", "relatorio_mensal"):
        particoes = defs.resolve_assets_def(chave).partitions_def
        assert particoes.get_first_partition_key() == "2026-06-01", chave
    assert {spec.partitions_def.get_first_partition_key() for c in defs.asset_checks for spec in c.check_specs} \
        == {"2026-06-01"}
    trabalho = defs.resolve_job_def("downloads_job")
    assert trabalho.partitions_def.get_first_partition_key() == "2026-06-01"
    assert defs.resolve_schedule_def("processos_do_mes_schedule").cron_schedule == "15 5 1 * *"
    julho = dt.datetime(2026, 7, 1, 8, tzinfo=SP)  # June is the first month: May is never asked for
    assert [r.partition_key for r in _avaliar("downloads_dias_uteis_schedule", julho, defs)] == ["2026-06-01",
                                                                                                  "2026-07-01"]
    assert [r.partition_key for r in _avaliar("downloads_dias_uteis_schedule", julho.replace(month=6), defs)] \
        == ["2026-06-01"]

    monkeypatch.delenv("BEG_PARTITIONS_START")
    monkeypatch.delenv("BEG_CRON_PROCESSOS")
    recurso = ConfiguracaoResource(partitions_start="2026-03-01", cron_backup="45 1 * * *")
    defs = construir_definicoes(recurso)
    assert defs.resolve_assets_def("faturas").partitions_def.get_first_partition_key() == "2026-03-01"
    assert defs.resolve_schedule_def("backup_schedule").cron_schedule == "45 1 * * *"
    assert defs.resolve_schedule_def("processos_do_mes_schedule").cron_schedule == "0 6 1 * *"


def test_month_arithmetic():
    assert mes(dt.datetime(2026, 1, 15), -1) == "2025-12-01"
    assert mes(dt.datetime(2026, 12, 15), 1) == "2027-01-01"


def test_failed_run_becomes_a_notification(ctx, pipeline_env):
    from beg_pipeline.sensors.falhas import falhas_de_execucao_sensor

    @dg.op
    def quebra():
        raise RuntimeError("robô fora do ar")

    @dg.job
    def job_que_falha():
        quebra()

    instance = dg.DagsterInstance.ephemeral()
    resultado = job_que_falha.execute_in_process(instance=instance, raise_on_error=False)
    assert not resultado.success
    falha = next(e for e in resultado.all_events if e.event_type_value == "PIPELINE_FAILURE")
    banco = recursos(ConfiguracaoResource())["banco"]
    with dg.build_run_status_sensor_context(sensor_name="falhas_de_execucao_sensor", dagster_instance=instance,
                                            dagster_run=resultado.dagster_run, dagster_event=falha,
                                            resources={"banco": banco}) as context:
        falhas_de_execucao_sensor(context.for_run_failure())
    [notificacao] = todas(ctx)
    assert "job_que_falha" in notificacao.assunto and resultado.run_id in notificacao.mensagem


def test_schedules_start_off_in_dev_and_on_when_configured_sensors_always_on(monkeypatch):
    """`make dev` runs nothing by the clock (no daily backup on a laptop); production turns the schedules on with
    BEG_AGENDAMENTOS_LIGADOS; the approvals and failure sensors are on in both."""
    monkeypatch.delenv("BEG_AGENDAMENTOS_LIGADOS", raising=False)
    dev = construir_definicoes()
    assert {s.name: s.default_status for s in dev.schedules} == {
        s.name: dg.DefaultScheduleStatus.STOPPED for s in dev.schedules}
    sensores = {s.name: s.default_status for s in dev.sensors}
    assert {"aprovacoes_sensor", "falhas_de_execucao_sensor"} <= set(sensores)
    assert set(sensores.values()) == {dg.DefaultSensorStatus.RUNNING}
    monkeypatch.setenv("BEG_AGENDAMENTOS_LIGADOS", "true")
    producao = construir_definicoes()
    assert {s.default_status for s in producao.schedules} == {dg.DefaultScheduleStatus.RUNNING}
    assert "backup_schedule" in {s.name for s in producao.schedules}

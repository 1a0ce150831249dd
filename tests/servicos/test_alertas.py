"""Notifications that resolve with their cause, the approvers' digest and late downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io

from beg_pipeline.domain.cadastro import ROTULO_SEM_CREDENCIAIS
from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.rpa.simulador import Simulador
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import alertas, aprovacoes, cadastros, envios_notificacao, notificacoes, processos, robos
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.demo import HEADER, csv_demo
from beg_pipeline.services.importacao_clientes import importar_clientes
from beg_pipeline.settings import Settings
from beg_pipeline.storage.factory import object_store_from_settings
from tests.builders import ADMIN, MES, fatura, mes_com_processos, pessoa, visto
from tests.pipeline_fixtures import RAPIDO


def _baixar(ctx: Contexto, processo_id, vencimento: dt.date, n: int = 1) -> None:
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo_id, TipoExecucao.DOWNLOAD_FATURA)
    armazenada = processos.FaturaArmazenada(**{**fatura(n).__dict__, "vencimento": vencimento})
    processos.concluir_download(ctx, execucao.id, armazenada, {"arquivo_fatura": "s3://beg/x.pdf"})


def _enviar_sat(ctx: Contexto, processo_id) -> None:
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo_id, TipoExecucao.UPLOAD_SAT)
    processos.concluir_envio_sat(ctx, execucao.id, {"protocolo": "1"})


def _abertas(ctx: Contexto, ator) -> list[str]:
    return sorted(i.notificacao.assunto for i in notificacoes.do_usuario(ctx, ator))


def test_a_notification_resolves_when_its_process_leaves_the_status_that_caused_it(ctx):
    processo, outro = mes_com_processos(ctx, n_clientes=2)[:2]
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    notificacoes.notificar(ctx, "Credenciais inválidas", "o robô não entrou", processo_id=processo.id)
    notificacoes.notificar(ctx, "Credenciais inválidas (outro)", "idem", processo_id=outro.id)
    _baixar(ctx, processo.id, dt.date(2026, 11, 20))
    assert _abertas(ctx, operador) == ["Credenciais inválidas (outro)"]  # downloaded: the login problem is gone

    assert notificacoes.notificar_vencimentos(ctx, MES, dt.date(2026, 11, 25)) == 1
    [venceu] = [a for a in _abertas(ctx, operador) if "venceu" in a]
    aprovacoes.aprovar(ctx, aprovador, processo.id, sha256=visto(ctx, processo.id))
    assert venceu in _abertas(ctx, operador)  # approved but not yet sent to SAT: still the same cause
    _enviar_sat(ctx, processo.id)
    assert _abertas(ctx, operador) == ["Credenciais inválidas (outro)"]
    assert notificacoes.notificar_vencimentos(ctx, MES, dt.date(2026, 11, 26)) == 0

    todas = notificacoes.do_usuario(ctx, operador, resolvidas=True)
    assert sorted((i.notificacao.assunto, i.resolvida) for i in todas) == [
        ("Credenciais inválidas", True), ("Credenciais inválidas (outro)", False), (venceu, True)]


def test_a_failed_attempt_keeps_the_notification_open(ctx):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    notificacoes.notificar(ctx, "Credenciais inválidas", "o robô não entrou", processo_id=processo.id)
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, "senha errada", ClasseFalha.CREDENCIAIS)
    assert _abertas(ctx, operador) == ["Credenciais inválidas"]


def _com_smtp(settings: Settings) -> Contexto:
    return Contexto(Settings(data_dir=settings.data_dir, database_url=settings.database_url,
                             secret_key=settings.secret_key.get_secret_value(), smtp_host="127.0.0.1",
                             _env_file=None))


def test_the_daily_digest_goes_once_to_each_approver_and_replaces_the_previous_one(settings):
    ctx = _com_smtp(settings)
    p = mes_com_processos(ctx, n_clientes=4)
    pessoa(ctx, Perfil.APROVADOR, "ap1@beg.com.br")
    pessoa(ctx, Perfil.APROVADOR, "ap2@beg.com.br")
    admin = pessoa(ctx, Perfil.ADMINISTRADOR, "admin@beg.com.br")
    hoje = dt.date(2026, 11, 24)  # a Tuesday
    _baixar(ctx, p[0].id, dt.date(2026, 11, 20), 1)  # overdue
    _baixar(ctx, p[1].id, dt.date(2026, 11, 26), 2)  # due within 3 business days
    _baixar(ctx, p[2].id, dt.date(2026, 12, 20), 3)  # on time
    execucao = processos.abrir_execucao(ctx, SISTEMA, p[3].id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, "senha errada", ClasseFalha.CREDENCIAIS)

    assert alertas.resumo_aprovacao(ctx, hoje) == alertas.ResumoAprovacao(
        aguardando=3, vencem_em_breve=1, vencidas=1, bloqueadas=1)
    assert alertas.notificar_resumo_aprovadores(ctx, hoje)
    assert not alertas.notificar_resumo_aprovadores(ctx, hoje)
    [resumo] = [i.notificacao for i in notificacoes.do_usuario(ctx, admin)]
    assert resumo.destinatario == "APROVADOR" and "Vencidas: 1" in resumo.mensagem
    emails = sorted(e.destino for e in envios_notificacao.envios(ctx, resumo.id))
    assert emails == ["ap1@beg.com.br", "ap2@beg.com.br"]

    assert alertas.notificar_resumo_aprovadores(ctx, hoje + dt.timedelta(days=1))
    abertas = [i.notificacao.chave for i in notificacoes.do_usuario(ctx, admin)]
    assert abertas == [f"{alertas.CHAVE_RESUMO}2026-11-25"]


def test_no_digest_when_nothing_waits(ctx):
    mes_com_processos(ctx, n_clientes=1)
    assert not alertas.notificar_resumo_aprovadores(ctx, dt.date(2026, 11, 24))
    assert notificacoes.todas(ctx) == []


def test_an_invoice_not_downloaded_as_its_usual_due_date_nears_is_notified_once(ctx):
    outubro = mes_com_processos(ctx, n_clientes=2, mes_ano="10/2026")
    _baixar(ctx, outubro[0].id, dt.date(2026, 10, 5))  # the other client has no history: no usual due date
    processos.criar_processos_do_mes(ctx, SISTEMA, MES)
    novembro = {p.cliente_id: p for p in processos.processos_do_mes(ctx, MES)}
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")

    assert alertas.notificar_downloads_atrasados(ctx, MES, dt.date(2026, 10, 28)) == 0  # 05/11 still far
    assert alertas.notificar_downloads_atrasados(ctx, MES, dt.date(2026, 11, 2)) == 1  # 3 business days before
    assert alertas.notificar_downloads_atrasados(ctx, MES, dt.date(2026, 11, 3)) == 0
    assert _abertas(ctx, operador) == [f"Fatura de {outubro[0].cliente.razao_social} ainda não baixada "
                                       "(costuma vencer em 05/11/2026)"]
    _baixar(ctx, novembro[outubro[0].cliente_id].id, dt.date(2026, 11, 5), 2)
    assert _abertas(ctx, operador) == []


def test_usual_due_date_is_clamped_to_the_month():
    assert alertas.vencimento_habitual(dt.date(2026, 1, 31), "02/2026") == dt.date(2026, 2, 28)
    assert alertas.vencimento_habitual(dt.date(2026, 1, 10), "02/2026") == dt.date(2026, 2, 10)


def test_an_account_without_credentials_notification_resolves_with_credentials_and_reopens(ctx):
    for codigo in ("OI", "VIVO", "EMBRATEL", "DIGITALNET"):
        cadastros.garantir_operadora(ctx, ADMIN, codigo, possui_rpa=True)
    linhas = list(csv.reader(io.StringIO(csv_demo(2).decode())))
    for linha in linhas[1:]:
        linha[HEADER.index("SENHA")] = ""  # a login but no password: the robot cannot log in
    saida = io.StringIO()
    csv.writer(saida).writerows(linhas)
    importar_clientes(ctx, ADMIN, saida.getvalue().encode())
    processos.criar_processos_do_mes(ctx, SISTEMA, MES)
    primeiro, segundo = (p.cliente for p in processos.processos_do_mes(ctx, MES))
    assert primeiro.operadora_id != segundo.operadora_id
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    assert [ROTULO_SEM_CREDENCIAIS in a for a in _abertas(ctx, operador)] == [True, True]

    cadastros.definir_senha_portal(ctx, ADMIN, primeiro.id, "senha-do-portal")
    [aberta] = _abertas(ctx, operador)
    assert segundo.razao_social in aberta

    cadastros.alterar_operadora(ctx, ADMIN, segundo.operadora_id, possui_rpa=False)
    assert _abertas(ctx, operador) == []
    cadastros.alterar_operadora(ctx, ADMIN, segundo.operadora_id, possui_rpa=True)
    assert _abertas(ctx, operador) == [aberta]
    assert len(notificacoes.todas(ctx)) == 2  # reopened, not duplicated


def test_a_run_that_exhausts_its_attempts_notifies_the_operators_once(settings):
    ctx = Contexto(Settings(data_dir=settings.data_dir, database_url=settings.database_url,
                            secret_key=settings.secret_key.get_secret_value(), rpa_poll_interval_s=0.05,
                            rpa_retry_backoff_s=0.0, max_tentativas=2, _env_file=None))
    [processo] = mes_com_processos(ctx, n_clientes=1)
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    with Simulador(RAPIDO.model_copy(update={"taxa_arquivo_nao_pdf": 1.0}), ctx.settings) as sim:
        for _ in range(2):
            with RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
                robos.baixar_faturas(ctx, object_store_from_settings(ctx.settings), client, MES,
                                     hoje=dt.date(2026, 11, 10), log=lambda _: None)
    assert sim.submissoes_por_processo[str(processo.id)] == 4
    [aviso] = notificacoes.do_usuario(ctx, operador)
    assert aviso.notificacao.assunto == f"Tentativas esgotadas (DOWNLOAD_FATURA): {processo.cliente.razao_social}"
    assert aviso.notificacao.processo_id == processo.id

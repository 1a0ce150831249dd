"""Notificações page: resolved notifications leave the open list; Minha conta: e-mail and profile channels."""

from __future__ import annotations

from beg_pipeline.domain.execucao import TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.services import envios_notificacao, notificacoes, processos
from beg_pipeline.services.canais_notificacao import EMAIL, WEBHOOK
from tests.app_fixtures import botao, entrar, ir, mensagens, rotulos, textos
from tests.builders import fatura, mes_com_processos, pessoa


def test_a_resolved_notification_moves_to_the_resolved_filter(ctx, app_env):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    notificacoes.notificar(ctx, "Credenciais inválidas: ACME", "o robô não entrou", processo_id=processo.id)
    notificacoes.notificar(ctx, "Execução falhou", "veja o Dagster")
    at = ir(entrar("op@beg.com.br"), "notificacoes")
    assert "Marcar todas como lidas (2)" in rotulos(at)

    execucao = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    processos.concluir_download(ctx, execucao.id, fatura(1), {"arquivo_fatura": "s3://beg/x.pdf"})
    at.run()
    assert "Credenciais inválidas: ACME" not in textos(at) and "Execução falhou" in textos(at)
    assert "Marcar todas como lidas (1)" in rotulos(at)
    at.segmented_control[0].set_value("Resolvidas").run()
    assert "Credenciais inválidas: ACME" in textos(at) and "resolvida em" in textos(at)
    assert "Execução falhou" not in textos(at)
    assert "Marcar como lida" not in rotulos(at)


def test_a_user_turns_email_off_and_an_administrator_sets_profile_channels(ctx, app_env):
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    pessoa(ctx, Perfil.ADMINISTRADOR, "admin@beg.com.br")
    at = ir(entrar("op@beg.com.br"), "minha_conta")
    assert [t.label for t in at.toggle] == ["Receber notificações por e-mail"]  # no profile switches for operators
    at.toggle[0].set_value(False)
    botao(at, "Salvar preferências").click().run()
    assert mensagens(at, "success") == ["Preferências de notificação salvas."]
    eu = str(operador.usuario_id)
    assert envios_notificacao.canais_desligados(ctx, envios_notificacao.USUARIO, eu) == {EMAIL}
    assert at.toggle[0].value is False

    admin = ir(entrar("admin@beg.com.br"), "minha_conta")
    [webhook_aprovador] = [t for t in admin.toggle if t.label == "APROVADOR: webhook"]
    webhook_aprovador.set_value(False)
    botao(admin, "Salvar preferências").click().run()
    assert envios_notificacao.canais_desligados(ctx, envios_notificacao.PERFIL, "APROVADOR") == {WEBHOOK}
    assert envios_notificacao.canais_desligados(ctx, envios_notificacao.PERFIL, "OPERADOR") == set()
    assert envios_notificacao.canais_desligados(ctx, envios_notificacao.USUARIO, eu) == {EMAIL}  # another user's

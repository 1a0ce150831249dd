"""Notificações page: what the user's profile should see, marked read per user."""

from __future__ import annotations

from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import notificacoes
from tests.app_fixtures import botao, entrar, ir, mensagens, rotulos, textos
from tests.builders import mes_com_processos, pessoa


def test_notifications_are_read_per_user(ctx, app_env):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    pessoa(ctx, Perfil.ADMINISTRADOR, "admin@beg.com.br")
    notificacoes.notificar(ctx, "Senha do portal recusada", "O robô não entrou no portal da Oi.",
                           processo_id=processo.id)
    notificacoes.notificar(ctx, "Fatura vence amanhã", "Aprove a fatura.", destinatario=notificacoes.TODOS)
    notificacoes.notificar(ctx, "Só para aprovadores", "...", destinatario="APROVADOR")

    at = ir(entrar("op@beg.com.br"), "notificacoes")
    assert "Senha do portal recusada" in textos(at) and "Fatura vence amanhã" in textos(at)
    assert "Só para aprovadores" not in textos(at)
    assert [r for r in rotulos(at) if "lida" in r] == ["Marcar todas como lidas (2)", "Marcar como lida",
                                                       "Marcar como lida"]
    botao(at, "Marcar como lida").click().run()
    assert mensagens(at, "success") == ["Notificação marcada como lida."]
    assert "Marcar todas como lidas (1)" in rotulos(at)
    assert sum(not n.lida for n in notificacoes.do_usuario(ctx, operador)) == 1
    at.segmented_control[0].set_value("Todas").run()
    assert "· lida" in textos(at)

    admin = ir(entrar("admin@beg.com.br"), "notificacoes")
    assert "Marcar todas como lidas (3)" in rotulos(admin)  # administrators see every notification, still unread
    botao(admin, "Abrir processo").click().run()
    assert admin.title[0].value == processo.cliente.razao_social

    botao(at, "Marcar todas como lidas (1)").click().run()
    assert not [r for r in rotulos(at) if r.startswith("Marcar")]
    assert all(n.lida for n in notificacoes.do_usuario(ctx, operador))

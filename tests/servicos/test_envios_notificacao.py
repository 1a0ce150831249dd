"""Notifications that leave the app: e-mail to a real local SMTP server, webhooks to a real local HTTP server,
through the outbox; outages lose nothing and nothing arrives twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from beg_pipeline.db.models import agora
from beg_pipeline.domain.perfis import Perfil, PermissaoNegada
from beg_pipeline.services import envios_notificacao, notificacoes
from beg_pipeline.services.canais_notificacao import EMAIL, WEBHOOK
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import ConfiguracaoInvalida, Settings, load_settings
from tests.builders import pessoa
from tests.notificacao_servidores import ServidorSmtp, ServidorWebhook

DEPOIS = dt.timedelta(hours=2)  # past every retry delay (at most 1 h)


def _contexto(settings: Settings, smtp: ServidorSmtp | None, **extra) -> Contexto:
    valores = settings.model_dump(include={"data_dir", "database_url", "secret_key"})
    valores["secret_key"] = settings.secret_key.get_secret_value()
    if smtp is not None:
        valores.update(smtp_host="127.0.0.1", smtp_port=smtp.porta, smtp_tls=False, smtp_remetente="beg@teste")
    return Contexto(Settings(**valores, **extra, _env_file=None))


@pytest.fixture
def smtp():
    servidor = ServidorSmtp()
    yield servidor
    servidor.desligar()


def _status(ctx: Contexto) -> list[str]:
    return sorted(e.status_envio for e in envios_notificacao.envios(ctx))


def test_email_and_webhooks_reach_the_profile_users_and_each_webhook_once(settings, smtp):
    smtp.ligar()
    with ServidorWebhook().no_ar() as web:
        ctx = _contexto(settings, smtp, webhook_urls=f"{web.url}/json,slack:{web.url}/slack,teams:{web.url}/teams")
        pessoa(ctx, Perfil.OPERADOR, "op1@beg.com.br")
        pessoa(ctx, Perfil.OPERADOR, "op2@beg.com.br")
        pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
        assert notificacoes.notificar(ctx, "Credenciais inválidas: ACME (OI)", "O robô não entrou no portal.",
                                      chave="teste:1")
        assert not notificacoes.notificar(ctx, "Credenciais inválidas: ACME (OI)", "de novo", chave="teste:1")

        resumo = envios_notificacao.enviar_pendentes(ctx)

        assert (resumo.enviados, resumo.adiados) == (5, 0)
        assert sorted(m["To"] for m in smtp.mensagens) == ["op1@beg.com.br", "op2@beg.com.br"]
        assert {m["Subject"] for m in smtp.mensagens} == {"Credenciais inválidas: ACME (OI)"}
        assert "O robô não entrou no portal." in smtp.mensagens[0].get_content()
        por_caminho = dict(web.chamadas)
        assert sorted(por_caminho) == ["/json", "/slack", "/teams"]
        assert por_caminho["/json"]["assunto"] == "Credenciais inválidas: ACME (OI)"
        assert por_caminho["/json"]["destinatario"] == "OPERADOR"
        assert por_caminho["/slack"] == {"text": "*Credenciais inválidas: ACME (OI)*\nO robô não entrou no portal."}
        cartao = por_caminho["/teams"]["attachments"][0]
        assert cartao["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert cartao["content"]["body"][0]["text"] == "Credenciais inválidas: ACME (OI)"
        assert all(web.url not in e.destino for e in envios_notificacao.envios(ctx))  # webhook URLs are secrets

        assert envios_notificacao.enviar_pendentes(ctx, agora_=agora() + DEPOIS).enviados == 0
        assert len(smtp.mensagens) == 2 and len(web.chamadas) == 3
        assert _status(ctx) == ["ENVIADO"] * 5


def test_smtp_outage_loses_nothing_and_every_email_arrives_exactly_once(settings, smtp):
    ctx = _contexto(settings, smtp, notificacoes_max_tentativas=3)
    for i in range(3):
        pessoa(ctx, Perfil.OPERADOR, f"op{i}@beg.com.br")
    for i in range(4):
        notificacoes.notificar(ctx, f"Alerta {i}", "texto", chave=f"teste:{i}")

    primeira = envios_notificacao.enviar_pendentes(ctx)  # server down
    assert (primeira.enviados, primeira.adiados) == (0, 12)
    envios = envios_notificacao.envios(ctx)
    assert {(e.status_envio, e.tentativas) for e in envios} == {("PENDENTE", 1)}
    assert all("ConnectionRefusedError" in e.erro and e.proxima_tentativa > agora() for e in envios)
    assert envios_notificacao.enviar_pendentes(ctx).enviados == 0  # nothing is due before its retry time

    smtp.ligar()
    enviados = envios_notificacao.enviar_pendentes(ctx, agora_=agora() + DEPOIS)
    assert enviados.enviados == 12
    assert envios_notificacao.enviar_pendentes(ctx, agora_=agora() + 2 * DEPOIS).enviados == 0
    ids = smtp.ids()
    assert len(ids) == 12 and len(set(ids)) == 12
    assert sorted((m["To"], m["Subject"]) for m in smtp.mensagens) == sorted(
        (f"op{u}@beg.com.br", f"Alerta {n}") for u in range(3) for n in range(4))
    assert _status(ctx) == ["ENVIADO"] * 12 and all(e.erro is None for e in envios_notificacao.envios(ctx))


def test_after_the_last_attempt_a_message_is_failed_until_requeued(settings, smtp):
    ctx = _contexto(settings, smtp, notificacoes_max_tentativas=2)
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    notificacoes.notificar(ctx, "Alerta", "texto", chave="teste:1")
    envios_notificacao.enviar_pendentes(ctx)
    assert envios_notificacao.enviar_pendentes(ctx, agora_=agora() + DEPOIS).desistidos == 1
    assert _status(ctx) == ["FALHOU"]
    smtp.ligar()
    assert envios_notificacao.enviar_pendentes(ctx, agora_=agora() + 2 * DEPOIS).enviados == 0
    assert envios_notificacao.repetir_falhas(ctx) == 1
    assert envios_notificacao.enviar_pendentes(ctx).enviados == 1
    assert [m["To"] for m in smtp.mensagens] == ["op@beg.com.br"]


def test_two_concurrent_drainers_send_each_message_once(settings, smtp):
    smtp.ligar()
    ctx = _contexto(settings, smtp)
    for i in range(2):
        pessoa(ctx, Perfil.OPERADOR, f"op{i}@beg.com.br")
    for i in range(20):
        notificacoes.notificar(ctx, f"Alerta {i}", "texto", chave=f"teste:{i}")
    drenadores = [_contexto(settings, smtp) for _ in range(2)]
    largada = threading.Barrier(2)
    resumos = []

    def drenar(c: Contexto) -> None:
        largada.wait()
        resumos.append(envios_notificacao.enviar_pendentes(c, limite=100))

    threads = [threading.Thread(target=drenar, args=(c,)) for c in drenadores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(r.enviados for r in resumos) == 40
    ids = smtp.ids()
    assert len(ids) == 40 and len(set(ids)) == 40
    assert _status(ctx) == ["ENVIADO"] * 40
    for c in drenadores:
        c.db.dispose()


def test_smtp_errors_never_carry_the_password(settings):
    smtp = ServidorSmtp(senha="senha-certa")
    smtp.ligar()
    try:
        canario = "canario-Xy9-senha-errada"
        ctx = _contexto(settings, smtp, smtp_usuario="beg", smtp_senha=canario)
        pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
        notificacoes.notificar(ctx, "Alerta", "texto", chave="teste:1")
        assert envios_notificacao.enviar_pendentes(ctx).adiados == 1
        [envio] = envios_notificacao.envios(ctx)
        assert "SMTPAuthenticationError" in envio.erro and canario not in envio.erro
        assert canario not in repr(ctx.settings)

        certo = _contexto(settings, smtp, smtp_usuario="beg", smtp_senha="senha-certa")
        assert envios_notificacao.enviar_pendentes(certo, agora_=agora() + DEPOIS).enviados == 1
        assert [m["To"] for m in smtp.mensagens] == ["op@beg.com.br"]
    finally:
        smtp.desligar()


def test_channel_preferences_per_user_and_per_profile(settings, smtp):
    ctx = _contexto(settings, smtp, webhook_urls="http://127.0.0.1:9/ganchos")
    admin = pessoa(ctx, Perfil.ADMINISTRADOR, "admin@beg.com.br")
    quieto = pessoa(ctx, Perfil.OPERADOR, "quieto@beg.com.br")
    pessoa(ctx, Perfil.OPERADOR, "ativo@beg.com.br")
    pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    envios_notificacao.definir_canal(ctx, quieto, envios_notificacao.USUARIO, str(quieto.usuario_id), EMAIL, False)
    envios_notificacao.definir_canal(ctx, quieto, envios_notificacao.USUARIO, str(quieto.usuario_id), EMAIL, False)
    envios_notificacao.definir_canal(ctx, admin, envios_notificacao.PERFIL, "APROVADOR", WEBHOOK, False)
    envios_notificacao.definir_canal(ctx, admin, envios_notificacao.PERFIL, "APROVADOR", EMAIL, False)
    with pytest.raises(PermissaoNegada, match="não permite"):
        envios_notificacao.definir_canal(ctx, quieto, envios_notificacao.PERFIL, "OPERADOR", EMAIL, False)

    notificacoes.notificar(ctx, "Para operadores", "x", chave="teste:op")
    notificacoes.notificar(ctx, "Para aprovadores", "x", destinatario="APROVADOR", chave="teste:ap")
    destinos = {(e.canal, e.destino if e.canal == EMAIL else "webhook") for e in envios_notificacao.envios(ctx)}
    assert destinos == {(EMAIL, "ativo@beg.com.br"), (WEBHOOK, "webhook")}

    envios_notificacao.definir_canal(ctx, quieto, envios_notificacao.USUARIO, str(quieto.usuario_id), EMAIL, True)
    notificacoes.notificar(ctx, "De novo", "x", chave="teste:op2")
    ultimos = [e.destino for e in envios_notificacao.envios(ctx) if e.canal == EMAIL]
    assert sorted(ultimos) == ["ativo@beg.com.br", "ativo@beg.com.br", "quieto@beg.com.br"]
    assert envios_notificacao.canais_desligados(ctx, envios_notificacao.PERFIL, "APROVADOR") == {EMAIL, WEBHOOK}


def test_without_smtp_or_webhooks_nothing_is_queued(ctx):
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    notificacoes.notificar(ctx, "Alerta", "texto")
    assert envios_notificacao.envios(ctx) == []
    assert envios_notificacao.enviar_pendentes(ctx).enviados == 0


def test_a_malformed_webhook_url_is_refused_without_echoing_it(monkeypatch):
    monkeypatch.setenv("BEG_WEBHOOK_URLS", "https://ok.example/x,slack:hooks.slack.com/services/SEGREDO")
    with pytest.raises(ConfiguracaoInvalida) as erro:
        load_settings(_env_file=None)
    assert "BEG_WEBHOOK_URLS" in str(erro.value) and "SEGREDO" not in str(erro.value)
    monkeypatch.setenv("BEG_WEBHOOK_URLS", "https://ok.example/x, teams:https://x.example/y")
    assert [u.get_secret_value() for u in load_settings(_env_file=None).webhook_urls] == [
        "https://ok.example/x", "teams:https://x.example/y"]

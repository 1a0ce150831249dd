"""The channels notifications leave the app by: e-mail over SMTP and webhooks (generic JSON, Slack, Teams).

Webhook kind: a ``slack:`` or ``teams:`` prefix on the URL in BEG_WEBHOOK_URLS, else the host
(``hooks.slack.com`` → Slack; ``*.webhook.office.com``, ``*.logic.azure.com``, ``*.powerplatform.com`` → Teams),
else generic JSON. Errors come back as short texts without the SMTP password or any webhook URL.
"""

from __future__ import annotations

import enum
import hashlib
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import requests

from beg_pipeline.settings import Settings

EMAIL = "EMAIL"
WEBHOOK = "WEBHOOK"
CANAIS = (EMAIL, WEBHOOK)


class FalhaDeEnvio(Exception):
    """A message was not delivered; the text carries no secret. ``canal_fora``: the server or URL itself failed (not
    this one recipient), so the other messages of the pass to it are not tried."""

    def __init__(self, texto: str, canal_fora: bool = False):
        super().__init__(texto)
        self.canal_fora = canal_fora


class TipoWebhook(str, enum.Enum):
    JSON = "json"
    SLACK = "slack"
    TEAMS = "teams"


@dataclass(frozen=True)
class Webhook:
    url: str
    tipo: TipoWebhook

    @property
    def destino(self) -> str:
        """How the outbox names it: never the URL itself (Slack and Teams URLs are credentials)."""
        return f"webhook:{self.tipo.value}:{hashlib.sha256(self.url.encode()).hexdigest()[:16]}"


def webhook(configurada: str) -> Webhook:
    for tipo in (TipoWebhook.SLACK, TipoWebhook.TEAMS):
        if configurada.startswith(f"{tipo.value}:"):
            return Webhook(configurada.removeprefix(f"{tipo.value}:"), tipo)
    host = (urlsplit(configurada).hostname or "").lower()
    if host == "hooks.slack.com":
        return Webhook(configurada, TipoWebhook.SLACK)
    if host.endswith((".webhook.office.com", ".logic.azure.com", ".powerplatform.com")):
        return Webhook(configurada, TipoWebhook.TEAMS)
    return Webhook(configurada, TipoWebhook.JSON)


def webhooks(settings: Settings) -> list[Webhook]:
    return [webhook(u.get_secret_value()) for u in settings.webhook_urls]


@dataclass(frozen=True)
class Mensagem:
    """What a channel sends (from the notification)."""

    id: str
    assunto: str
    texto: str
    destinatario: str
    processo_id: str | None
    criada_em: str


def payload(tipo: TipoWebhook, m: Mensagem) -> dict:
    if tipo is TipoWebhook.SLACK:
        return {"text": f"*{m.assunto}*\n{m.texto}"}
    if tipo is TipoWebhook.TEAMS:  # Teams Workflows "post to a channel when a webhook request is received"
        return {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                        "version": "1.4", "body": [
                            {"type": "TextBlock", "text": m.assunto, "weight": "Bolder", "wrap": True},
                            {"type": "TextBlock", "text": m.texto, "wrap": True}]}}]}
    return {"id": m.id, "assunto": m.assunto, "mensagem": m.texto, "destinatario": m.destinatario,
            "processo_id": m.processo_id, "criada_em": m.criada_em}


def enviar_webhook(alvo: Webhook, m: Mensagem, timeout_s: float) -> None:
    try:
        resposta = requests.post(alvo.url, json=payload(alvo.tipo, m), timeout=timeout_s)
    except requests.RequestException as exc:  # its text may hold the URL: name the kind only
        raise FalhaDeEnvio(f"webhook {alvo.destino} inalcançável ({exc.__class__.__name__})", True) from None
    if resposta.status_code >= 300:
        raise FalhaDeEnvio(f"webhook {alvo.destino} respondeu HTTP {resposta.status_code}", True)


class ConexaoSmtp:
    """One SMTP session for a drain pass, opened on the first e-mail."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _segredos(self) -> list[str]:
        return [self.settings.smtp_senha.get_secret_value()] if self.settings.smtp_senha else []

    def _limpo(self, exc: Exception) -> FalhaDeEnvio:
        texto = f"SMTP {self.settings.smtp_host}:{self.settings.smtp_port}: {exc.__class__.__name__}: {exc}"[:500]
        for segredo in self._segredos():
            texto = texto.replace(segredo, "***")
        so_este = isinstance(exc, smtplib.SMTPRecipientsRefused)  # the server works; this address is refused
        return FalhaDeEnvio(texto, canal_fora=not so_este)

    def _abrir(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.notificacoes_timeout_s)
        try:
            if s.smtp_tls:
                smtp.starttls()
            if s.smtp_usuario:
                smtp.login(s.smtp_usuario, s.smtp_senha.get_secret_value() if s.smtp_senha else "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def enviar(self, para: str, m: Mensagem) -> None:
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = self.settings.smtp_remetente, para, m.assunto
        email["Message-ID"] = f"<{m.id}.{hashlib.sha256(para.encode()).hexdigest()[:12]}@beg>"
        email.set_content(m.texto)
        try:
            if self._smtp is None:
                self._smtp = self._abrir()
            self._smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as exc:
            self.fechar()
            raise self._limpo(exc) from None

    def fechar(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

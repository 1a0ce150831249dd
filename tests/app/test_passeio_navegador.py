"""Walkthrough in a real browser (issue 17): every profile, every page of its menu, on a laptop (1366×768) and a
desktop (1920×1080) screen. Each page opened by its own URL (a reload, a deep link) must keep the login, show no
"None", no English error and no traceback; the queue's flags column is on screen; logout ends the session, also
for the back button. Screenshots go to ``artefatos/passeio/`` (ignored by git)."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from beg_pipeline.services import sessoes
from tests.app.test_navegador import ARGS_CHROMIUM, ESPERA_MS, RAIZ, _entrar, _esperar, chromium, servidor  # noqa: F401

ARTEFATOS = RAIZ / "artefatos" / "passeio"
TELAS = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
PERFIS = ("admin@beg.demo", "aprovador@beg.demo", "operador@beg.demo")
PROIBIDO = re.compile(r"\bNone\b|Traceback|Exception|Error:|KeyError|AttributeError|Page not found|"
                      r"You have requested page|Something went wrong|StreamlitAPI|Uncaught|nan\b")
LARGURA_ATE_SINAIS = 40 + 140 + 220  # row selector + "Situação" + "Sinais" (approval_app/app_pages/fila_aprovacao.py)


def _cookie_de_sessao(contexto) -> dict | None:
    """The session cookie once the browser has exchanged its ticket (an async fetch right after the login)."""
    limite = time.monotonic() + ESPERA_MS / 1000
    while time.monotonic() < limite:
        cookie = next((c for c in contexto.cookies() if c["name"] == sessoes.COOKIE), None)
        if cookie:
            return cookie
        time.sleep(0.1)
    return None


def _conferir_texto(page, onde: str) -> None:
    texto = page.locator("[data-testid='stApp']").inner_text()
    achado = PROIBIDO.search(texto)
    assert achado is None, f"{onde}: '{achado.group(0)}' na página:\n{texto[:2000]}"


@pytest.mark.parametrize("tela", list(TELAS))
def test_every_profile_visits_every_page_keeps_the_session_and_logs_out(servidor, chromium, tela):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    largura, altura = TELAS[tela]
    url, senhas = servidor["url"], servidor["senhas"]
    ARTEFATOS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        navegador = pw.chromium.launch(executable_path=str(chromium), args=ARGS_CHROMIUM)
        for email in PERFIS:
            contexto = navegador.new_context(viewport={"width": largura, "height": altura}, locale="pt-BR")
            page = contexto.new_page()
            _entrar(page, url, email, senhas[email])
            cookie = _cookie_de_sessao(contexto)
            assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
            links = page.get_by_test_id("stSidebarNavLink")
            caminhos = [links.nth(i).get_attribute("href") for i in range(links.count())]
            assert len(caminhos) >= 4, caminhos
            perfil = email.split("@")[0]
            for caminho in caminhos:
                pagina = urlsplit(caminho).path.strip("/") or "inicio"
                page.goto(caminho if caminho.startswith("http") else url + caminho)  # a reload / deep link
                _esperar(page)
                expect(page.get_by_role("button", name="Sair")).to_be_visible(timeout=ESPERA_MS)
                _conferir_texto(page, f"{perfil} {pagina} {tela}")
                if page.get_by_role("heading", name="Fila de aprovação").count():
                    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=ESPERA_MS)
                    caixa = page.get_by_test_id("stDataFrame").first.bounding_box()
                    assert caixa["x"] >= 0 and caixa["x"] + LARGURA_ATE_SINAIS <= largura
                    assert caixa["width"] >= LARGURA_ATE_SINAIS, f"'Sinais' fora da tela em {tela}"
                page.screenshot(path=str(ARTEFATOS / f"{tela}-{perfil}-{pagina}.png"))
            page.reload()
            _esperar(page)
            expect(page.get_by_role("button", name="Sair")).to_be_visible(timeout=ESPERA_MS)

            page.get_by_role("button", name="Sair").click()
            expect(page.get_by_role("button", name="Entrar")).to_be_visible(timeout=ESPERA_MS)
            page.go_back()
            _esperar(page)
            expect(page.get_by_role("button", name="Entrar")).to_be_visible(timeout=ESPERA_MS)
            page.reload()  # the cookie the browser still holds was revoked
            _esperar(page)
            expect(page.get_by_role("button", name="Entrar")).to_be_visible(timeout=ESPERA_MS)
            _conferir_texto(page, f"{perfil} login depois de sair {tela}")
            contexto.close()
        navegador.close()

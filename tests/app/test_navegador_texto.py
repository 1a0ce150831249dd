"""Issue 14 finding 6 in a real browser: a client name and a notification carrying a Markdown link, a Markdown image
and an HTML image pointing at a probe server on 127.0.0.1 show as text; the browser requests nothing from the probe."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from beg_pipeline.db.models import Cliente
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import notificacoes
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import Settings
from beg_pipeline.storage import object_store_from_settings
from tests.app.test_navegador import (  # noqa: F401 - chromium is a fixture
    ARGS_CHROMIUM,
    ESPERA_MS,
    _entrar,
    _esperar,
    _porta_livre,
    _responde,
    chromium,
)
from tests.app_fixtures import APP, SENHA, baixar_fatura, hoje
from tests.builders import mes_com_processos, pessoa


@pytest.fixture
def sonda():
    """An HTTP server on 127.0.0.1 that records every path a browser asks it for."""
    pedidos: list[str] = []

    class Registrar(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            pedidos.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    servidor = ThreadingHTTPServer(("127.0.0.1", 0), Registrar)
    threading.Thread(target=servidor.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{servidor.server_address[1]}", pedidos
    servidor.shutdown()
    servidor.server_close()


def test_hostile_names_and_notifications_make_no_requests_from_the_browser(tmp_path, sqlite_template, secret_key,
                                                                          chromium, sonda):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    url_sonda, pedidos = sonda
    hostil = (f"ACME [x]({url_sonda}/link) ![i]({url_sonda}/markdown.png) <img src='{url_sonda}/html.png'> "
              f"{url_sonda}/nua")
    shutil.copy(sqlite_template, tmp_path / "beg.db")
    url_banco = f"sqlite:///{tmp_path / 'beg.db'}"
    settings = Settings(data_dir=tmp_path, database_url=url_banco, secret_key=secret_key, _env_file=None)
    ctx = Contexto(settings)
    [alvo] = mes_com_processos(ctx, n_clientes=1)
    with ctx.db.transacao() as s:
        s.get(Cliente, alvo.cliente_id).razao_social = hostil
    baixar_fatura(ctx, object_store_from_settings(settings), alvo, Decimal("10.00"), hoje() + dt.timedelta(days=20))
    pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    notificacoes.notificar(ctx, f"Aviso ![i]({url_sonda}/assunto.png)", hostil, destinatario=notificacoes.TODOS)

    ambiente = {k: v for k, v in os.environ.items() if not k.startswith("BEG_")}
    ambiente.update(BEG_DATA_DIR=str(tmp_path), BEG_DATABASE_URL=url_banco, BEG_SECRET_KEY=secret_key)
    porta = _porta_livre()
    comando = [str(Path(sys.executable).parent / "streamlit"), "run", str(APP), "--server.address", "127.0.0.1",
               "--server.port", str(porta), "--server.headless", "true", "--server.fileWatcherType", "none"]
    with open(tmp_path / "streamlit.log", "wb") as log:
        processo = subprocess.Popen(comando, cwd=tmp_path, env=ambiente, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    url = f"http://127.0.0.1:{porta}"
    try:
        limite = time.monotonic() + 60
        while not _responde(f"{url}/_stcore/health"):
            assert processo.poll() is None and time.monotonic() < limite, (tmp_path / "streamlit.log").read_text()
            time.sleep(0.2)
        with sync_playwright() as pw:
            navegador = pw.chromium.launch(executable_path=str(chromium), args=ARGS_CHROMIUM)
            page = navegador.new_page(viewport={"width": 1600, "height": 1000})
            _entrar(page, url, "aprovador@beg.com.br", SENHA)
            expect(page.get_by_role("heading", name="ACME", exact=False)).to_be_visible(timeout=ESPERA_MS)
            assert page.locator(f"a[href^='{url_sonda}'], img[src^='{url_sonda}']").count() == 0, pedidos
            expect(page.get_by_role("heading", name="ACME [x](", exact=False)).to_be_visible()
            expect(page.get_by_role("button", name="Deploy")).to_have_count(0)

            page.get_by_role("link", name="Notificações").first.click()
            _esperar(page)
            expect(page.get_by_text("ACME [x](", exact=False)).to_be_visible(timeout=ESPERA_MS)
            assert page.locator(f"a[href^='{url_sonda}'], img[src^='{url_sonda}']").count() == 0
            page.wait_for_load_state("networkidle")
            navegador.close()
    finally:
        os.killpg(processo.pid, signal.SIGTERM)
        processo.wait(timeout=30)
        ctx.db.dispose()
    assert pedidos == []

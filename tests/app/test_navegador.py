"""End to end in a real browser: Playwright drives Debian's Chromium against ``streamlit run`` on 127.0.0.1.

The approver approves one invoice and rejects one with a reason, the operator uploads one PDF, and the database
is checked afterwards. The approval queue's full-page screenshot is saved to ``docs/fila_aprovacao.png`` (README).
Runs on SQLite (the app tests cover PostgreSQL). Without Chromium it installs Debian's package with apt as root;
when that is impossible the test is skipped with the reason, or fails under ``CI=true``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.request import urlopen

import pytest
from sqlalchemy import select

from beg_pipeline.db.models import Auditoria, Execucao
from beg_pipeline.domain import calendario
from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA
from beg_pipeline.services import autenticacao, notificacoes, processos, upload_manual
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.demo import carregar_demo
from beg_pipeline.settings import Settings
from beg_pipeline.storage import object_store_from_settings
from tests.app_fixtures import APP, baixar_fatura, historico, hoje, pdf_de
from tests.builders import ADMIN

RAIZ = APP.parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS_CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CAPTURA = RAIZ / "docs" / "fila_aprovacao.png"
IP_DO_PROXY = "203.0.113.7"
ESPERA_MS = 30_000


def _sem_navegador(motivo: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{motivo} (CI=true: o teste no navegador é obrigatório)")
    pytest.skip(motivo)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt when missing (``playwright install`` cannot download here)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        _sem_navegador(f"{CHROMIUM} não existe; instale como root: apt-get update && apt-get install -y chromium")
    ambiente = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for comando in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        resultado = subprocess.run(comando, env=ambiente, capture_output=True, text=True, timeout=900)
        if resultado.returncode != 0:
            _sem_navegador(f"{' '.join(comando)} falhou: {resultado.stderr.strip()[-500:]}")
    return CHROMIUM


def _porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _preparar(ctx: Contexto, store) -> dict:
    """Demo-like data: the demo's users and clients, a month with seven invoices waiting for approval (overdue
    with an amount anomaly, due soon, a duplicate PDF, a manual upload) and processes still waiting for download."""
    senhas = carregar_demo(ctx, ADMIN, n_clientes=12).usuarios_criados
    operador = autenticacao.autenticar(ctx, "operador@beg.demo", senhas["operador@beg.demo"])
    dia = hoje()
    mes = calendario.mes_ano_de_data(dia)
    processos.criar_processos_do_mes(ctx, SISTEMA, mes)
    procs = sorted(processos.processos_do_mes(ctx, mes), key=lambda p: p.cliente.razao_social)
    historico(ctx, store, procs[0], [Decimal(v) for v in ("182.40", "190.10", "185.75", "201.30", "188.90", "195.00")])
    baixar_fatura(ctx, store, procs[0], Decimal("1980.00"), dia - dt.timedelta(days=2))
    baixar_fatura(ctx, store, procs[1], Decimal("412.37"), dia)
    baixar_fatura(ctx, store, procs[2], Decimal("1290.00"), dia + dt.timedelta(days=1))
    repetido = pdf_de(procs[3], Decimal("356.80"), dia + dt.timedelta(days=20))
    for p in procs[3:5]:
        baixar_fatura(ctx, store, p, Decimal("356.80"), dia + dt.timedelta(days=20), repetido)
    manual = pdf_de(procs[5], Decimal("89.90"), dia + dt.timedelta(days=25))
    upload_manual.enviar_fatura_manual(ctx, operador, store, procs[5].id, manual, "fatura-digitalnet.pdf")
    baixar_fatura(ctx, store, procs[6], Decimal("2740.15"), dia + dt.timedelta(days=28))
    execucao = processos.abrir_execucao(ctx, SISTEMA, procs[7].id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, "senha do portal recusada",
                              ClasseFalha.CREDENCIAIS)
    notificacoes.notificar_vencimentos(ctx, mes, dia)
    return {"senhas": senhas, "processos": procs, "mes": mes}


@pytest.fixture(scope="session")
def servidor(tmp_path_factory, sqlite_template, secret_key):
    """``streamlit run`` on a free port of 127.0.0.1, over a prepared SQLite database and local object store."""
    pasta = tmp_path_factory.mktemp("navegador")
    shutil.copy(sqlite_template, pasta / "beg.db")
    ambiente = {k: v for k, v in os.environ.items() if not k.startswith("BEG_")}
    url_banco = f"sqlite:///{pasta / 'beg.db'}"
    ambiente.update(BEG_DATA_DIR=str(pasta), BEG_DATABASE_URL=url_banco, BEG_SECRET_KEY=secret_key,
                    BEG_PROXIES_CONFIAVEIS="127.0.0.1")  # the browser plays the proxy that sets X-Forwarded-For
    settings = Settings(data_dir=pasta, database_url=url_banco, secret_key=secret_key, _env_file=None)
    ctx = Contexto(settings)
    dados = _preparar(ctx, object_store_from_settings(settings))
    porta = _porta_livre()
    comando = [str(Path(sys.executable).parent / "streamlit"), "run", str(APP), "--server.address", "127.0.0.1",
               "--server.port", str(porta), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(pasta / "streamlit.log", "wb") as log:
        processo = subprocess.Popen(comando, cwd=pasta, env=ambiente, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    url = f"http://127.0.0.1:{porta}"
    try:
        limite = time.monotonic() + 60
        while not _responde(f"{url}/_stcore/health"):
            if processo.poll() is not None or time.monotonic() > limite:
                pytest.fail(f"streamlit run não respondeu:\n{(pasta / 'streamlit.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield {"url": url, "ctx": ctx, **dados}
    finally:
        os.killpg(processo.pid, signal.SIGTERM)
        processo.wait(timeout=30)
        ctx.db.dispose()


def _responde(url: str) -> bool:
    try:
        with urlopen(url, timeout=2) as resposta:
            return resposta.status == 200
    except OSError:
        return False


def _esperar(page) -> None:
    """The app is connected and no script run is in flight."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=ESPERA_MS)
    page.wait_for_selector("[data-test-script-state='notRunning']", timeout=ESPERA_MS)


def _entrar(page, url: str, email: str, senha: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    _esperar(page)
    page.get_by_role("textbox", name="E-mail").fill(email)
    page.get_by_role("textbox", name="Senha").fill(senha)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("button", name="Sair")).to_be_visible(timeout=ESPERA_MS)
    _esperar(page)


def _pdf_desenhado(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("pdf-loading")).to_have_count(0, timeout=ESPERA_MS)
    expect(page.locator("[data-testid='pdf-content'] canvas").first).to_be_visible(timeout=ESPERA_MS)


def _capturar_pagina_inteira(page) -> None:
    """Streamlit scrolls inside its main block, so grow the window to the content before the full-page shot."""
    _pdf_desenhado(page)
    altura = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    tamanho = page.viewport_size
    page.set_viewport_size({"width": tamanho["width"], "height": altura})
    _esperar(page)
    _pdf_desenhado(page)
    CAPTURA.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(CAPTURA), full_page=True)
    page.set_viewport_size(tamanho)


def test_approve_reject_and_upload_in_a_real_browser(servidor, chromium):
    from playwright.sync_api import expect, sync_playwright

    procs, senhas, url = servidor["processos"], servidor["senhas"], servidor["url"]
    aprovado, rejeitado, enviado = procs[0], procs[1], procs[7]
    with sync_playwright() as pw:
        navegador = pw.chromium.launch(executable_path=str(chromium), args=ARGS_CHROMIUM)
        contexto = navegador.new_context(viewport={"width": 1920, "height": 1080}, locale="pt-BR",
                                         extra_http_headers={"X-Forwarded-For": IP_DO_PROXY})
        page = contexto.new_page()
        _entrar(page, url, "aprovador@beg.demo", senhas["aprovador@beg.demo"])
        expect(page.get_by_role("heading", name="Fila de aprovação")).to_be_visible()
        expect(page.get_by_role("heading", name=aprovado.cliente.razao_social)).to_be_visible()
        expect(page.locator("[data-testid='stVegaLiteChart']")).to_be_visible(timeout=ESPERA_MS)
        _capturar_pagina_inteira(page)

        page.get_by_role("button", name="Aprovar", exact=True).click()
        expect(page.get_by_text(f"Fatura de {aprovado.cliente.razao_social}")).to_be_visible(timeout=ESPERA_MS)
        _esperar(page)
        expect(page.get_by_role("heading", name=rejeitado.cliente.razao_social)).to_be_visible()
        page.get_by_role("textbox", name="Motivo da rejeição").fill("Fatura de outra conta do cliente")
        page.get_by_role("button", name="Rejeitar").click()
        expect(page.get_by_text("voltou a aguardar download")).to_be_visible(timeout=ESPERA_MS)
        _esperar(page)
        page.get_by_role("button", name="Sair").click()
        expect(page.get_by_role("button", name="Entrar")).to_be_visible(timeout=ESPERA_MS)

        _entrar(page, url, "operador@beg.demo", senhas["operador@beg.demo"])
        page.get_by_role("link", name="Upload manual").click()
        expect(page.get_by_role("heading", name="Upload manual de fatura")).to_be_visible(timeout=ESPERA_MS)
        _esperar(page)
        page.get_by_role("combobox", name="Mês").click()
        page.get_by_role("option", name=servidor["mes"], exact=True).click()
        _esperar(page)
        page.get_by_role("textbox", name="Cliente").fill(enviado.cliente.razao_social)
        page.get_by_role("textbox", name="Cliente").press("Enter")
        rotulo = (f"{enviado.cliente.razao_social} · {enviado.cliente.operadora.codigo} · {servidor['mes']} · "
                  "1 tentativa(s) · senha do portal recusada")
        expect(page.get_by_role("combobox", name="Processo aguardando download")).to_have_value(rotulo,
                                                                                              timeout=ESPERA_MS)
        _esperar(page)
        page.locator("input[type='file']").set_input_files(
            {"name": "fatura-operadora.pdf", "mimeType": "application/pdf",
             "buffer": pdf_de(enviado, Decimal("777.70"), hoje() + dt.timedelta(days=15))})
        enviar = page.get_by_role("button", name="Enviar fatura")
        expect(enviar).to_be_enabled(timeout=ESPERA_MS)
        enviar.click()
        expect(page.get_by_text("o processo agora aguarda aprovação")).to_be_visible(timeout=ESPERA_MS)
        navegador.close()

    ctx = servidor["ctx"]
    assert processos.obter_processo(ctx, aprovado.id).status_processo == "AGUARDANDO_ENVIO_SAT"
    rejeitado_db = processos.obter_processo(ctx, rejeitado.id)
    assert rejeitado_db.status_processo == "AGUARDANDO_DOWNLOAD"
    assert rejeitado_db.observacoes == "Rejeitada por aprovador@beg.demo: Fatura de outra conta do cliente"
    enviado_db = processos.obter_processo(ctx, enviado.id)
    assert enviado_db.status_processo == "AGUARDANDO_APROVACAO" and enviado_db.valor_fatura == Decimal("777.70")
    with ctx.db.leitura() as s:
        trilha = {a.acao: a for a in s.scalars(select(Auditoria).where(
            Auditoria.processo_id.in_([aprovado.id, rejeitado.id, enviado.id]),
            Auditoria.acao.in_(["APROVAR", "REJEITAR", "UPLOAD_MANUAL"])))}
        [execucao] = s.scalars(select(Execucao).where(Execucao.processo_id == enviado.id,
                                                      Execucao.tipo_execucao == "UPLOAD_MANUAL"))
    assert set(trilha) == {"APROVAR", "REJEITAR", "UPLOAD_MANUAL"}
    assert (trilha["APROVAR"].processo_id, trilha["APROVAR"].ator) == (aprovado.id, "aprovador@beg.demo")
    assert trilha["REJEITAR"].detalhes == {"motivo": "Fatura de outra conta do cliente"}
    assert (trilha["UPLOAD_MANUAL"].processo_id, trilha["UPLOAD_MANUAL"].ator) == (enviado.id, "operador@beg.demo")
    assert all(a.ip_origem == IP_DO_PROXY and "Chrome" in a.user_agent for a in trilha.values())
    assert (execucao.ip_origem, execucao.status_execucao) == (IP_DO_PROXY, "CONCLUIDO")
    assert "Chrome" in execucao.user_agent

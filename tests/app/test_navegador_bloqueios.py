"""In a real browser (Playwright + Debian's Chromium, set up as in ``test_navegador``): an approver is blocked by a
boleto that disagrees with the invoice total, overrides it with a reason, and the process's audit shows it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select

from beg_pipeline.db.models import Auditoria
from beg_pipeline.faturas.pdf_fatura import DadosFatura, gerar_pdf_fatura
from beg_pipeline.services import processos
from tests.app.test_navegador import (  # noqa: F401 (fixtures)
    ARGS_CHROMIUM,
    ESPERA_MS,
    _entrar,
    _esperar,
    chromium,
    servidor,
)
from tests.app_fixtures import baixar_fatura, hoje

JUSTIFICATIVA = "Boleto reemitido pela operadora com juros; confirmado no portal"


def _fatura_com_boleto_divergente(ctx, store, processo) -> None:
    cliente = processo.cliente
    vencimento = hoje() - dt.timedelta(days=5)  # the soonest due: the queue opens it for analysis
    dados = DadosFatura(cliente.operadora.nome, cliente.razao_social, cliente.cnpj, processo.mes_ano,
                        Decimal("4959.85"), vencimento, cliente.filtro)
    pdf = gerar_pdf_fatura(dataclasses.replace(dados, valor_boleto=Decimal("5959.85")))
    baixar_fatura(ctx, store, processo, Decimal("4959.85"), vencimento, pdf)


def test_a_boleto_mismatch_blocks_until_the_approver_gives_a_reason(servidor, chromium):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    from beg_pipeline.storage import object_store_from_settings

    ctx, url = servidor["ctx"], servidor["url"]
    alvo = servidor["processos"][9]  # still waiting for its download
    _fatura_com_boleto_divergente(ctx, object_store_from_settings(ctx.settings), alvo)
    nome = alvo.cliente.razao_social
    with sync_playwright() as pw:
        navegador = pw.chromium.launch(executable_path=str(chromium), args=ARGS_CHROMIUM)
        page = navegador.new_context(viewport={"width": 1920, "height": 1080}, locale="pt-BR").new_page()
        _entrar(page, url, "aprovador@beg.demo", servidor["senhas"]["aprovador@beg.demo"])
        expect(page.get_by_role("heading", name=nome)).to_be_visible(timeout=ESPERA_MS)
        expect(page.get_by_text("Bloqueio: boleto de R$ 5.959,85 ≠ total da fatura R$ 4.959,85.")).to_be_visible()

        aprovar = page.get_by_role("button", name="Aprovar com justificativa")
        aprovar.click()  # no reason yet: refused, with the numbers
        expect(page.get_by_text("Aprovação bloqueada: boleto de R$ 5.959,85")).to_be_visible(timeout=ESPERA_MS)
        _esperar(page)
        assert processos.obter_processo(ctx, alvo.id).status_processo == "AGUARDANDO_APROVACAO"

        caixa = page.get_by_role("textbox", name="Justificativa para aprovar mesmo assim")
        caixa.fill(JUSTIFICATIVA)
        caixa.press("Tab")  # the text area sends its value on blur
        _esperar(page)
        aprovar.click()
        expect(page.get_by_text(f"Fatura de {nome} ({alvo.mes_ano}) aprovada.")).to_be_visible(timeout=ESPERA_MS)
        _esperar(page)

        page.get_by_role("link", name="Processos").click()  # a reload would start a new session: navigate
        expect(page.get_by_role("heading", name="Processos")).to_be_visible(timeout=ESPERA_MS)
        _esperar(page)
        page.get_by_role("textbox", name="Buscar").fill(nome)
        page.get_by_role("textbox", name="Buscar").press("Enter")
        _esperar(page)
        page.get_by_role("combobox", name="Situação").click()  # other months of this client are listed too
        page.get_by_role("option", name="Aguardando envio ao SAT", exact=True).click()
        expect(page.get_by_text(re.compile(r"^1 processo\(s\)"))).to_be_visible(timeout=ESPERA_MS)
        _esperar(page)
        page.locator("[data-testid='stDataFrame']").click(position={"x": 16, "y": 53})  # the first row's marker
        expect(page.get_by_role("heading", name=nome)).to_be_visible(timeout=ESPERA_MS)
        aviso = page.get_by_text(re.compile(r"^Aprovada apesar de bloqueio \(boleto de R\$ 5\.959,85"))
        expect(aviso).to_be_visible(timeout=ESPERA_MS)  # the e-mail in it carries an invisible anti-link joiner
        expect(aviso).to_contain_text(f"Justificativa: {JUSTIFICATIVA}")
        navegador.close()

    assert processos.obter_processo(ctx, alvo.id).status_processo == "AGUARDANDO_ENVIO_SAT"
    with ctx.db.leitura() as s:
        [aprovacao] = s.scalars(select(Auditoria).where(Auditoria.processo_id == alvo.id, Auditoria.acao == "APROVAR"))
    assert aprovacao.ator == "aprovador@beg.demo" and aprovacao.detalhes["justificativa"] == JUSTIFICATIVA
    assert aprovacao.detalhes["sinais"] == ["BOLETO_DIVERGENTE"]
    assert aprovacao.detalhes["bloqueios"] == ["boleto de R$ 5.959,85 ≠ total da fatura R$ 4.959,85"]

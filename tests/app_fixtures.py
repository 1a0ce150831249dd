"""What every app test shares: the app on a fresh database, login through the form, invoices ready to approve."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from beg_pipeline.domain import calendario
from beg_pipeline.domain.execucao import TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.faturas.leitura import conferencias, ler_fatura
from beg_pipeline.faturas.pdf_fatura import DadosFatura, gerar_pdf_fatura
from beg_pipeline.services import aprovacoes, processos, rodada_robos, upload_manual
from beg_pipeline.storage import chave_fatura, object_store_from_settings
from tests.builders import ADMIN, mes_com_processos, pessoa, visto

APP = Path(__file__).resolve().parents[1] / "approval_app" / "streamlit_app.py"
SENHA = "senha-forte-123"  # the password tests.builders.pessoa gives every user
PERFIS = (Perfil.ADMINISTRADOR, Perfil.APROVADOR, Perfil.OPERADOR)


@pytest.fixture
def app_env(monkeypatch, settings, secret_key):
    """BEG_ variables the app reads (it runs in this process and loads its own settings)."""
    for nome, valor in {"BEG_DATA_DIR": str(settings.data_dir), "BEG_DATABASE_URL": settings.resolved_database_url,
                        "BEG_SECRET_KEY": secret_key}.items():
        monkeypatch.setenv(nome, valor)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@pytest.fixture
def store(app_env):
    return object_store_from_settings(app_env)


def hoje() -> dt.date:
    """Today as the app sees it (the pages compare due dates with the real date)."""
    return dt.datetime.now(ZoneInfo("America/Sao_Paulo")).date()


def campo(at: AppTest, rotulo: str):
    """The widget (text input, text area, selectbox, checkbox, …) with that label."""
    for lista in (at.text_input, at.text_area, at.selectbox, at.checkbox, at.number_input, at.file_uploader):
        for widget in lista:
            if widget.label == rotulo:
                return widget
    raise AssertionError(f"campo {rotulo!r} não encontrado")


def oculto(widget) -> bool:
    """Whether a text input masks what is typed (``type="password"``)."""
    return widget.proto.type == widget.proto.PASSWORD


def botao(at: AppTest, rotulo: str):
    encontrados = [b for b in at.button if b.label == rotulo]
    assert encontrados, f"botão {rotulo!r} não encontrado; há {[b.label for b in at.button]}"
    return encontrados[0]


def rotulos(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def visivel(markdown: str) -> str:
    """A Markdown element's text as a person reads it: without the backslash escapes and word joiners that
    ``layout.literal`` adds to untrusted text."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def mensagens(at: AppTest, tipo: str) -> list[str]:
    return [visivel(m.value) for m in getattr(at, tipo)]


def textos_brutos(at: AppTest) -> list[str]:
    """The Markdown source of every title, subheader, markdown, caption and message on the page."""
    return [str(e.value) for lista in (at.title, at.subheader, at.markdown, at.caption, at.info, at.success,
                                       at.warning, at.error, at.toast) for e in lista]


def textos(at: AppTest) -> str:
    """Everything written as markdown, captions, titles, messages and code, as a person reads it, in one string."""
    return "\n".join([*(visivel(t) for t in textos_brutos(at)), *(str(e.value) for e in at.code)])


def abrir() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30).run()


def tentar_entrar(at: AppTest, email: str, senha: str) -> AppTest:
    """Fill and submit the login form."""
    campo(at, "E-mail").input(email)
    campo(at, "Senha").input(senha)
    botao(at, "Entrar").click().run()
    assert not at.exception, at.exception
    return at


def entrar(email: str, senha: str = SENHA) -> AppTest:
    """A fresh browser session logged in through the real login form."""
    return tentar_entrar(abrir(), email, senha)


def ir(at: AppTest, pagina: str, **query) -> AppTest:
    at.query_params.update(query)
    at.switch_page(f"app_pages/{pagina}.py").run()
    assert not at.exception, at.exception
    return at


def pdf_de(processo, valor: Decimal, vencimento: dt.date) -> bytes:
    cliente = processo.cliente
    return gerar_pdf_fatura(DadosFatura(cliente.operadora.nome, cliente.razao_social, cliente.cnpj, processo.mes_ano,
                                        valor, vencimento, cliente.filtro))


def baixar_fatura(ctx, store, processo, valor: Decimal, vencimento: dt.date, pdf: bytes | None = None) -> bytes:
    """Drive a process to AGUARDANDO_APROVACAO the way the download asset does, with a real stored PDF."""
    pdf = pdf or pdf_de(processo, valor, vencimento)
    sha = hashlib.sha256(pdf).hexdigest()
    chave = chave_fatura(calendario.particao_de_mes_ano(processo.mes_ano), processo.cliente.operadora.codigo,
                         str(processo.id), sha)
    store.put(chave, pdf, "application/pdf")
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA, classe_rpa="OI")
    rodada_robos.registrar_rodada(ctx, logs={execucao.id: "login no portal ok\nfatura encontrada e baixada"})
    fatura = processos.FaturaArmazenada(chave, sha, "fatura.pdf", valor, vencimento)
    processos.concluir_download(ctx, execucao.id, fatura, {"arquivo_fatura": chave, **conferencias(ler_fatura(pdf))})
    return pdf


def historico(ctx, store, processo, valores: list[Decimal]) -> None:
    """Earlier months of the same client, downloaded and approved with these amounts (oldest first)."""
    mes = calendario.primeiro_dia(processo.mes_ano)
    meses = []
    for _ in valores:
        mes = (mes - dt.timedelta(days=1)).replace(day=1)
        meses.insert(0, calendario.mes_ano_de_data(mes))
    for mes_ano, valor in zip(meses, valores, strict=True):
        processos.criar_processos_do_mes(ctx, SISTEMA, mes_ano)
        anterior = next(p for p in processos.processos_do_mes(ctx, mes_ano) if p.cliente_id == processo.cliente_id)
        baixar_fatura(ctx, store, anterior, valor, calendario.primeiro_dia(mes_ano) + dt.timedelta(days=9))
        aprovacoes.aprovar(ctx, ADMIN, anterior.id, sha256=visto(ctx, anterior.id))


def fila_de_exemplo(ctx, store, meses_anteriores: int = 2) -> dict:
    """Four invoices waiting for approval: overdue with an amount anomaly, due today, on time with the PDF of
    another client (duplicate), and one uploaded by hand by an operator. Returns the processes and the people."""
    procs = sorted(mes_com_processos(ctx, n_clientes=5), key=lambda p: p.cliente.razao_social)
    gente = {perfil: pessoa(ctx, perfil, f"{perfil.value.lower()}@beg.com.br") for perfil in PERFIS}
    dia = hoje()
    historico(ctx, store, procs[0], [Decimal("100.00") + n for n in range(meses_anteriores)])
    baixar_fatura(ctx, store, procs[0], Decimal("1000.00"), dia - dt.timedelta(days=2))
    baixar_fatura(ctx, store, procs[1], Decimal("250.00"), dia)
    repetido = pdf_de(procs[2], Decimal("300.00"), dia + dt.timedelta(days=30))
    baixar_fatura(ctx, store, procs[2], Decimal("300.00"), dia + dt.timedelta(days=30), repetido)
    baixar_fatura(ctx, store, procs[3], Decimal("300.00"), dia + dt.timedelta(days=30), repetido)
    upload_manual.enviar_fatura_manual(ctx, gente[Perfil.OPERADOR], store, procs[4].id,
                                   pdf_de(procs[4], Decimal("80.00"), dia + dt.timedelta(days=40)), "manual.pdf")
    return {"processos": procs, "gente": gente}

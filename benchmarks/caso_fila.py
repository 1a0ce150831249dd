"""Case 4 — the approval queue page.

10,000 invoices waiting for approval in one month (each client also has six earlier invoices, so the
amount-anomaly flags have history to look at; about 5 % are out of line). An approver logs in through the app's
login form, switches to the queue page, and the page is rerun: each rerun ≤ 2 s (Streamlit ``AppTest``, the
median of the reruns after the first load). The service behind the page (``fila_de_aprovacao``) is timed on
its own as an informative row.
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

from benchmarks import dados
from benchmarks.medida import Medida, nao_executado

ALVO_S = 2.0
APP = dados.RAIZ / "approval_app" / "streamlit_app.py"
PAGINA = dados.RAIZ / "approval_app" / "app_pages" / "fila_aprovacao.py"
EMAIL, SENHA = "aprovador@bench.beg", "senha-bench-123456"
MES_FILA = "11/2026"
RERUNS = 3


def _preparar(amb: dados.Ambiente, n: int) -> None:
    from beg_pipeline.faturas.pdf_fatura import gerar_pdf_fatura
    from beg_pipeline.rpa.simulador import dados_da_fatura
    from beg_pipeline.storage import object_store_from_settings

    dados.usuario(amb, EMAIL, "APROVADOR", SENHA)
    clientes = dados.clientes(amb, n)
    base = Decimal("1000.00")
    for mes in dados.meses(7, MES_FILA)[:-1]:  # six earlier months, already sent to SAT
        dados.processos(amb, [(c, mes) for c in clientes], "UPLOAD_REALIZADO", com_fatura=True,
                        valor=lambda i: base + i % 500, vencimento=dt.date(2026, 6, 10))
    hoje = dt.datetime.now(amb.settings.tz).date()
    ids = dados.processos(amb, [(c, MES_FILA) for c in clientes], "AGUARDANDO_APROVACAO", com_fatura=True,
                          valor=lambda i: (base + i % 500) * (3 if i % 20 == 0 else 1),  # 5 % anomalous
                          vencimento=lambda i: hoje + dt.timedelta(days=i % 60 - 10))
    # the invoice the page opens first (soonest due) has its PDF in the store
    from sqlalchemy import select

    from beg_pipeline.db.models import Processo

    store = object_store_from_settings(amb.settings)
    pdf = gerar_pdf_fatura(dados_da_fatura("OI", "12345678000195", "123-0000_01"))
    with amb.ctx.db.leitura() as s:
        chaves = s.scalars(select(Processo.fatura_s3_key).where(Processo.id.in_(ids[::60]))).all()
    for chave in chaves:
        store.put(chave, pdf, "application/pdf")


def _servico(amb: dados.Ambiente) -> tuple[float, int]:
    from beg_pipeline.domain.perfis import Ator, Perfil
    from beg_pipeline.services.fila_aprovacao import fila_de_aprovacao

    ator = Ator(Perfil.APROVADOR, email=EMAIL)
    hoje = dt.datetime.now(amb.settings.tz).date()
    with dados.Cronometro() as c:
        fila = fila_de_aprovacao(amb.ctx, ator, hoje=hoje)
    return c.s, len(fila)


def _app(tempos: list[float], outros: list[float] | None = None) -> str | None:
    """Log in, switch to the queue, rerun; appends each run's seconds to ``tempos`` (and the CPU seconds the rest
    of the machine used meanwhile to ``outros``); returns a problem or None."""
    outros = [] if outros is None else outros
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    campos = {t.label: t for t in at.text_input}
    if "E-mail" not in campos or "Senha" not in campos:
        return f"formulário de login não encontrado (campos: {sorted(campos)})"
    campos["E-mail"].input(EMAIL)
    campos["Senha"].input(SENHA)
    entrar = [b for b in at.button if b.label == "Entrar"]
    if not entrar:
        return "botão Entrar não encontrado"
    entrar[0].click()
    at.run()
    if at.exception:
        return f"exceção após o login: {at.exception[0].message}"
    with dados.Cronometro() as c:
        at.switch_page(str(PAGINA.relative_to(APP.parent)))
        at.run()
    tempos.append(c.s)
    outros.append(max(0.0, c.maquina_cpu_s - c.cpu_s))
    if at.exception:
        return f"exceção na fila: {at.exception[0].message}"
    if not any(t.value == "Fila de aprovação" for t in at.title):
        return f"a página da fila não abriu (títulos: {[t.value for t in at.title]})"
    for _ in range(RERUNS):
        with dados.Cronometro() as c:
            at.run()
        tempos.append(c.s)
        outros.append(max(0.0, c.maquina_cpu_s - c.cpu_s))
        if at.exception:
            return f"exceção num rerun: {at.exception[0].message}"
    return None


def executar(opcoes) -> list[Medida]:
    n = opcoes.fila
    caso = "4 fila"
    with dados.ambiente("sqlite") as amb:
        _preparar(amb, n)
        servico_s, tamanho = _servico(amb)
        saida = [Medida(caso, f"serviço fila_de_aprovacao ({tamanho:,} itens)", servico_s, "s",
                        nota="informativo: a consulta que a página faz a cada rerun")]
        if not APP.exists() or not PAGINA.exists():
            return [nao_executado(caso, f"página da fila, {n:,} faturas: rerun", "s", ALVO_S, "app ausente"), *saida]
        tempos: list[float] = []
        outros: list[float] = []
        try:
            problema = _app(tempos, outros)
        except Exception as exc:  # noqa: BLE001 - the app is written concurrently: report, never crash the run
            problema = f"{type(exc).__name__}: {exc}"
    if problema or len(tempos) < 2:
        return [nao_executado(caso, f"página da fila, {n:,} faturas: rerun", "s", ALVO_S, problema or "sem reruns"),
                *saida]
    mediana = statistics.median(tempos[1:])
    return [Medida(caso, f"página da fila, {n:,} faturas: rerun (mediana de {len(tempos) - 1})", mediana, "s", ALVO_S,
                   nota=(f"primeira carga {tempos[0]:.2f} s; reruns {', '.join(f'{t:.2f}' for t in tempos[1:])} s; "
                         f"CPU do resto da máquina em cada rerun {', '.join(f'{o:.1f}' for o in outros[1:])} s"),
                   extra={"tempos_s": tempos, "outros_cpu_s": outros}), *saida]

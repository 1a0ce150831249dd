"""The batch runner: the 200-download acceptance run under faults, limits, isolation, unreachable API."""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
from collections import Counter

import pytest

from beg_pipeline.rpa.contrato import ClasseFalha, RpaClient, RpaIndisponivel, RpaNaoAutorizado
from beg_pipeline.rpa.lote import CallbacksLote, ItemLote, TipoDesfecho, executar_lote, parametros_lote
from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig, dados_da_fatura
from beg_pipeline.storage.local import LocalObjectStore
from tests.rpa.test_cliente import SENHA, TOKEN, Registro, cliente, pedido

OPERADORAS = ("OI", "VIVO", "EMBRATEL", "DIGITALNET")


@pytest.fixture
def store(tmp_path):
    return LocalObjectStore(tmp_path / "objetos")


def itens(n: int) -> list[ItemLote]:
    return [ItemLote(p.processo_id, OPERADORAS[i % 4], p) for i, p in ((i, pedido(i)) for i in range(n))]


def test_200_downloads_under_faults(store, caplog):
    """20% 5xx, 10% connection resets, 5% hung jobs: every item ends COMPLETED, FAILED with a class or
    TIMEOUT within the job timeout, and no processo gets two jobs."""
    caplog.set_level(logging.DEBUG)
    lote = itens(200)
    credenciais = {item.pedido.cnpj for item in lote[10:15]}
    nao_publicadas = {item.pedido.cnpj: 1 for item in lote[20:25]}
    config = SimuladorConfig(
        latencia_s=0.05, jitter_s=0.03, capacidade=40, semente=2026,
        falha_5xx_submit=0.2, falha_5xx_status=0.2, taxa_reset=0.1, taxa_job_travado=0.05,
        formato_arquivo="misto", formato_valor="misto", formato_data="misto",
        credenciais_invalidas=credenciais, nao_publicada_ate=nao_publicadas, eco_senha_no_erro=True,
    )
    job_timeout_s = 3.0
    registro = Registro()
    inicio = time.monotonic()
    with Simulador(config, token=TOKEN, object_store=store, bucket="beg") as sim:
        desfechos = executar_lote(
            cliente(sim, max_retries=8), lote, max_concorrencia=30, max_por_operadora=10,
            job_timeout_s=job_timeout_s, poll_interval_s=0.05, callbacks=registro, object_store=store, bucket="beg",
        )
    duracao = time.monotonic() - inicio

    assert set(desfechos) == {item.chave for item in lote} == set(registro.desfechos)
    por_tipo = Counter(d.tipo for d in desfechos.values())
    por_classe = Counter(d.classe for d in desfechos.values() if d.tipo is TipoDesfecho.FAILED)
    for item in lote:
        desfecho = desfechos[item.chave]
        if desfecho.tipo is TipoDesfecho.COMPLETED:
            esperado = dados_da_fatura(item.operadora, item.pedido.cnpj, item.pedido.filtro)
            assert desfecho.pdf.startswith(b"%PDF-")
            assert desfecho.resultado.valor_fatura in (None, esperado.valor)
            assert desfecho.resultado.data_vencimento in (None, esperado.vencimento)
        elif desfecho.tipo is TipoDesfecho.FAILED:
            assert desfecho.classe in ClasseFalha and desfecho.mensagem
            assert SENHA not in desfecho.mensagem
        else:
            assert desfecho.duracao_s <= job_timeout_s + 2.0
            assert sim.jobs[desfecho.job_id].travado
        if item.pedido.cnpj in credenciais and desfecho.tipo is TipoDesfecho.FAILED:
            assert desfecho.classe is ClasseFalha.CREDENCIAIS
        if item.pedido.cnpj in nao_publicadas and desfecho.tipo is TipoDesfecho.FAILED:
            assert desfecho.classe is ClasseFalha.NAO_PUBLICADA

    assert max(sim.submissoes_por_processo.values()) == 1, "job duplicado para um processo"
    assert len(sim.jobs) == sum(sim.submissoes_por_processo.values())
    travados = [job for job in sim.jobs.values() if job.travado]
    assert travados and all(job.status == "CANCELLED" for job in travados)
    for tipo in ("5xx_submit", "5xx_status", "reset", "reset_apos_criar", "travado"):
        assert sim.falhas[tipo] > 0, tipo
    assert por_classe[ClasseFalha.CREDENCIAIS] >= 1 and por_classe[ClasseFalha.NAO_PUBLICADA] >= 1
    assert duracao < 60
    assert SENHA not in caplog.text and TOKEN not in caplog.text
    print(
        f"\n200 downloads em {duracao:.1f} s: {dict(por_tipo)}; FAILED por classe {dict(por_classe)}; "
        f"jobs no simulador {len(sim.jobs)}, máx. por processo {max(sim.submissoes_por_processo.values())}; "
        f"falhas injetadas {dict(sim.falhas)}"
    )


class Contador(CallbacksLote):
    """In flight from antes_de_submeter to concluido, overall and per carrier."""

    def __init__(self):
        self.agora: Counter[str] = Counter()
        self.maximo: Counter[str] = Counter()
        self.total_maximo = 0
        self.threads: set[str] = set()

    def antes_de_submeter(self, item):
        self.threads.add(threading.current_thread().name)
        self.agora[item.operadora] += 1
        self.maximo[item.operadora] = max(self.maximo[item.operadora], self.agora[item.operadora])
        self.total_maximo = max(self.total_maximo, sum(self.agora.values()))

    def submetido(self, item, job_id):
        self.threads.add(threading.current_thread().name)

    def concluido(self, item, desfecho):
        self.threads.add(threading.current_thread().name)
        self.agora[item.operadora] -= 1


def test_concurrency_limits_and_callbacks_in_calling_thread(store):
    contador = Contador()
    config = SimuladorConfig(latencia_s=0.1, jitter_s=0.05, capacidade=50)
    with Simulador(config, token=TOKEN, object_store=store) as sim:
        desfechos = executar_lote(
            cliente(sim), itens(24), max_concorrencia=5, max_por_operadora=2, job_timeout_s=5,
            poll_interval_s=0.02, callbacks=contador,
        )
    assert all(d.tipo is TipoDesfecho.COMPLETED for d in desfechos.values())
    # the caps bound jobs in flight at the robot API: a job the list shows ended frees its slot before the batch has
    # its status (result and log), so more items than the cap may be between submit and outcome at once
    assert sim.max_em_voo == 5 and max(sim.max_em_voo_por_operadora.values()) == 2
    assert contador.total_maximo >= 5 and max(contador.maximo.values()) >= 2
    assert contador.threads == {threading.current_thread().name}


def test_prepare_pdf_off_the_loop_and_an_exception_fails_only_its_item(store):
    """``preparar_pdf`` runs in a pool thread, its value reaches the outcome; its exception fails only its item.
    ``fim_da_rodada`` closes every polling round."""
    lote = itens(6)

    class Preparando(Registro):
        def __init__(self):
            super().__init__()
            self.threads_preparo: set[str] = set()
            self.rodadas = 0

        def preparar_pdf(self, item, resultado, pdf):
            self.threads_preparo.add(threading.current_thread().name)
            if item is lote[0]:
                raise ValueError("PDF recusado pelo teste")
            return hashlib.sha256(pdf).hexdigest(), resultado.arquivo_fatura.chave

        def fim_da_rodada(self):
            self.rodadas += 1

    registro = Preparando()
    with Simulador(SimuladorConfig(latencia_s=0.05, jitter_s=0), token=TOKEN, object_store=store) as sim:
        desfechos = executar_lote(cliente(sim), lote, max_concorrencia=3, max_por_operadora=3, job_timeout_s=5,
                                  poll_interval_s=0.02, callbacks=registro, object_store=store, bucket="beg")
    falho = desfechos[lote[0].chave]
    assert falho.tipo is TipoDesfecho.FAILED and "PDF recusado pelo teste" in falho.mensagem
    for item in lote[1:]:
        desfecho = desfechos[item.chave]
        assert desfecho.tipo is TipoDesfecho.COMPLETED
        assert desfecho.preparo == (hashlib.sha256(desfecho.pdf).hexdigest(), desfecho.resultado.arquivo_fatura.chave)
    assert registro.threads_preparo and all(nome.startswith("rpa-arquivos") for nome in registro.threads_preparo)
    assert registro.rodadas >= 2


def test_one_item_exception_does_not_stop_the_others(store):
    lote = itens(6)

    class Falhando(Registro):
        def antes_de_submeter(self, item):
            if item is lote[0]:
                raise RuntimeError("banco fora do ar")
            super().antes_de_submeter(item)

        def submetido(self, item, job_id):
            if item is lote[1]:
                raise RuntimeError("falha ao gravar execução")
            super().submetido(item, job_id)

        def concluido(self, item, desfecho):
            super().concluido(item, desfecho)
            if item is lote[2]:
                raise RuntimeError("falha ao gravar desfecho")

    registro = Falhando()
    with Simulador(SimuladorConfig(latencia_s=0.05, jitter_s=0), token=TOKEN, object_store=store) as sim:
        desfechos = executar_lote(cliente(sim), lote, max_concorrencia=3, max_por_operadora=3, job_timeout_s=5,
                                  poll_interval_s=0.02, callbacks=registro)
    assert desfechos[lote[0].chave].tipo is TipoDesfecho.FAILED and lote[0].job_id is None
    assert lote[0].chave not in sim.submissoes_por_processo
    assert all(desfechos[item.chave].tipo is TipoDesfecho.COMPLETED for item in lote[1:])
    assert set(registro.desfechos) == {item.chave for item in lote}


def test_unreachable_api_reports_all_and_raises(store):
    with socket.socket() as livre:
        livre.bind(("127.0.0.1", 0))
        porta = livre.getsockname()[1]  # closed again: connection refused
    client = RpaClient(f"http://127.0.0.1:{porta}", TOKEN, max_retries=2, backoff_base_s=0.001)
    registro = Registro()
    lote = itens(12)
    with pytest.raises(RpaIndisponivel):
        executar_lote(client, lote, max_concorrencia=4, max_por_operadora=4, job_timeout_s=5,
                      poll_interval_s=0.01, callbacks=registro)
    assert set(registro.desfechos) == {item.chave for item in lote}
    assert all(d.tipo is TipoDesfecho.FAILED and d.classe is ClasseFalha.TRANSITORIA
               for d in registro.desfechos.values())
    assert sum(1 for e in registro.eventos if e[0] == "antes") <= 4 + 3  # gave up instead of trying all 12


def test_production_timeout_with_injected_clock(store):
    """A 30-minute job timeout and 5 s polling, run in well under a second of real time."""
    relogio = [0.0]

    def dormir(segundos: float) -> None:
        sim.aguardar(lambda s: len(s.jobs) == 2, timeout=5)  # the clock moves on only once both jobs exist
        relogio[0] += segundos
        time.sleep(0.005)  # let the submit threads run

    with Simulador(SimuladorConfig(taxa_job_travado=1.0), token=TOKEN, object_store=store) as sim:
        desfechos = executar_lote(
            cliente(sim), itens(2), max_concorrencia=2, max_por_operadora=2, job_timeout_s=1800,
            poll_interval_s=5, relogio=lambda: relogio[0], dormir=dormir,
        )
    assert all(d.tipo is TipoDesfecho.TIMEOUT for d in desfechos.values())
    assert all(1800 < d.duracao_s <= 1815 for d in desfechos.values())
    assert sim.contar("CANCELLED") == 2


def test_one_round_per_interval_work_included(store):
    """The loop sleeps what is left of the poll interval after its own work, not a whole interval on top of it."""
    relogio, esperas = [0.0], []

    def dormir(segundos: float) -> None:
        esperas.append(segundos)
        relogio[0] += segundos
        time.sleep(0.01)  # real time for the simulated robots

    class RodadaLenta(CallbacksLote):
        def fim_da_rodada(self):
            relogio[0] += 0.3  # each round's own work takes 0.3 s

    with Simulador(SimuladorConfig(latencia_s=0.05, jitter_s=0), token=TOKEN, object_store=store) as sim:
        desfechos = executar_lote(cliente(sim), itens(3), max_concorrencia=3, max_por_operadora=3, job_timeout_s=600,
                                  poll_interval_s=1.0, callbacks=RodadaLenta(), relogio=lambda: relogio[0],
                                  dormir=dormir)
    assert all(d.tipo is TipoDesfecho.COMPLETED for d in desfechos.values())
    assert len(esperas) >= 2 and esperas[0] == 1.0
    assert esperas[1:] == [pytest.approx(0.7)] * (len(esperas) - 1)


def test_refused_token_reports_all_and_raises(store):
    with Simulador(SimuladorConfig(), token=TOKEN, object_store=store) as sim:
        client = RpaClient(sim.base_url, "token-errado", max_retries=2, backoff_base_s=0.001)
        registro = Registro()
        with pytest.raises(RpaNaoAutorizado, match="BEG_RPA_TOKEN"):
            executar_lote(client, itens(5), max_concorrencia=2, max_por_operadora=2, job_timeout_s=5,
                          poll_interval_s=0.01, callbacks=registro)
    assert len(registro.desfechos) == 5 and not sim.jobs


def test_repeated_process_in_batch_is_rejected():
    lote = itens(2)
    with pytest.raises(ValueError, match="repetido"):
        executar_lote(None, [lote[0], ItemLote(lote[0].chave, "OI", lote[1].pedido)], max_concorrencia=1,
                      max_por_operadora=1, job_timeout_s=1, poll_interval_s=1)


def test_batch_parameters_from_settings(tmp_path):
    from beg_pipeline.settings import Settings

    settings = Settings(data_dir=tmp_path, rpa_max_concurrency=7, rpa_poll_interval_s=2, _env_file=None)
    assert parametros_lote(settings) == {
        "max_concorrencia": 7, "max_por_operadora": 5, "job_timeout_s": 1800.0, "poll_interval_s": 2.0, "bucket": "beg",
    }

"""Polling in the batch runner: one job list per round, status calls only for jobs that changed, made together, so
a round's wall time does not grow with the number of jobs times the network round trip."""

from __future__ import annotations

import statistics
import time

import pytest

from beg_pipeline.rpa.contrato import RpaIndisponivel
from beg_pipeline.rpa.lote import CallbacksLote, TipoDesfecho, executar_lote
from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
from beg_pipeline.storage.local import LocalObjectStore
from tests.rpa.test_cliente import TOKEN, Registro, cliente
from tests.rpa.test_lote import itens

C = 40
RTT_S = 0.04


@pytest.fixture
def store(tmp_path):
    return LocalObjectStore(tmp_path / "objetos")


class Rodadas(CallbacksLote):
    """Wall time of each polling round: from the end of the loop's sleep to ``fim_da_rodada``."""

    def __init__(self):
        self.inicio: float | None = None
        self.duracoes: list[float] = []

    def dormir(self, segundos: float) -> None:
        time.sleep(segundos)
        self.inicio = time.monotonic()

    def fim_da_rodada(self) -> None:
        if self.inicio is not None:
            self.duracoes.append(time.monotonic() - self.inicio)
            self.inicio = None


def test_a_polling_round_stays_flat_as_the_round_trip_grows(store):
    """40 jobs in flight behind a 40 ms round trip: polling them one after another would take 40 × 40 ms = 1.6 s a
    round; every round here takes a small fraction of that, and each job costs a few status calls, not one a round."""
    rodadas = Rodadas()
    config = SimuladorConfig(latencia_s=1.0, jitter_s=0.0, capacidade=C, rtt_s=RTT_S)
    with Simulador(config, token=TOKEN, object_store=store, bucket="beg") as sim:
        desfechos = executar_lote(cliente(sim, pool_maxsize=2 * C + 8), itens(C), max_concorrencia=C,
                                  max_por_operadora=C, job_timeout_s=60, poll_interval_s=0.05, callbacks=rodadas,
                                  object_store=store, bucket="beg", dormir=rodadas.dormir)
    assert all(d.tipo is TipoDesfecho.COMPLETED for d in desfechos.values())
    assert len(rodadas.duracoes) >= 5
    # One status call after another made a round cost C × RTT (plus a logs call per job): 1.6–3.2 s here. The bounds
    # leave room for a loaded 2-core CI machine; the request counts below are the structural proof.
    # The first round harvests the 40 submits (POSTs, not polls); the polling rounds follow, the one that meets the
    # 40 finished jobs included.
    assert max(rodadas.duracoes[1:]) < 0.75 * C * RTT_S, rodadas.duracoes
    assert statistics.median(rodadas.duracoes) < 5 * RTT_S, rodadas.duracoes
    assert sim.requisicoes["GET /status"] <= 3 * C, sim.requisicoes  # only jobs whose state changed
    assert sim.requisicoes["GET /jobs"] >= len(rodadas.duracoes) // 2  # the list, each round that follows jobs


class SemLista:
    """A robot API whose job list never shows the batch's jobs (another deployment's jobs crowd it out)."""

    def __init__(self, real, falhar: bool):
        self._real, self._falhar = real, falhar

    def jobs(self, limit: int = 50):
        if self._falhar:
            raise RpaIndisponivel("GET /jobs: HTTP 503 após 6 tentativas")
        return []

    def __getattr__(self, nome):
        return getattr(self._real, nome)


@pytest.mark.parametrize("falhar", [False, True], ids=["job-not-listed", "list-unavailable"])
def test_jobs_missing_from_the_list_are_polled_one_by_one(store, falhar):
    with Simulador(SimuladorConfig(latencia_s=0.1, jitter_s=0.0, capacidade=10), token=TOKEN, object_store=store,
                   bucket="beg") as sim:
        desfechos = executar_lote(SemLista(cliente(sim), falhar), itens(6), max_concorrencia=6, max_por_operadora=6,
                                  job_timeout_s=30, poll_interval_s=0.02, object_store=store, bucket="beg")
    assert [d.tipo for d in desfechos.values()] == [TipoDesfecho.COMPLETED] * 6
    assert sim.requisicoes["GET /status"] >= 6 * 2  # polled every round, as before the job list existed


def test_a_job_adopted_after_an_uncertain_submit_is_polled_even_if_already_done(store):
    """The submit's answer is lost (read timeout) and the client adopts the job it created, which has already
    finished: the next round asks its status (outcome and robot log), instead of waiting for the job timeout."""
    registro = Registro()
    config = SimuladorConfig(latencia_s=0.02, jitter_s=0.0, capacidade=10, atraso_submit_s=0.6)
    with Simulador(config, token=TOKEN, object_store=store, bucket="beg") as sim:
        desfechos = executar_lote(cliente(sim, timeout_s=0.3), itens(3), max_concorrencia=3, max_por_operadora=3,
                                  job_timeout_s=3.0, poll_interval_s=0.02, callbacks=registro, object_store=store,
                                  bucket="beg")
        assert sim.requisicoes["DELETE /jobs"] == 0  # never reached the job timeout
    assert [d.tipo for d in desfechos.values()] == [TipoDesfecho.COMPLETED] * 3
    for chave in desfechos:
        assert any(linha.message == "Download concluído" for linha in registro.linhas[chave]), registro.linhas


class Cronologia:
    """The robot API as the batch sees it, with when each submit and status call started and ended."""

    def __init__(self, real):
        self._real, self.chamadas = real, []

    def _medir(self, nome, chave, chamada, *args):
        inicio = time.monotonic()
        try:
            return chamada(*args)
        finally:
            self.chamadas.append((nome, chave, inicio, time.monotonic()))

    def submeter_download(self, operadora, pedido, ignorar=frozenset()):
        return self._medir("submit", pedido.processo_id, self._real.submeter_download, operadora, pedido, ignorar)

    def status(self, job_id):
        return self._medir("status", job_id, self._real.status, job_id)

    def __getattr__(self, nome):
        return getattr(self._real, nome)


def test_a_robot_the_job_list_shows_free_takes_the_next_job_before_the_ended_jobs_status_is_back(store):
    """One robot slot, two jobs, a 0.2 s round trip: the list shows the first job ended, so the second is submitted
    while the first one's status (result and log) is still on its way, not one round trip later."""
    config = SimuladorConfig(latencia_s=0.1, jitter_s=0.0, capacidade=1, rtt_s=0.2)
    with Simulador(config, token=TOKEN, object_store=store, bucket="beg") as sim:
        api = Cronologia(cliente(sim))
        primeiro, segundo = itens(2)
        desfechos = executar_lote(api, [primeiro, segundo], max_concorrencia=1, max_por_operadora=1,
                                  job_timeout_s=30, poll_interval_s=0.05, object_store=store, bucket="beg")
    assert [d.tipo for d in desfechos.values()] == [TipoDesfecho.COMPLETED] * 2
    job_1 = desfechos[primeiro.chave].job_id
    [submit_2] = [c for c in api.chamadas if c[:2] == ("submit", segundo.chave)]
    fim_do_status_final_1 = max(c[3] for c in api.chamadas if c[:2] == ("status", job_1))
    assert submit_2[2] < fim_do_status_final_1, api.chamadas
    assert sim.max_em_voo == 1  # the slot was free: the robot API never saw two jobs at once

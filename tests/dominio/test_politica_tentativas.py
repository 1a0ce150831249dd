"""Unit tests of the retry policy: HTTP retries, batch give-up and timeout, per-process decisions."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beg_pipeline.db.models import Processo
from beg_pipeline.domain import politica_tentativas as politica
from beg_pipeline.domain.execucao import ClasseFalha
from beg_pipeline.domain.politica_tentativas import Decisao, PoliticaHttp

HOJE = dt.date(2026, 11, 16)


def test_http_calls_count_the_first_try():
    assert PoliticaHttp(max_retries=0).chamadas == 1
    assert politica.POLITICA_HTTP.chamadas == politica.POLITICA_HTTP.max_retries + 1


def test_http_backoff_ceiling_doubles_until_the_maximum():
    p = PoliticaHttp(backoff_base_s=0.5, backoff_max_s=3.0)
    assert [p.teto_backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@given(tentativa=st.integers(0, 40), semente=st.integers(0, 2**32))
def test_http_backoff_is_drawn_below_its_ceiling(tentativa, semente):
    p = politica.POLITICA_HTTP
    espera = p.espera_backoff(tentativa, random.Random(semente).uniform)
    assert 0 <= espera <= p.teto_backoff(tentativa) <= p.backoff_max_s


def test_retry_after_is_honoured_up_to_its_cap():
    p = PoliticaHttp(retry_after_max_s=60.0)
    assert p.espera_retry_after(2.0) == 2.0
    assert p.espera_retry_after(3600.0) == 60.0


@pytest.mark.parametrize("codigo", [429, 500, 502, 503, 504])
def test_overload_and_server_errors_are_retried(codigo):
    assert politica.codigo_repetivel(codigo)


@pytest.mark.parametrize("codigo", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_not_retried(codigo):
    assert not politica.codigo_repetivel(codigo)


def test_batch_gives_up_only_when_the_api_never_answered():
    limite = politica.FALHAS_ATE_DESISTIR
    assert not politica.api_perdida(False, limite - 1)
    assert politica.api_perdida(False, limite)
    assert not politica.api_perdida(True, limite + 10)


def test_job_timeout_is_strictly_past_the_limit():
    assert not politica.prazo_esgotado(1800.0, 1800.0)
    assert politica.prazo_esgotado(1800.1, 1800.0)


@pytest.mark.parametrize(("classe", "decisao"), [
    (ClasseFalha.TRANSITORIA, Decisao.REPETIR),
    (None, Decisao.REPETIR),
    (ClasseFalha.NAO_PUBLICADA, Decisao.PROXIMA_EXECUCAO),
    (ClasseFalha.CREDENCIAIS, Decisao.PESSOA),
])
def test_decision_per_failure_class(classe, decisao):
    assert politica.decidir(classe) is decisao


def test_every_failure_class_has_a_decision():
    assert set(politica.DECISAO_POR_CLASSE) == set(ClasseFalha)


@pytest.mark.parametrize("classe", [*ClasseFalha, None])
def test_timeouts_and_uncertain_submits_are_followed_up_in_the_next_round(classe):
    assert politica.decidir(classe, timeout=True) is Decisao.REPETIR
    assert politica.decidir(classe, incerto=True) is Decisao.REPETIR


def test_attempts_per_run_stop_at_the_limit():
    assert [politica.resta_tentativa(n, 3) for n in range(5)] == [True, True, True, False, False]


def test_round_backoff_doubles_and_is_capped_at_an_hour():
    assert [politica.espera_entre_rodadas(n, 60.0) for n in (1, 2, 3)] == [60.0, 120.0, 240.0]
    assert politica.espera_entre_rodadas(20, 60.0) == politica.ESPERA_MAX_RODADA_S == 3600.0
    assert politica.espera_entre_rodadas(3, 0.0) == 0.0


def test_only_credentials_need_a_person():
    assert sorted(politica.CLASSES_PARA_PESSOA) == [ClasseFalha.CREDENCIAIS]
    assert not politica.exige_pessoa(None)


@pytest.mark.parametrize(("classe", "ultima", "espera"), [
    (ClasseFalha.NAO_PUBLICADA, HOJE, True),
    (ClasseFalha.NAO_PUBLICADA, HOJE + dt.timedelta(days=1), True),  # a clock ahead still waits
    (ClasseFalha.NAO_PUBLICADA, HOJE - dt.timedelta(days=1), False),
    (ClasseFalha.NAO_PUBLICADA, None, False),
    (ClasseFalha.TRANSITORIA, HOJE, False),
    (ClasseFalha.CREDENCIAIS, HOJE, False),  # waits for a person, not for a day
    (None, HOJE, False),
])
def test_unpublished_invoice_waits_for_another_day(classe, ultima, espera):
    assert politica.aguarda_proxima_execucao(classe, ultima, HOJE) is espera


def test_release_resets_existing_process_fields_and_cannot_be_changed():
    assert all(hasattr(Processo, campo) for campo in politica.RECOMECO_DOWNLOAD)
    assert politica.RECOMECO_DOWNLOAD["tentativas_download"] == 0
    with pytest.raises(TypeError):
        politica.RECOMECO_DOWNLOAD["tentativas_download"] = 5  # type: ignore[index]

"""The retry policy of robot work, in one place: what is retried, how often, after how long, when a process waits
for a later run and when a person must act.

Pure data and functions. The robot client (``rpa.contrato``), the batch runner (``rpa.lote``) and the services
(``robos``, ``processos``, ``cadastros``) take their numbers and decisions from here. Reading the vendor's
messages into a ``ClasseFalha`` is contract knowledge and stays in ``rpa.contrato``.

Three levels:

1. One HTTP call (``PoliticaHttp``): connection errors, timeouts, 5xx, 429 and malformed JSON are retried with
   full-jitter exponential backoff, or after the server's ``Retry-After`` (capped).
2. One batch: once ``FALHAS_ATE_DESISTIR`` calls got no answer at all (and none ever did), the rest is given up;
   a job not finished ``job_timeout_s`` after its id became known is cancelled (``prazo_esgotado``).
3. One process in one run: an attempt that failed is decided by ``decidir``: retried in a next round of the same
   run (transient failures, timeouts, uncertain submits), up to ``BEG_MAX_TENTATIVAS`` attempts per run
   (``resta_tentativa``), with a backoff between rounds (``espera_entre_rodadas``); left for a later run
   (invoice not yet published: ``aguarda_proxima_execucao``); or left for a person (wrong credentials), until
   someone fixes the client or releases the process, which resets its counters (``RECOMECO_DOWNLOAD``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from beg_pipeline.domain.execucao import ClasseFalha

# --------------------------------------------------------------------------- one HTTP call


@dataclass(frozen=True)
class PoliticaHttp:
    """Retries of one call to the robot API."""

    max_retries: int = 5  # retries after the first try
    backoff_base_s: float = 0.5  # full jitter: a pause drawn from [0, min(max, base * 2**retry)]
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 300.0  # a longer Retry-After is cut to this

    @property
    def chamadas(self) -> int:
        """Calls in all, the first one included."""
        return self.max_retries + 1

    def teto_backoff(self, tentativa: int) -> float:
        """Upper bound of the pause after failed try number ``tentativa`` (0-based)."""
        return min(self.backoff_max_s, self.backoff_base_s * 2**tentativa)

    def espera_backoff(self, tentativa: int, sortear: Callable[[float, float], float]) -> float:
        """The pause after try ``tentativa``; ``sortear(a, b)`` draws uniformly (e.g. ``random.uniform``)."""
        return sortear(0, self.teto_backoff(tentativa))

    def espera_retry_after(self, segundos: float) -> float:
        return min(segundos, self.retry_after_max_s)


POLITICA_HTTP = PoliticaHttp()

CODIGOS_COM_RETRY_AFTER = frozenset({429, 503})  # answers whose Retry-After header sets the pause


def codigo_repetivel(codigo: int) -> bool:
    """HTTP answers retried as they are: overload and server errors. 401 and other 4xx never are."""
    return codigo == 429 or codigo >= 500


# --------------------------------------------------------------------------- one batch

FALHAS_ATE_DESISTIR = 3  # calls with no answer at all from the API (each after its own retries) before giving up


def api_perdida(houve_resposta: bool, falhas_sem_resposta: int) -> bool:
    """Whether a batch gives up the rest: the API never answered and failed ``FALHAS_ATE_DESISTIR`` calls."""
    return not houve_resposta and falhas_sem_resposta >= FALHAS_ATE_DESISTIR


def prazo_esgotado(decorrido_s: float, job_timeout_s: float) -> bool:
    """Whether a job followed for ``decorrido_s`` (since its id became known) is past the job timeout and is
    cancelled; its attempt then ends TIMEOUT, retried as a transient failure."""
    return decorrido_s > job_timeout_s


# --------------------------------------------------------------------------- one process


class Decisao(str, enum.Enum):
    """What follows a failed attempt."""

    REPETIR = "REPETIR"  # another attempt in this run, after the round backoff
    PROXIMA_EXECUCAO = "PROXIMA_EXECUCAO"  # nothing more today: a later scheduled run tries again
    PESSOA = "PESSOA"  # no attempt until a person fixes the cause and releases the process


DECISAO_POR_CLASSE = {
    ClasseFalha.TRANSITORIA: Decisao.REPETIR,
    ClasseFalha.NAO_PUBLICADA: Decisao.PROXIMA_EXECUCAO,
    ClasseFalha.CREDENCIAIS: Decisao.PESSOA,
}

ESPERA_MAX_RODADA_S = 3600.0


def decidir(classe: ClasseFalha | None, *, timeout: bool = False, incerto: bool = False) -> Decisao:
    """The decision for a failed attempt. An uncertain one (the job may exist) is followed or looked up in the next
    round, never resent blindly; a timeout and a failure without class count as transient."""
    if incerto or timeout:
        return Decisao.REPETIR
    return DECISAO_POR_CLASSE[classe or ClasseFalha.TRANSITORIA]


def resta_tentativa(rodadas: int, max_tentativas: int) -> bool:
    """Whether a run that made ``rodadas`` rounds makes another one for the processes ``decidir`` sends to
    ``REPETIR`` (``max_tentativas`` is ``BEG_MAX_TENTATIVAS``, attempts per process and run). The process's
    ``tentativas_download`` counts attempts since the last reset for people to see; it limits nothing."""
    return rodadas < max_tentativas


def espera_entre_rodadas(rodada: int, backoff_s: float) -> float:
    """Pause before round ``rodada`` (1 for the first retry) of a run: ``BEG_RPA_RETRY_BACKOFF_S`` doubled each
    round, at most an hour."""
    return min(backoff_s * 2 ** (rodada - 1), ESPERA_MAX_RODADA_S)


def exige_pessoa(classe: ClasseFalha | None) -> bool:
    return classe is not None and DECISAO_POR_CLASSE[classe] is Decisao.PESSOA


CLASSES_PARA_PESSOA = frozenset(c for c in ClasseFalha if exige_pessoa(c))


def aguarda_proxima_execucao(classe: ClasseFalha | None, dia_ultima_tentativa: dt.date | None, hoje: dt.date) -> bool:
    """Whether a process already tried today (local date) waits for a later day before the robot tries again."""
    if classe is None or DECISAO_POR_CLASSE[classe] is not Decisao.PROXIMA_EXECUCAO:
        return False
    return dia_ultima_tentativa is not None and dia_ultima_tentativa >= hoje


# What a person's release resets on a process waiting for its invoice (new credentials, a rejected invoice,
# "try again"): the download attempt count and the last failure class, so the next run takes it again.
RECOMECO_DOWNLOAD = MappingProxyType({"tentativas_download": 0, "classe_ultima_falha": None})

"""Errors of the robot API client."""

from __future__ import annotations


class RpaErro(Exception):
    """Base of every error of the robot API client; messages never carry the token or a password."""


class RpaIndisponivel(RpaErro):
    """Connection errors, timeouts, 5xx or 429 after every retry."""


class EnvioIncerto(RpaErro):
    """A submit may have created a job, and ``GET /jobs`` could not say: resubmitting could duplicate it."""


class RpaNaoAutorizado(RpaErro):
    """401: the bearer token was refused."""


class OperadoraSemRobo(RpaErro):
    """404 on ``POST /executar/{OPERADORA}``: no robot for that carrier."""


class PedidoRecusado(RpaErro):
    """422 (or another 4xx) on a submit: the API rejected the body."""


class JobNaoEncontrado(RpaErro):
    """404 on a job endpoint."""


class RespostaInvalida(RpaErro):
    """The API answered something that is not the contract's JSON (after every retry)."""


class ArquivoInvalido(RpaErro):
    """The invoice file of a completed job cannot be fetched or is not a PDF."""


class RpaErroHttp(RpaErro):
    """Another non-retryable 4xx."""

    def __init__(self, mensagem: str, status_code: int):
        super().__init__(mensagem)
        self.status_code = status_code

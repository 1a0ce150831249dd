"""The helper that starts PostgreSQL, RabbitMQ and Redis: a service that answers is left alone; one that cannot be
started is reported with the command that would start it."""

import socket

import pytest

from beg_pipeline.producao.infraestrutura import ServicoExterno, ServicoIndisponivel, garantir
from tests.dagster_servicos import porta_livre


def test_a_service_that_answers_is_not_started_again():
    with socket.socket() as servidor:
        servidor.bind(("127.0.0.1", 0))
        servidor.listen()
        ligado = ServicoExterno("Fila", servidor.getsockname()[1], ("comando-que-nao-existe-beg",))
        mensagens = []
        garantir((ligado,), log=mensagens.append)
        assert mensagens == []


def test_a_service_that_cannot_be_started_names_itself_and_the_command():
    parado = ServicoExterno("Fila", porta_livre(), ("comando-que-nao-existe-beg", "--daemonize", ""))
    with pytest.raises(ServicoIndisponivel) as erro:
        garantir((parado,), timeout_s=1)
    assert f"Fila não responde em 127.0.0.1:{parado.porta}" in str(erro.value)
    assert 'comando-que-nao-existe-beg --daemonize ""' in str(erro.value)

"""PostgreSQL, RabbitMQ and Redis on this host: check they answer, start the ones that are down.

Used by ``make prod-local`` and by the Celery test. The start commands are the ones of the project's machines
(root, Debian packages); elsewhere a service that is down is reported with the command to start it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass


class ServicoIndisponivel(Exception):
    """A service the production topology needs is down and could not be started; the message says how."""


@dataclass(frozen=True)
class ServicoExterno:
    nome: str
    porta: int
    comando: tuple[str, ...]

    def responde(self, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
        try:
            with socket.create_connection((host, self.porta), timeout):
                return True
        except OSError:
            return False


def _versao_postgres() -> str:
    versoes = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    return versoes[-1] if versoes else "?"


POSTGRESQL = ServicoExterno("PostgreSQL", 5432, ("pg_ctlcluster", "--skip-systemctl-redirect", "{versao}", "main",
                                                 "start"))
RABBITMQ = ServicoExterno("RabbitMQ", 5672, ("rabbitmq-server", "-detached"))
REDIS = ServicoExterno("Redis", 6379, ("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port",
                                       "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                                       "--logfile", "/var/log/redis/ci.log"))
TODOS = (POSTGRESQL, RABBITMQ, REDIS)


def _comando(servico: ServicoExterno) -> list[str]:
    return [p.replace("{versao}", _versao_postgres()) for p in servico.comando]


def garantir(servicos: tuple[ServicoExterno, ...] = TODOS, timeout_s: float = 60,
             log: Callable[[str], None] = print) -> None:
    """Start every service of ``servicos`` that does not answer and wait until it does.

    Raises ``ServicoIndisponivel`` naming the service and the command to run when it cannot be started here."""
    for servico in servicos:
        if servico.responde():
            continue
        comando = _comando(servico)
        texto = " ".join(c if c else '""' for c in comando)
        if shutil.which(comando[0]) is None or os.geteuid() != 0:
            raise ServicoIndisponivel(f"{servico.nome} não responde em 127.0.0.1:{servico.porta} e não pode ser "
                                      f"iniciado aqui (precisa de root e de {comando[0]}); inicie-o com: {texto}")
        log(f"{servico.nome} não responde em 127.0.0.1:{servico.porta}; iniciando: {texto}")
        if servico is REDIS:
            os.makedirs("/var/lib/redis", exist_ok=True)
            os.makedirs("/var/log/redis", exist_ok=True)
        resultado = subprocess.run(comando, capture_output=True, text=True, timeout=timeout_s, check=False)
        limite = time.monotonic() + timeout_s
        while not servico.responde():
            if time.monotonic() > limite:
                raise ServicoIndisponivel(f"{servico.nome} não respondeu em {timeout_s:.0f} s após `{texto}` "
                                          f"(código {resultado.returncode}): {resultado.stderr.strip()[-500:]}")
            time.sleep(0.5)


if __name__ == "__main__":
    garantir()

"""Runs the work on a PDF that came from outside in a separate, limited process, so a hostile file costs at most
the configured CPU, memory and wall-clock time and never blocks or crashes the caller (issue 14).

A few worker processes (``isolamento_trabalhador``) are started on first use and reused. Each task gets an
RLIMIT_CPU and RLIMIT_AS set by the worker before it touches the bytes, and a wall-clock deadline enforced here:
a worker over the deadline is killed and replaced. The worker answers in JSON (never pickle: it handles hostile
input) and gets a minimal environment (no secrets).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_TAMANHO = struct.Struct(">Q")
_PRONTO = b"pronto"
_PARTIDA_S = 120.0  # a worker imports pypdf and fpdf2 (~1 s; more on a loaded machine)


@dataclass(frozen=True)
class LimitesPdf:
    """Per task: CPU seconds, address space (MB), wall-clock seconds; ``processos``: workers at most."""

    cpu_s: float = 20.0
    memoria_mb: int = 1024
    tempo_s: float = 60.0
    processos: int = 2


class LimiteExcedido(Exception):
    """The task was stopped by a limit; ``limite`` is "cpu", "memoria", "tempo" or "processo" (the worker died)."""

    def __init__(self, limite: str, limites: LimitesPdf) -> None:
        self.limite, self.limites = limite, limites
        super().__init__(limite)

    def em_palavras(self) -> str:
        """What was exceeded, for the user (Brazilian Portuguese)."""
        return {
            "cpu": f"excedeu o limite de {self.limites.cpu_s:g} s de processamento",
            "memoria": f"excedeu o limite de {self.limites.memoria_mb} MB de memória",
            "tempo": f"não terminou em {self.limites.tempo_s:g} s",
        }.get(self.limite, "o processo de verificação terminou de forma inesperada")


def limites_configurados() -> LimitesPdf:
    """The limits of the ``BEG_PDF_*`` settings (read again only when one of those variables changes)."""
    chave = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("BEG_PDF_")))
    return _limites(chave)


@lru_cache(maxsize=8)
def _limites(_chave: tuple) -> LimitesPdf:
    from beg_pipeline.settings import load_settings  # here: the workers import this module and need no pydantic

    s = load_settings()
    return LimitesPdf(cpu_s=s.pdf_cpu_s, memoria_mb=s.pdf_memoria_mb, tempo_s=s.pdf_tempo_s, processos=s.pdf_processos)


_LEITURAS_GUARDADAS = 64
_leituras: OrderedDict[str, dict] = OrderedDict()
_trava_leituras = threading.Lock()


def guardar_leitura(sha256: str, leitura: dict) -> None:
    """Keep the reading the validation task made of a file (by SHA-256), so that reading it next costs nothing."""
    with _trava_leituras:
        _leituras[sha256] = leitura
        _leituras.move_to_end(sha256)
        while len(_leituras) > _LEITURAS_GUARDADAS:
            _leituras.popitem(last=False)


def leitura_guardada(sha256: str) -> dict | None:
    with _trava_leituras:
        return _leituras.get(sha256)


def faltou_memoria(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a ``MemoryError`` (pypdf wraps some in its own errors)."""
    vistos: set[int] = set()
    atual: BaseException | None = exc
    while atual is not None and id(atual) not in vistos:
        if isinstance(atual, MemoryError):
            return True
        vistos.add(id(atual))
        atual = atual.__cause__ or atual.__context__
    return False


def executar(tarefa: str, dados: bytes, limites: LimitesPdf, **parametros) -> dict:
    """Run ``tarefa`` (see ``isolamento_trabalhador.TAREFAS``) on ``dados`` in a worker; its JSON answer, or
    ``LimiteExcedido``. ``OSError`` only if no worker can be started at all."""
    return _grupo().executar({"tarefa": tarefa, "cpu_s": limites.cpu_s, "memoria_mb": limites.memoria_mb,
                              **parametros}, dados, limites)


class _Morreu(Exception):
    pass


class _NaoRecebeu(_Morreu):
    """The worker was gone before it got the task (the task never ran)."""


class _Trabalhador:
    def __init__(self) -> None:
        raiz = str(Path(__file__).resolve().parents[2])  # this very code, whatever is installed elsewhere
        caminho = os.pathsep.join(p for p in (raiz, os.environ.get("PYTHONPATH")) if p)
        ambiente = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": caminho}
        self.processo = subprocess.Popen(
            [sys.executable, "-m", "beg_pipeline.faturas.isolamento_trabalhador"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ambiente, close_fds=True)
        try:
            pronto = self._receber(_PARTIDA_S) == _PRONTO
        except (_Morreu, TimeoutError):
            pronto = False
        if not pronto:
            self.encerrar()
            raise OSError("não foi possível iniciar o processo de verificação de PDF (veja o log de erros)")

    def executar(self, pedido: dict, dados: bytes, prazo_s: float) -> dict:
        cabecalho = json.dumps(pedido).encode()
        try:
            self.processo.stdin.write(_TAMANHO.pack(len(cabecalho)) + cabecalho + _TAMANHO.pack(len(dados)))
            self.processo.stdin.write(dados)
            self.processo.stdin.flush()
        except OSError:
            raise _NaoRecebeu from None
        return json.loads(self._receber(prazo_s))

    def _receber(self, prazo_s: float) -> bytes:
        """One framed message; ``TimeoutError`` past the deadline, ``_Morreu`` if the worker ended."""
        fd = self.processo.stdout.fileno()
        fim = time.monotonic() + prazo_s
        buffer = b""
        tamanho = None
        while tamanho is None or len(buffer) < _TAMANHO.size + tamanho:
            restante = fim - time.monotonic()
            if restante <= 0 or not select.select([fd], [], [], restante)[0]:
                raise TimeoutError
            pedaco = os.read(fd, 1 << 16)
            if not pedaco:
                raise _Morreu
            buffer += pedaco
            if tamanho is None and len(buffer) >= _TAMANHO.size:
                (tamanho,) = _TAMANHO.unpack_from(buffer)
        return buffer[_TAMANHO.size:]

    def causa_da_morte(self) -> str:
        codigo = self.processo.wait()
        return "cpu" if codigo == -signal.SIGXCPU else "processo"

    def encerrar(self) -> None:
        if self.processo.poll() is None:
            self.processo.kill()  # our own child, by its Popen handle
        self.processo.wait()
        for pipe in (self.processo.stdin, self.processo.stdout):
            with contextlib.suppress(OSError):
                pipe.close()


class _Grupo:
    """Idle workers, reused; at most ``limites.processos`` at once. A task that breaks a limit takes its worker."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.livres: list[_Trabalhador] = []
        self.total = 0
        self.condicao = threading.Condition()

    def executar(self, pedido: dict, dados: bytes, limites: LimitesPdf) -> dict:
        for _ in range(limites.processos + 1):  # every idle worker may have ended meanwhile
            trabalhador = self._obter(limites.processos)
            try:
                resposta = trabalhador.executar(pedido, dados, limites.tempo_s)
            except _NaoRecebeu:  # an idle worker that ended meanwhile: the task goes to a fresh one
                self._descartar(trabalhador)
                continue
            except TimeoutError:
                self._descartar(trabalhador)
                raise LimiteExcedido("tempo", limites) from None
            except _Morreu:
                causa = trabalhador.causa_da_morte()
                self._descartar(trabalhador)
                raise LimiteExcedido(causa, limites) from None
            except BaseException:
                self._descartar(trabalhador)
                raise
            if resposta.get("limite"):  # the worker hit its memory limit and exits after answering
                self._descartar(trabalhador)
                raise LimiteExcedido(resposta["limite"], limites)
            if resposta.pop("reciclar", False):  # it grew and exits: its heap must not eat the next file's budget
                self._descartar(trabalhador)
            else:
                with self.condicao:
                    self.livres.append(trabalhador)
                    self.condicao.notify()
            return resposta
        raise OSError("o processo de verificação de PDF terminou antes de receber o arquivo")

    def _obter(self, maximo: int) -> _Trabalhador:
        with self.condicao:
            while not self.livres and self.total >= maximo:
                self.condicao.wait()
            if self.livres:
                return self.livres.pop()
            self.total += 1
        try:
            return _Trabalhador()  # started outside the lock: other tasks go on meanwhile
        except BaseException:
            with self.condicao:
                self.total -= 1
                self.condicao.notify()
            raise

    def _descartar(self, trabalhador: _Trabalhador) -> None:
        trabalhador.encerrar()
        with self.condicao:
            self.total -= 1
            self.condicao.notify()

    def encerrar(self) -> None:
        with self.condicao:
            livres, self.livres = self.livres, []
            self.total -= len(livres)
        for trabalhador in livres:
            trabalhador.encerrar()


_grupo_atual: _Grupo | None = None
_trava = threading.Lock()


def _grupo() -> _Grupo:
    """The process's group; a forked child gets its own (its parent's pipes are not its to use)."""
    global _grupo_atual
    with _trava:
        if _grupo_atual is None or _grupo_atual.pid != os.getpid():
            _grupo_atual = _Grupo()
        return _grupo_atual


@atexit.register
def _encerrar_ao_sair() -> None:
    if _grupo_atual is not None and _grupo_atual.pid == os.getpid():
        _grupo_atual.encerrar()

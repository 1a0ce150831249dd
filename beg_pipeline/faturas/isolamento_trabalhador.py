"""Worker process of ``isolamento``: reads framed tasks on stdin, answers one JSON object per task on stdout.

Before each task it lowers its own RLIMIT_CPU (CPU used so far + the task's budget: over it, the kernel's SIGXCPU
ends the process) and RLIMIT_AS; after the task it lifts them again. After a ``MemoryError``, or a task that left
it using more than half the room its memory budget leaves, it answers and exits (a big heap would eat the next
file's budget). Run as ``python -m beg_pipeline.faturas.isolamento_trabalhador``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import struct
import sys
from typing import BinaryIO

from beg_pipeline.faturas import leitura, validacao_pdf

_TAMANHO = struct.Struct(">Q")
_MB = 1024 * 1024


def _validar(dados: bytes, pedido: dict) -> dict:
    try:
        validado = validacao_pdf.validar_pdf_sem_isolamento(dados, pedido["max_bytes"])
    except validacao_pdf.PdfRecusado as exc:
        return {"recusa": str(exc)}
    # the invoice is read now, within the same budget: the caller reads it next (one round trip, not two)
    return {"sha256": validado.sha256, "paginas": validado.paginas,
            "leitura": leitura.ler_fatura_sem_isolamento(dados).para_json()}


def _ler(dados: bytes, _pedido: dict) -> dict:
    return leitura.ler_fatura_sem_isolamento(dados).para_json()


TAREFAS = {"validar": _validar, "ler": _ler}


def _limitar(cpu_s: float | None, memoria_mb: int | None) -> None:
    """Lower the soft limits for one task (``None``: back to the hard limits)."""
    _, cpu_max = resource.getrlimit(resource.RLIMIT_CPU)
    _, as_max = resource.getrlimit(resource.RLIMIT_AS)
    cpu, memoria = cpu_max, as_max
    if cpu_s is not None:
        uso = resource.getrusage(resource.RUSAGE_SELF)
        cpu = math.ceil(uso.ru_utime + uso.ru_stime + cpu_s)
    if memoria_mb is not None:
        memoria = memoria_mb * _MB
    if cpu_max != resource.RLIM_INFINITY:
        cpu = min(cpu, cpu_max)
    if as_max != resource.RLIM_INFINITY:
        memoria = min(memoria, as_max)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu_max))
    resource.setrlimit(resource.RLIMIT_AS, (memoria, as_max))


def _tamanho_virtual_mb() -> float:
    """This process's address space now (what RLIMIT_AS counts); freed memory is not always given back."""
    with open("/proc/self/status") as status:
        for linha in status:
            if linha.startswith("VmSize:"):
                return int(linha.split()[1]) / 1024
    return 0.0


def _ler_quadro(entrada: BinaryIO) -> bytes | None:
    cabeca = entrada.read(_TAMANHO.size)
    if len(cabeca) < _TAMANHO.size:
        return None
    (tamanho,) = _TAMANHO.unpack(cabeca)
    corpo = entrada.read(tamanho)
    return corpo if len(corpo) == tamanho else None


def _responder(saida: BinaryIO, conteudo: bytes) -> None:
    saida.write(_TAMANHO.pack(len(conteudo)) + conteudo)
    saida.flush()


def main() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # repairs of broken files are expected here
    saida = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    entrada = sys.stdin.buffer
    base_mb = _tamanho_virtual_mb()
    _responder(saida, b"pronto")
    while (cabecalho := _ler_quadro(entrada)) is not None and (dados := _ler_quadro(entrada)) is not None:
        pedido = json.loads(cabecalho)
        encerrar = False
        _limitar(pedido["cpu_s"], pedido["memoria_mb"])
        try:
            resposta = TAREFAS[pedido["tarefa"]](dados, pedido)
        except MemoryError:
            resposta, encerrar = {"limite": "memoria"}, True
        except Exception as exc:  # noqa: BLE001 - a bug or an unforeseen file: the caller reports it, the worker goes on
            resposta = {"erro": type(exc).__name__}
        finally:
            del dados
            _limitar(None, None)
        if _tamanho_virtual_mb() > base_mb + (pedido["memoria_mb"] - base_mb) / 2:
            resposta["reciclar"] = encerrar = True
        _responder(saida, json.dumps(resposta).encode())
        if encerrar:
            break


if __name__ == "__main__":
    main()

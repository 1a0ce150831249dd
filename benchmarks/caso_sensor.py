"""Case 3 — the approval sensor.

10,000 approved processes over 12 months (each with its download and approval in the audit trail, and the
``APROVADO`` event the sensor reads): one tick of ``aprovacoes_sensor`` from an empty cursor, through
``build_sensor_context`` with a fresh ``banco`` resource (as the daemon evaluates it), ≤ 1 s. The following tick
(nothing new) is reported too. A tick only reads, so each is evaluated three times and the median is reported
(the machine may be shared).
"""

from __future__ import annotations

import math
import statistics

import dagster as dg

from benchmarks import dados
from benchmarks.caso_criacao import backends
from benchmarks.medida import Medida

ALVO_S = 1.0
MESES = 12
REPETICOES = 3


def _tick(cursor: str | None):
    from beg_pipeline.resources import ConfiguracaoResource, recursos
    from beg_pipeline.sensors.aprovacoes import aprovacoes_sensor

    banco = recursos(ConfiguracaoResource())["banco"]
    with dg.build_sensor_context(cursor=cursor, resources={"banco": banco}) as context:
        resultado = aprovacoes_sensor(context)
    banco.teardown_after_execution(None)
    return resultado


def medir(n: int, backend: str) -> dict:
    with dados.ambiente(backend) as amb:
        aprovador = dados.usuario(amb, "aprovador@bench.beg", "APROVADOR", "senha-bench-123456")
        meses = dados.meses(MESES)
        clientes = dados.clientes(amb, math.ceil(n / MESES))
        pares = [(c, m) for m in meses for c in clientes][:n]
        pids = dados.processos(amb, pares, "AGUARDANDO_ENVIO_SAT", com_fatura=True, aprovador=aprovador)
        # the trail as the product leaves it: every download, then the approvals (month by month)
        dados.auditoria(amb, [dict(acao="DOWNLOAD_CONCLUIDO", entidade_id=str(p), processo_id=p) for p in pids])
        dados.auditoria(amb, [dict(acao="APROVAR", entidade_id=str(p), processo_id=p, usuario_id=aprovador)
                              for p in pids])
        dados.eventos(amb, [dict(processo_id=p, mes_ano=m, tipo="APROVADO")
                            for p, (_, m) in zip(pids, pares, strict=True)])
        primeiros, segundos = [], []
        for _ in range(REPETICOES):  # a tick only reads: the same tick can be evaluated again
            with dados.Cronometro() as c1:
                primeiro = _tick(None)
            with dados.Cronometro() as c2:
                segundo = _tick(primeiro.cursor)
            primeiros.append(c1.s)
            segundos.append(c2.s)
    pedidos = primeiro.run_requests or []
    return {"n": n, "backend": backend, "primeiro_s": statistics.median(primeiros),
            "segundo_s": statistics.median(segundos), "primeiros_s": primeiros, "segundos_s": segundos,
            "pedidos": len(pedidos), "valido": len(pedidos) == MESES and not segundo.run_requests}


def executar(opcoes) -> list[Medida]:
    saida = []
    for backend in backends():
        r = medir(opcoes.aprovacoes, backend)
        nota = (f"mediana de {REPETICOES}: {', '.join(f'{t:.3f}' for t in r['primeiros_s'])} s; "
                f"{r['pedidos']} pedidos de execução" + ("" if r["valido"] else " — INVÁLIDO"))
        saida.append(Medida("3 sensor", f"{backend}: 1 tick, {r['n']:,} aprovações em {MESES} meses",
                            r["primeiro_s"], "s", ALVO_S, nota=nota, extra=r))
        saida.append(Medida("3 sensor", f"{backend}: tick seguinte (nada novo)", r["segundo_s"], "s", ALVO_S,
                            nota=f"mediana de {REPETICOES}"))
    return saida

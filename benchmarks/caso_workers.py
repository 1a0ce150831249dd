"""Case 8 — one month of downloads on 1 Celery worker and on 2 (the production topology, README "Produção").

N accounts (default 800) over 4 carriers, in PostgreSQL; the month is backfilled as month × carrier runs through
the webserver, the daemon queues them and the CeleryRunLauncher sends them to the workers (RabbitMQ + Redis).
Many robots and short jobs (capacity 400, latency 0.1 s, caps 200 in total and 100 per carrier), so a worker's CPU
is the bottleneck, not the robots. Wall time from the backfill to the last run finished, with 1 worker and with 2;
target: 2 workers ≥ 1.5× the throughput of 1 (ratio of wall times), the caps never exceeded at the simulator.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import dagster as dg

from benchmarks import dados
from benchmarks.medida import Medida

LATENCIA_S, CAPACIDADE = 0.1, 400
CAP_TOTAL, CAP_OPERADORA = 200, 100  # two runs at once of at most 100 jobs each
MES_ANO, PARTICAO = "10/2026", "2026-10-01"
ALVO = 1.5
RAPIDO_N = 80


def _rodada(n: int, n_workers: int) -> dict:
    from beg_pipeline.db.models import Processo
    from beg_pipeline.downloads_por_operadora import OPERADORAS
    from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
    from tests.dagster_servicos import dagster_no_ar
    from tests.producao_servicos import (
        banco_dagster,
        home_producao,
        lancar_backfill,
        pico_em_voo,
        vhost_rabbitmq,
        workers,
        workers_prontos,
    )

    with dados.ambiente("postgresql") as amb, tempfile.TemporaryDirectory(prefix="beg-bench-celery-") as tmp:
        ids = dados.clientes(amb, n)
        dados.processos(amb, [(c, MES_ANO) for c in ids], "AGUARDANDO_DOWNLOAD")
        config = SimuladorConfig(latencia_s=LATENCIA_S, jitter_s=0.0, capacidade=CAPACIDADE, semente=7)
        with vhost_rabbitmq() as broker, banco_dagster(dados.POSTGRES_URL) as pg, \
                Simulador(config, amb.settings) as sim:
            home = home_producao(Path(tmp) / "home")
            env = {**amb.env(), **pg, "BEG_RPA_URL": sim.base_url, "BEG_RPA_POLL_INTERVAL_S": "0.05",
                   "BEG_RPA_JOB_TIMEOUT_S": "120", "BEG_RPA_MAX_CONCURRENCY": str(CAP_TOTAL),
                   "BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA": str(CAP_OPERADORA), "DAGSTER_HOME": str(home),
                   "DAGSTER_CELERY_BROKER_URL": broker, "DAGSTER_CELERY_BACKEND_URL": "redis://127.0.0.1:6379/0",
                   "DAGSTER_COMPUTE_LOGS_DIR": str(Path(tmp) / "compute_logs"),
                   "DAGSTER_MAX_CONCURRENT_RUNS": str(n_workers)}
            antigos = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                with dg.DagsterInstance.from_config(str(home)) as instance:
                    operadoras = sorted(dados.OPERADORAS)
                    instance.add_dynamic_partitions(OPERADORAS.name, operadoras)
                    nomes = tuple(f"worker{i + 1}" for i in range(n_workers))
                    with dagster_no_ar(home, env, Path(tmp), timeout=240) as porta, workers(nomes, env, Path(tmp)):
                        workers_prontos(broker, n_workers)
                        with dados.Cronometro() as cronometro:
                            lancar_backfill(porta, [f"{PARTICAO}|{o}" for o in operadoras])
                            runs = _esperar_runs(instance, len(operadoras), timeout=1800)
                        parede = cronometro.s
            finally:
                for k, v in antigos.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            pico, pico_operadora = pico_em_voo(list(sim.jobs.values()))
            submissoes = dict(sim.submissoes_por_processo)
        from sqlalchemy import func, select

        with amb.ctx.db.leitura() as s:
            aguardando = s.scalar(select(func.count()).select_from(Processo)
                                  .where(Processo.status_processo == "AGUARDANDO_APROVACAO"))
    sucesso = all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    # CPU while the month ran: the whole machine's (2 cores = 2 s per second), and this process's, which is
    # mostly the simulator (one process, one core at most, serving every worker).
    return {"parede_s": parede, "cpu_maquina_s": round(cronometro.maquina_cpu_s, 1),
            "cpu_simulador_s": round(cronometro.cpu_s, 1), "runs": len(runs), "sucesso": sucesso,
            "baixados": aguardando,
            "uma_vez": len(submissoes) == n and set(submissoes.values()) == {1}, "pico": pico,
            "pico_operadora": max(pico_operadora.values(), default=0),
            "workers": sorted({r.tags.get("beg/celery_worker", "?").split("@")[0] for r in runs})}


def _esperar_runs(instance: dg.DagsterInstance, n: int, timeout: float) -> list[dg.DagsterRun]:
    limite = time.monotonic() + timeout
    while time.monotonic() < limite:
        runs = list(instance.get_runs(dg.RunsFilter(job_name="downloads_por_operadora_job")))
        if len(runs) >= n and all(r.is_finished for r in runs):
            return runs
        time.sleep(0.5)
    raise TimeoutError(f"os {n} runs não terminaram em {timeout:.0f} s")


def executar(opcoes) -> list[Medida]:
    caso = "8 celery"
    if not dados.postgres_disponivel():
        return [Medida(caso, "1 vs 2 workers", None, "", nota="sem PostgreSQL em BEG_BENCH_POSTGRES_URL")]
    from beg_pipeline.producao import infraestrutura

    try:
        infraestrutura.garantir((infraestrutura.RABBITMQ, infraestrutura.REDIS))
    except infraestrutura.ServicoIndisponivel as exc:
        return [Medida(caso, "1 vs 2 workers", None, "", nota=str(exc))]
    n = RAPIDO_N if opcoes.rapido else 2 * opcoes.n
    um, dois = _rodada(n, 1), _rodada(n, 2)
    razao = um["parede_s"] / dois["parede_s"]
    limites_ok = all(r["pico"] <= CAP_TOTAL and r["pico_operadora"] <= CAP_OPERADORA for r in (um, dois))
    corretos = all(r["sucesso"] and r["uma_vez"] and r["baixados"] == n for r in (um, dois))
    nota = (f"{n} contas, 4 operadoras; pico em voo {max(um['pico'], dois['pico'])} (limite {CAP_TOTAL}), por "
            f"operadora {max(um['pico_operadora'], dois['pico_operadora'])} (limite {CAP_OPERADORA}); workers "
            f"usados com 2: {', '.join(dois['workers'])}; cada processo baixado uma vez: {corretos}")
    return [
        Medida(caso, "parede com 1 worker", um["parede_s"], "s", extra=um),
        Medida(caso, "parede com 2 workers", dois["parede_s"], "s", extra=dois),
        # Medida's target is "valor ≤ limite": the inverse ratio (2 workers / 1) must stay ≤ 1/1.5.
        Medida(caso, "parede 2 workers / 1 worker (vazão ≥ 1,5×)", 1 / razao, "", limite=round(1 / ALVO, 3),
               nota=nota if limites_ok and corretos else f"LIMITES OU RESULTADO ERRADOS: {nota}",
               extra={"vazao_2_sobre_1": round(razao, 3)}),
    ]

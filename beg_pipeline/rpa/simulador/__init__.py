"""Local simulator of the RPA robot API: the whole contract over real HTTP, with injectable faults.

Jobs wait in a FIFO (``PENDING``) until one of ``capacidade`` robot slots is free, run for
``latencia_s ± jitter_s`` seconds (a background scheduler thread sleeps until the next job is due)
and finish as the configured scripts say. A download's PDF is generated while its job runs, so the
simulator's own work does not lengthen the latency it simulates. Completed downloads leave a real invoice PDF in the
object store under ``<OPERADORA>/<AAAA-MM>/<job_id>.pdf`` (the contract's layout).

Modules: ``config`` (SimuladorConfig), ``jobs`` (JobSimulado), ``faturas`` (what the portals answer),
``agendador`` (queue, slots, scheduler thread), ``rotas`` (HTTP routes and handler), ``servidor`` (Simulador).
"""

from beg_pipeline.rpa.simulador.config import SimuladorConfig
from beg_pipeline.rpa.simulador.faturas import dados_da_fatura
from beg_pipeline.rpa.simulador.jobs import JobSimulado
from beg_pipeline.rpa.simulador.servidor import Simulador

__all__ = ["JobSimulado", "Simulador", "SimuladorConfig", "dados_da_fatura"]

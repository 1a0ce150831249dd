"""``LancadorCelery``: dagster-celery's ``CeleryRunLauncher`` that also notices a worker that died mid-run.

Stock health checks read only the Celery task state, which stays STARTED for ever when the worker is SIGKILLed
(the task is acknowledged when it starts; see ``celery_app.CONFIABILIDADE``). Here a STARTED run whose worker does
not answer a ping is reported FAILED: run monitoring then fails the run and ``run_retries`` launches it again on a
live worker, where the downloads adopt the robot jobs already submitted instead of submitting them twice.
"""

from __future__ import annotations

from dagster import DagsterRun
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster_celery.launcher import CeleryRunLauncher
from dagster_celery.tags import DAGSTER_CELERY_TASK_ID_TAG

ESPERAS_PING_S = (2.0, 5.0)  # a busy 2-core host may answer late: a second, longer ping before giving up


class LancadorCelery(CeleryRunLauncher):
    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        saude = super().check_run_worker_health(run)
        if saude.status != WorkerStatus.RUNNING:
            return saude
        info = self.celery.AsyncResult(run.tags[DAGSTER_CELERY_TASK_ID_TAG]).info
        worker = info.get("hostname") if isinstance(info, dict) else None
        if worker and not self.worker_responde(worker):
            return CheckRunHealthResult(WorkerStatus.FAILED, f"o worker Celery {worker} não responde (perdido)")
        return saude

    def worker_responde(self, worker: str) -> bool:
        return any(self.celery.control.ping(destination=[worker], timeout=espera) for espera in ESPERAS_PING_S)

"""The Celery app of the workers that execute Dagster runs (``celery -A beg_pipeline.producao.celery_app worker``).

``CeleryRunLauncher`` (deploy/dagster.producao.yaml) sends each whole run as one ``execute_job`` task; the worker
runs it with the job's ``in_process_executor`` (never ``celery_executor`` as well: a task must not wait on other
tasks). Broker and result backend come from the same variables the launcher reads, so they cannot differ.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task, signals
from dagster import DagsterInstance
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import unpack_value
from dagster_celery.config import DEFAULT_CONFIG, TASK_EXECUTE_JOB_NAME
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_execute_job_task

_log = logging.getLogger(__name__)

FILA = "dagster"  # the only queue dagster-celery declares with priorities (x-max-priority)
TAG_WORKER = "beg/celery_worker"  # the run tag naming the worker that executed the run

# Reliability settings, read by the workers.
CONFIABILIDADE = {
    # A run is acknowledged when a worker takes it (acks early). A run lasts up to max_runtime_seconds (4 h), beyond
    # RabbitMQ's consumer_timeout (30 min): with task_acks_late the broker would close the channel and hand the
    # same run to a second worker while the first still runs it. A lost worker is noticed instead by the launcher's
    # health check (beg_pipeline.producao.lancador: the worker stops answering pings), and run monitoring fails the
    # run so that run_retries launches a new one, which adopts the robot jobs already submitted.
    "task_acks_late": False,
    # Only meaningful with task_acks_late (re-queue a task whose pool process died): off for the same reason.
    "task_reject_on_worker_lost": False,
    # STARTED (with the worker's hostname) is what the health check reads while a run executes.
    "task_track_started": True,
    # One run at a time per worker process, none reserved in advance: a waiting run goes to the next free worker.
    "worker_prefetch_multiplier": 1,
    # Results (the run's exit code) are read by run monitoring; keep them past the longest run.
    "result_expires": 24 * 3600,
    # A broker that vanishes is retried for ever by the worker instead of exiting.
    "broker_connection_retry_on_startup": True,
    # Detects a dead broker connection within ~2 minutes on both sides.
    "broker_heartbeat": 60,
    # A run's standard output (one line per robot line) goes to the run's compute log, which Dagster captures at the
    # file-descriptor level; redirected into the worker's own log, the UI's "stdout" would be empty.
    "worker_redirect_stdouts": False,
}


def url_broker() -> str:
    return os.environ.get("DAGSTER_CELERY_BROKER_URL", "pyamqp://guest:guest@127.0.0.1:5672//")


def url_backend() -> str:
    return os.environ.get("DAGSTER_CELERY_BACKEND_URL", "redis://127.0.0.1:6379/0")


app = make_app(app_args={"broker": url_broker(), "backend": url_backend(), "include": [],
                         "config_source": {**DEFAULT_CONFIG, **CONFIABILIDADE}, "task_default_queue": FILA})
execute_job = create_execute_job_task(app)


@signals.task_prerun.connect
def _registrar_worker(task: Task | None = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    """Tag the run with this worker's name before it executes (ops see who ran it; tests assert on it)."""
    if task is None or task.name != TASK_EXECUTE_JOB_NAME or not kwargs:
        return
    argumentos = unpack_value(kwargs["execute_job_args_packed"], as_type=ExecuteRunArgs)
    worker = task.request.hostname or "desconhecido"
    with DagsterInstance.get() as instance:
        instance.add_run_tags(argumentos.run_id, {TAG_WORKER: worker})
    _log.info("run %s no worker %s", argumentos.run_id, worker)

"""Choose the object store from the settings: local files, or MinIO/S3 when an endpoint is set."""

from __future__ import annotations

from beg_pipeline.settings import ConfiguracaoInvalida, Settings
from beg_pipeline.storage.base import ObjectStore
from beg_pipeline.storage.local import LocalObjectStore
from beg_pipeline.storage.minio_store import MinioObjectStore


def object_store_from_settings(settings: Settings) -> ObjectStore:
    """``LocalObjectStore(data_dir/objetos)`` without ``BEG_S3_ENDPOINT``, else ``MinioObjectStore``
    (which connects and creates the bucket if missing)."""
    if settings.storage_backend == "local":
        return LocalObjectStore(settings.data_dir / "objetos")
    if settings.s3_access_key is None or settings.s3_secret_key is None:
        raise ConfiguracaoInvalida("BEG_S3_ACCESS_KEY e BEG_S3_SECRET_KEY são obrigatórias com BEG_S3_ENDPOINT")
    return MinioObjectStore(
        endpoint=settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        bucket=settings.s3_bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )

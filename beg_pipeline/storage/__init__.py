"""Object storage for invoices, reports and backups: local files or MinIO/S3."""

from beg_pipeline.storage.base import ObjectInfo, ObjectStore, ObjetoNaoEncontrado, chave_fatura
from beg_pipeline.storage.factory import object_store_from_settings

__all__ = ["ObjectInfo", "ObjectStore", "ObjetoNaoEncontrado", "chave_fatura", "object_store_from_settings"]

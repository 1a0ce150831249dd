"""Object store on MinIO / any S3-compatible server (the robots' shared bucket)."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlsplit

from minio import Minio
from minio.datatypes import Object
from minio.error import S3Error
from pydantic import SecretStr

from beg_pipeline.storage.base import ObjectInfo, ObjectStore, ObjetoNaoEncontrado, sha256_hex
from beg_pipeline.storage.local import validar_chave, validar_prefixo

_META_SHA256 = "sha256"  # sent as the x-amz-meta-sha256 header


class MinioObjectStore(ObjectStore):
    """One bucket, created on construction if missing; the SHA-256 of every put is object metadata.

    ``endpoint`` is ``host:port``; an ``http://`` or ``https://`` prefix is accepted and then
    decides ``secure``. The keys never appear in ``repr`` or in messages of this class.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str | SecretStr,
        secret_key: str | SecretStr,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
    ) -> None:
        if "://" in endpoint:
            partes = urlsplit(endpoint)
            endpoint, secure = partes.netloc, partes.scheme == "https"
        self.endpoint, self.bucket, self.secure = endpoint, bucket, secure
        self._client = Minio(
            endpoint,
            access_key=_revelar(access_key),
            secret_key=_revelar(secret_key),
            secure=secure,
            region=region,
        )
        self._garantir_bucket()

    def __repr__(self) -> str:
        esquema = "https" if self.secure else "http"
        return f"MinioObjectStore(endpoint={esquema}://{self.endpoint!s}, bucket={self.bucket!r})"

    def _garantir_bucket(self) -> None:
        if self._client.bucket_exists(self.bucket):
            return
        try:
            self._client.make_bucket(self.bucket)
        except S3Error as exc:  # another process created it in between
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> ObjectInfo:
        validar_chave(key)
        sha = sha256_hex(data)
        self._client.put_object(
            self.bucket, key, io.BytesIO(data), len(data), content_type=content_type, metadata={_META_SHA256: sha}
        )
        return ObjectInfo(key=key, size=len(data), sha256=sha, content_type=content_type)

    def get(self, key: str) -> bytes:
        validar_chave(key)
        try:
            resposta = self._client.get_object(self.bucket, key)
        except S3Error as exc:
            raise _traduzir(exc, key) from None
        try:
            return resposta.read()
        finally:
            resposta.close()
            resposta.release_conn()

    def exists(self, key: str) -> bool:
        try:
            self._stat_object(key)
        except ObjetoNaoEncontrado:
            return False
        return True

    def _stat_object(self, key: str) -> Object:
        validar_chave(key)
        try:
            return self._client.stat_object(self.bucket, key)
        except S3Error as exc:
            raise _traduzir(exc, key) from None

    def stat(self, key: str) -> ObjectInfo:
        """Size, SHA-256 and content type; objects stored without the sha256 metadata (e.g. by the
        robots) are downloaded once to compute it."""
        info = self._stat_object(key)
        sha = info.metadata.get(f"x-amz-meta-{_META_SHA256}") if info.metadata else None
        if not sha:
            sha = sha256_hex(self.get(key))
        return ObjectInfo(
            key=key, size=info.size or 0, sha256=sha, content_type=info.content_type or "application/octet-stream"
        )

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        validar_chave(key)
        self._client.remove_object(self.bucket, key)

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A presigned GET URL valid for ``expires_s`` seconds (1 s to 7 days); not checked for existence."""
        validar_chave(key)
        return self._client.presigned_get_object(self.bucket, key, expires=dt.timedelta(seconds=expires_s))

    def list(self, prefix: str) -> list[str]:
        """Keys starting with ``prefix``, sorted."""
        validar_prefixo(prefix)
        objetos = self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
        return sorted(obj.object_name for obj in objetos if not obj.is_dir)


def _revelar(valor: str | SecretStr) -> str:
    return valor.get_secret_value() if isinstance(valor, SecretStr) else valor


def _traduzir(exc: S3Error, key: str) -> Exception:
    return ObjetoNaoEncontrado(key) if exc.code == "NoSuchKey" else exc

"""Where the legacy's PDFs are read from: a copy of bucket ``beg`` as a folder (``DIR/<object key>``), or the
live bucket (read only: nothing is created or written there)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from minio import Minio
from minio.error import S3Error
from pydantic import SecretStr

from beg_pipeline.settings import ConfiguracaoInvalida, Settings


class ChavePdfInvalida(ValueError):
    """A legacy object key that would leave the bucket folder."""


class OrigemPasta:
    """``mc mirror beg/ DIR``: the file ``DIR/<key>`` is the object ``<key>``."""

    def __init__(self, raiz: Path):
        self.raiz = Path(raiz).resolve()
        if not self.raiz.is_dir():
            raise ValueError(f"--pdfs {raiz}: a pasta não existe (use a cópia do bucket beg, `mc mirror beg/ PASTA`)")

    def _arquivo(self, chave: str) -> Path:
        arquivo = (self.raiz / chave).resolve()
        if "\x00" in chave or not arquivo.is_relative_to(self.raiz):
            raise ChavePdfInvalida(f"chave {chave!r} sai da pasta do bucket")
        return arquivo

    def tamanho(self, chave: str) -> int | None:
        """The object's size, or None when it is missing."""
        arquivo = self._arquivo(chave)
        return arquivo.stat().st_size if arquivo.is_file() else None

    def ler(self, chave: str) -> bytes:
        return self._arquivo(chave).read_bytes()

    def __repr__(self) -> str:
        return f"OrigemPasta({str(self.raiz)!r})"


class OrigemS3:
    """The legacy's live MinIO bucket. Keys are used as the legacy wrote them (accents, ``&``, ``S/A`` folders)."""

    def __init__(self, endpoint: str, access_key: SecretStr, secret_key: SecretStr, bucket: str = "beg",
                 secure: bool = False, region: str = "us-east-1"):
        if "://" in endpoint:
            partes = urlsplit(endpoint)
            endpoint, secure = partes.netloc, partes.scheme == "https"
        self.endpoint, self.bucket = endpoint, bucket
        self._client = Minio(endpoint, access_key=access_key.get_secret_value(),
                             secret_key=secret_key.get_secret_value(), secure=secure, region=region)
        try:
            existe = self._client.bucket_exists(bucket)
        except Exception as exc:  # noqa: BLE001 - any failure means the same to the user; never echo the keys
            raise ValueError(f"bucket do legado inacessível em {endpoint}: {exc.__class__.__name__}; confira "
                             "BEG_LEGADO_S3_ENDPOINT e as chaves") from None
        if not existe:
            raise ValueError(f"o bucket {bucket} não existe em {endpoint} (BEG_LEGADO_S3_BUCKET)")

    def tamanho(self, chave: str) -> int | None:
        try:
            return self._client.stat_object(self.bucket, chave).size
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    def ler(self, chave: str) -> bytes:
        resposta = self._client.get_object(self.bucket, chave)
        try:
            return resposta.read()
        finally:
            resposta.close()
            resposta.release_conn()

    def __repr__(self) -> str:
        return f"OrigemS3({self.endpoint!r}, bucket={self.bucket!r})"


def origem_pdfs(settings: Settings, pasta: Path | None) -> OrigemPasta | OrigemS3:
    """The bucket copy folder when given, else the live legacy bucket of ``BEG_LEGADO_S3_*``."""
    if pasta is not None:
        return OrigemPasta(pasta)
    if not settings.legado_s3_endpoint:
        raise ConfiguracaoInvalida("informe --pdfs PASTA (cópia do bucket beg) ou BEG_LEGADO_S3_ENDPOINT para ler o "
                                   "bucket do legado")
    if settings.legado_s3_access_key is None or settings.legado_s3_secret_key is None:
        raise ConfiguracaoInvalida("BEG_LEGADO_S3_ACCESS_KEY e BEG_LEGADO_S3_SECRET_KEY são obrigatórias com "
                                   "BEG_LEGADO_S3_ENDPOINT")
    return OrigemS3(settings.legado_s3_endpoint, settings.legado_s3_access_key, settings.legado_s3_secret_key,
                    settings.legado_s3_bucket, settings.legado_s3_secure, settings.s3_region)

"""Object store on the local disk (the default when no S3 endpoint is configured)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from beg_pipeline.storage.base import ObjectInfo, ObjectStore, ObjetoNaoEncontrado, chave, segmento, sha256_hex

_META_DIR = ".meta"  # key segments never start with ".", so no key can reach this folder


def validar_chave(key: str) -> list[str]:
    """The segments of ``key``; raises ``ChaveInvalida`` for ``..``, ``/x``, ``a\\b``, NUL, empty segments."""
    partes = key.split("/")
    chave(*partes)
    return partes


def validar_prefixo(prefix: str) -> list[str]:
    """Validate a listing prefix (``""``, ``"faturas/"``, ``"faturas/2026-1"``); returns its folder segments."""
    *pastas, parcial = prefix.split("/")
    for parte in pastas:
        segmento(parte)
    if parcial:
        segmento(parcial)
    return pastas


class LocalObjectStore(ObjectStore):
    """Files under ``root``; SHA-256 and content type live in ``root/.meta/<key>.json``.

    Writes go to a temporary file in the same folder and are renamed into place, so a reader
    sees the old content or the new one, never half a file. The sidecar records the file's
    size, inode and mtime: when they no longer match (crash between the two renames, concurrent
    writers) the SHA-256 is recomputed from the file itself.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalObjectStore(root={str(self.root)!r})"

    def _arquivo(self, key: str) -> Path:
        return self.root.joinpath(*validar_chave(key))

    def _meta(self, key: str) -> Path:
        *pastas, nome = validar_chave(key)
        return self.root.joinpath(_META_DIR, *pastas, nome + ".json")

    @staticmethod
    def _gravar_atomico(destino: Path, data: bytes) -> None:
        destino.parent.mkdir(parents=True, exist_ok=True)
        fd, temporario = tempfile.mkstemp(dir=destino.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as arquivo:
                arquivo.write(data)
                arquivo.flush()
                os.fsync(arquivo.fileno())
            os.replace(temporario, destino)
        except BaseException:
            Path(temporario).unlink(missing_ok=True)
            raise

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> ObjectInfo:
        arquivo, meta = self._arquivo(key), self._meta(key)
        sha = sha256_hex(data)
        self._gravar_atomico(arquivo, data)
        st = arquivo.stat()
        registro = {
            "sha256": sha,
            "content_type": content_type,
            "size": st.st_size,
            "ino": st.st_ino,
            "mtime_ns": st.st_mtime_ns,
        }
        self._gravar_atomico(meta, json.dumps(registro).encode())
        return ObjectInfo(key=key, size=len(data), sha256=sha, content_type=content_type)

    def get(self, key: str) -> bytes:
        try:
            return self._arquivo(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjetoNaoEncontrado(key) from None

    def exists(self, key: str) -> bool:
        return self._arquivo(key).is_file()

    def stat(self, key: str) -> ObjectInfo:
        arquivo = self._arquivo(key)
        if not arquivo.is_file():
            raise ObjetoNaoEncontrado(key)
        st = arquivo.stat()
        try:
            registro = json.loads(self._meta(key).read_bytes())
        except (OSError, ValueError):
            registro = {}
        atual = (st.st_size, st.st_ino, st.st_mtime_ns)
        if (registro.get("size"), registro.get("ino"), registro.get("mtime_ns")) == atual:
            return ObjectInfo(key, st.st_size, registro["sha256"], registro["content_type"])
        data = self.get(key)
        return ObjectInfo(key, len(data), sha256_hex(data), registro.get("content_type", "application/octet-stream"))

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error (as on S3)."""
        self._arquivo(key).unlink(missing_ok=True)
        self._meta(key).unlink(missing_ok=True)

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A ``file://`` URI (``expires_s`` does not apply); the object need not exist yet."""
        return self._arquivo(key).as_uri()

    def list(self, prefix: str) -> list[str]:
        """Keys starting with ``prefix`` (plain string prefix, as on S3), sorted."""
        chaves = []
        for atual, subpastas, arquivos in os.walk(self.root.joinpath(*validar_prefixo(prefix))):
            subpastas[:] = [nome for nome in subpastas if not nome.startswith(".")]
            relativo = Path(atual).relative_to(self.root).as_posix()
            for nome in arquivos:
                if nome.startswith("."):
                    continue
                key = nome if relativo == "." else f"{relativo}/{nome}"
                if key.startswith(prefix):
                    chaves.append(key)
        return sorted(chaves)

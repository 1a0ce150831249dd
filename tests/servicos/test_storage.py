"""One behaviour suite for every ObjectStore: local files and MinIO (against moto's S3 server)."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
import requests
from pydantic import SecretStr

from beg_pipeline.settings import ConfiguracaoInvalida, Settings
from beg_pipeline.storage import ObjetoNaoEncontrado, object_store_from_settings
from beg_pipeline.storage.base import ChaveInvalida, ObjectStore, chave_fatura
from beg_pipeline.storage.local import LocalObjectStore
from beg_pipeline.storage.minio_store import MinioObjectStore
from tests.s3_server import running_s3_server

ACCESS_KEY = "beg-teste"
SECRET_KEY = "segredo-que-nao-pode-vazar"


@pytest.fixture(scope="session")
def s3_endpoint():
    with running_s3_server() as endpoint:
        yield endpoint


def _minio(endpoint: str, bucket: str | None = None) -> MinioObjectStore:
    return MinioObjectStore(
        endpoint=endpoint,
        access_key=ACCESS_KEY,
        secret_key=SecretStr(SECRET_KEY),
        bucket=bucket or f"beg-{uuid.uuid4().hex[:12]}",
        secure=False,
        region="us-east-1",
    )


@pytest.fixture(params=["local", "minio"])
def store(request, tmp_path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objetos")
    return _minio(request.getfixturevalue("s3_endpoint"))


def _baixar(store: ObjectStore, url: str) -> bytes:
    if isinstance(store, LocalObjectStore):
        assert url.startswith("file://")
        return Path(url2pathname(urlsplit(url).path)).read_bytes()
    with requests.Session() as sessao:
        sessao.trust_env = False  # never through a proxy from the environment
        resposta = sessao.get(url, timeout=10)
    resposta.raise_for_status()
    return resposta.content


PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def test_put_get_roundtrip_records_sha256(store):
    key = chave_fatura("2026-11-01", "vivo", "proc-1", hashlib.sha256(PDF).hexdigest())
    info = store.put(key, PDF, "application/pdf")
    assert info.key == key
    assert info.size == len(PDF)
    assert info.sha256 == hashlib.sha256(PDF).hexdigest()
    assert info.content_type == "application/pdf"
    assert store.get(key) == PDF
    assert store.stat(key) == info


def test_binary_and_empty_content(store):
    binario = bytes(range(256)) + b"\x00\r\n\x1a" * 100
    store.put("bin/tudo.dat", binario)
    store.put("bin/vazio.dat", b"")
    assert store.get("bin/tudo.dat") == binario
    assert store.get("bin/vazio.dat") == b""
    vazio = store.stat("bin/vazio.dat")
    assert (vazio.size, vazio.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert vazio.content_type == "application/octet-stream"


def test_exists_and_delete(store):
    assert not store.exists("a/b.txt")
    store.put("a/b.txt", b"x", "text/plain")
    assert store.exists("a/b.txt")
    store.delete("a/b.txt")
    assert not store.exists("a/b.txt")
    with pytest.raises(ObjetoNaoEncontrado):
        store.get("a/b.txt")
    store.delete("a/b.txt")  # deleting again is not an error


def test_missing_key_raises_objeto_nao_encontrado(store):
    with pytest.raises(ObjetoNaoEncontrado):
        store.get("nao/existe.pdf")
    with pytest.raises(ObjetoNaoEncontrado):
        store.stat("nao/existe.pdf")
    with pytest.raises(KeyError):  # ObjetoNaoEncontrado is a KeyError
        store.get("nao-existe")


def test_overwrite_replaces_content_and_metadata(store):
    store.put("f/x.pdf", b"primeira", "application/pdf")
    info = store.put("f/x.pdf", b"segunda versao", "text/plain")
    assert store.get("f/x.pdf") == b"segunda versao"
    assert store.stat("f/x.pdf") == info
    assert info.sha256 == hashlib.sha256(b"segunda versao").hexdigest()
    assert store.list("f/") == ["f/x.pdf"]


def test_list_by_prefix_sorted(store):
    for key in ["faturas/2026-11/VIVO/b.pdf", "faturas/2026-11/OI/a.pdf", "faturas/2026-12/OI/c.pdf", "outros/z"]:
        store.put(key, key.encode())
    assert store.list("faturas/2026-11/") == ["faturas/2026-11/OI/a.pdf", "faturas/2026-11/VIVO/b.pdf"]
    assert store.list("faturas/2026-1") == [
        "faturas/2026-11/OI/a.pdf",
        "faturas/2026-11/VIVO/b.pdf",
        "faturas/2026-12/OI/c.pdf",
    ]
    assert store.list("") == sorted(store.list("faturas/") + ["outros/z"])
    assert store.list("nada/") == []


def test_url_serves_the_content(store):
    store.put("relatorios/mensal.pdf", PDF, "application/pdf")
    assert _baixar(store, store.url("relatorios/mensal.pdf", expires_s=60)) == PDF


@pytest.mark.parametrize("key", ["../x", "a/../../b", "a\\b", "a\x00b", "/a/b", "", "a//b", "a/", "a/.hidden", "a\n"])
def test_invalid_keys_are_rejected(store, key):
    for operacao in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.stat(key),
        lambda: store.delete(key),
        lambda: store.url(key),
    ):
        with pytest.raises(ChaveInvalida):
            operacao()


@pytest.mark.parametrize("prefix", ["../", "a/../../", "/a", "a\\b/", "a//"])
def test_invalid_prefixes_are_rejected(store, prefix):
    with pytest.raises(ChaveInvalida):
        store.list(prefix)


def test_local_store_never_writes_outside_root(tmp_path):
    store = LocalObjectStore(tmp_path / "objetos")
    store.put("a/b/c.txt", b"dentro")
    assert (tmp_path / "objetos" / "a" / "b" / "c.txt").read_bytes() == b"dentro"
    arquivos = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert arquivos == {"objetos/a/b/c.txt", "objetos/.meta/a/b/c.txt.json"}


def test_local_store_recomputes_sha256_when_file_changed_behind_its_back(tmp_path):
    store = LocalObjectStore(tmp_path)
    store.put("x.pdf", b"original", "application/pdf")
    (tmp_path / "x.pdf").write_bytes(b"alterado por fora")
    info = store.stat("x.pdf")
    assert info.sha256 == hashlib.sha256(b"alterado por fora").hexdigest()
    assert info.size == len(b"alterado por fora")


def test_minio_object_without_sha256_metadata(s3_endpoint):
    """Objects uploaded by the robots carry no sha256 metadata: stat computes it."""
    store = _minio(s3_endpoint)
    store._client.put_object(store.bucket, "robo/f.pdf", io.BytesIO(PDF), len(PDF))
    assert store.stat("robo/f.pdf").sha256 == hashlib.sha256(PDF).hexdigest()


def test_minio_reuses_existing_bucket(s3_endpoint):
    primeiro = _minio(s3_endpoint, "beg-compartilhado")
    primeiro.put("k", b"v")
    assert _minio(s3_endpoint, "beg-compartilhado").get("k") == b"v"


def test_minio_secrets_stay_out_of_repr_and_errors(s3_endpoint):
    store = _minio(s3_endpoint)
    assert SECRET_KEY not in repr(store)
    with pytest.raises(ObjetoNaoEncontrado) as erro:
        store.get("nao/existe")
    assert SECRET_KEY not in str(erro.value) and SECRET_KEY not in repr(erro.value)


def test_factory_local_without_endpoint(tmp_path):
    store = object_store_from_settings(Settings(data_dir=tmp_path, _env_file=None))
    assert isinstance(store, LocalObjectStore)
    assert store.root == (tmp_path / "objetos").resolve()


def test_factory_minio_with_endpoint(s3_endpoint):
    settings = Settings(
        s3_endpoint=f"http://{s3_endpoint}",
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        s3_bucket=f"beg-{uuid.uuid4().hex[:12]}",
        _env_file=None,
    )
    store = object_store_from_settings(settings)
    assert isinstance(store, MinioObjectStore)
    store.put("k", b"v")
    assert store.get("k") == b"v"


def test_factory_requires_s3_keys():
    with pytest.raises(ConfiguracaoInvalida, match="BEG_S3_ACCESS_KEY"):
        object_store_from_settings(Settings(s3_endpoint="127.0.0.1:9", _env_file=None))

"""Every declared package imports (pip once resolved dagster-postgres to a 2021 release that did not)."""

import importlib
import importlib.metadata as md
import os

import pytest

from beg_pipeline.settings import ConfiguracaoInvalida, load_settings

MODULES = ["dagster", "dagster_webserver", "dagster_graphql", "dagster_postgres", "sqlalchemy", "alembic", "psycopg2",
           "pandas", "openpyxl", "pydantic", "pydantic_settings", "stdnum", "cryptography", "argon2", "requests",
           "minio", "pypdf", "fpdf", "streamlit", "click", "pytest", "hypothesis", "moto", "playwright", "aiosmtpd"]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports(module):
    importlib.import_module(module)


def test_dagster_family_is_one_release():
    versions = {name: md.version(name) for name in ("dagster", "dagster-webserver", "dagster-graphql")}
    assert len(set(versions.values())) == 1, versions
    assert f"dagster=={versions['dagster']}" in md.requires("dagster-postgres")


def test_stdnum_knows_the_alphanumeric_cnpj():
    from stdnum.br import cnpj

    assert cnpj.is_valid("12ABC34501DE35")


def test_settings_defaults_and_errors(monkeypatch):
    settings = load_settings(_env_file=None)
    assert settings.timezone == "America/Sao_Paulo" and settings.storage_backend == "local"
    assert settings.resolved_database_url.startswith("sqlite:///") and settings.resolved_database_url.endswith("beg.db")
    monkeypatch.setenv("BEG_DATABASE_URL", "postgresql://x@y/z")
    monkeypatch.setenv("BEG_MAX_TENTATIVAS", "0")
    with pytest.raises(ConfiguracaoInvalida) as err:
        load_settings(_env_file=None)
    assert "BEG_DATABASE_URL" in str(err.value) and "postgresql+psycopg2" in str(err.value)
    assert "BEG_MAX_TENTATIVAS" in str(err.value)


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("BEG_MAX_UPLOAD_MB=7\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().max_upload_mb == 7 and "BEG_MAX_UPLOAD_MB" not in os.environ

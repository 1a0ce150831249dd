"""Portal passwords of the fixtures never reach logs, output or the database file in plaintext."""

import logging
import re
from pathlib import Path

from beg_pipeline.services.importacao_clientes import importar_clientes
from beg_pipeline.settings import Settings
from tests.builders import ADMIN
from tests.instalacao.test_cli import run

FIXTURES = Path(__file__).parents[1] / "fixtures" / "clientes"


def canarios() -> set[str]:
    found = set()
    for arquivo in FIXTURES.glob("*.csv"):
        found |= set(re.findall(rb"Senha#[A-Za-z0-9]+", arquivo.read_bytes()))
    assert len(found) >= 10
    return {c.decode() for c in found}


def test_no_password_in_logs_reports_or_repr(ctx, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # logs every SQL parameter
    try:
        textos = []
        for arquivo in sorted(FIXTURES.glob("*.csv")):
            relatorio = importar_clientes(ctx, ADMIN, arquivo.read_bytes())
            textos += [relatorio.resumo(), repr(relatorio)]
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert "INSERT INTO clientes" in caplog.text
    everything = caplog.text + "\n".join(textos) + repr(ctx.cofre) + repr(ctx.settings) + repr(ctx.db)
    assert not [c for c in canarios() if c in everything]


def test_no_password_in_cli_output_or_database_file(tmp_path):
    data = tmp_path / "data"
    env = {"BEG_DATA_DIR": str(data)}
    outputs = [run(env, "db", "upgrade")]
    for arquivo in sorted(FIXTURES.glob("*.csv")):
        outputs.append(run(env, "clientes", "importar", str(arquivo)))
    texto = "".join(o.stdout + o.stderr for o in outputs)
    assert "criados" in texto
    stored = b"".join(p.read_bytes() for p in data.iterdir() if p.name.startswith("beg.db"))
    assert b"gAAAA" in stored  # the ciphertexts are there
    assert not [c for c in canarios() if c in texto or c.encode() in stored]


def test_settings_repr_hides_secrets():
    settings = Settings(secret_key="chave-secreta-x", rpa_token="token-secreto-y", s3_secret_key="s3-secreto-z",
                        _env_file=None)
    texto = repr(settings) + str(settings) + settings.model_dump_json()
    assert not any(s in texto for s in ("chave-secreta-x", "token-secreto-y", "s3-secreto-z"))

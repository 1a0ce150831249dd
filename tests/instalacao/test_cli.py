"""The `beg` command as an admin runs it: subprocesses with BEG_ variables, on each backend."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, create_engine, select

from beg_pipeline.seguranca import Cofre, senha_confere

FIXTURES = Path(__file__).parents[1] / "fixtures" / "clientes"
BEG = [sys.executable, "-m", "beg_pipeline.cli"]


def run(env: dict, *args: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*BEG, *args], env={**os.environ, **env}, input=stdin, capture_output=True, text=True,
                            timeout=120)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def dump(url: str) -> dict[str, list]:
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        data = {name: sorted(map(repr, conn.execute(select(table)).all())) for name, table in meta.tables.items()}
    engine.dispose()
    return data


@pytest.fixture
def env(tmp_path, database_url) -> dict:
    return {"BEG_DATA_DIR": str(tmp_path / "data"), "BEG_DATABASE_URL": database_url}


def test_upgrade_and_demo_twice_change_nothing(env, tmp_path, database_url):
    run(env, "db", "upgrade")
    first = run(env, "demo")
    assert "30 criados" in first.stdout
    senhas = re.findall(r"^  (\S+@beg\.demo)  (\S+)$", first.stdout, re.M)
    assert [e for e, _ in senhas] == ["admin@beg.demo", "aprovador@beg.demo", "operador@beg.demo"]
    key_file = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = dump(database_url)
    run(env, "db", "upgrade")
    second = run(env, "demo")
    assert "0 criados, 0 atualizados, 30 inalterados" in second.stdout and "já existiam" in second.stdout
    assert not any(senha in second.stdout for _, senha in senhas)
    assert dump(database_url) == before


def test_create_user_reads_password_from_stdin(env, database_url):
    run(env, "db", "upgrade")
    out = run(env, "usuarios", "criar", "--email", "Ana@BEG.com.br", "--nome", "Ana", "--perfil", "aprovador",
              stdin="uma-senha-longa\n")
    assert "ana@beg.com.br criado com perfil APROVADOR" in out.stdout
    engine = create_engine(database_url)
    with engine.connect() as conn:
        senha_hash = conn.exec_driver_sql("SELECT senha_hash FROM usuarios").scalar_one()
    engine.dispose()
    assert senha_hash.startswith("$argon2id$") and senha_confere(senha_hash, "uma-senha-longa")
    curta = run(env, "usuarios", "criar", "--email", "b@beg.com.br", "--nome", "B", "--perfil", "OPERADOR",
                stdin="curta\n", ok=False)
    assert curta.returncode == 2 and "pelo menos 10 caracteres" in curta.stderr and "Traceback" not in curta.stderr


def test_import_dry_run_then_import(env):
    run(env, "db", "upgrade")
    arquivo = str(FIXTURES / "linhas_invalidas.csv")
    simulado = run(env, "clientes", "importar", arquivo, "--dry-run")
    assert simulado.stdout.startswith("Simulação (nada foi gravado): 3 criados")
    assert "Linha 3: coluna CNPJ" in simulado.stdout
    real = run(env, "clientes", "importar", arquivo)
    assert real.stdout.startswith("3 criados, 0 atualizados, 0 inalterados, 9 rejeitados")
    again = run(env, "clientes", "importar", arquivo)
    assert again.stdout.startswith("0 criados, 0 atualizados, 3 inalterados, 9 rejeitados")


def test_real_shaped_export_report_per_carrier_then_robot_switched_off_and_on(env):
    run(env, "db", "upgrade")
    real = run(env, "clientes", "importar", str(FIXTURES / "exportacao_beg.csv")).stdout
    linhas = real.splitlines()
    assert linhas[0].startswith("193 criados, 0 atualizados, 0 inalterados, 1 rejeitados; 43 sem credenciais")
    assert "Por operadora (criados / atualizados / inalterados / sem credenciais / rejeitados):" in linhas
    assert "  VIVO (com robô): 43 / 0 / 0 / 43 / 0" in linhas and "  AZUTON (sem robô): 55 / 0 / 0 / 0 / 0" in linhas
    assert "  OI (com robô): 55 / 0 / 0 / 0 / 1" in linhas
    assert any(linha.startswith("Linha 150: coluna CNPJ contém dois CNPJs") for linha in linhas)
    listagem = run(env, "operadoras", "listar").stdout
    assert re.search(r"^VIVO +com robô +ativa +43 clientes, 43 sem credenciais", listagem, re.M)
    assert re.search(r"^AZUTON +sem robô +ativa +55 clientes, 0 sem credenciais", listagem, re.M)
    assert run(env, "operadoras", "robo", "vivo", "--nao").stdout.strip() == (
        "Operadora VIVO: sem robô (faturas por upload manual).")
    assert re.search(r"^VIVO +sem robô +ativa +43 clientes, 0 sem credenciais", run(env, "operadoras", "listar").stdout,
                     re.M)
    run(env, "operadoras", "robo", "VIVO", "--sim")
    assert re.search(r"^VIVO +com robô", run(env, "operadoras", "listar").stdout, re.M)
    desconhecida = run(env, "operadoras", "robo", "CLARO", "--sim", ok=False)
    assert desconhecida.returncode == 2 and "CLARO não cadastrada" in desconhecida.stderr
    invalida = run(env, "operadoras", "robo", "../../etc", "--sim", ok=False)
    assert invalida.returncode == 2 and "só letras e números" in invalida.stderr and "Traceback" not in invalida.stderr


def test_bad_configuration_names_the_variable(env):
    result = run({**env, "BEG_RPA_TIMEOUT_S": "abc"}, "db", "upgrade", ok=False)
    assert result.returncode == 2 and "BEG_RPA_TIMEOUT_S" in result.stderr and "Traceback" not in result.stderr
    result = run({**env, "BEG_SECRET_KEY": "not-a-fernet-key"}, "clientes", "importar",
                 str(FIXTURES / "ok.csv"), ok=False)
    assert result.returncode == 2 and "BEG_SECRET_KEY" in result.stderr and "not-a-fernet-key" not in result.stderr


def test_key_rotation_reencrypts_every_password(env, database_url):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    run({**env, "BEG_SECRET_KEY": old}, "db", "upgrade")
    run({**env, "BEG_SECRET_KEY": old}, "clientes", "importar", str(FIXTURES / "ok.csv"))
    out = run({**env, "BEG_SECRET_KEY": f"{new},{old}"}, "chaves", "rotacionar")
    assert out.stdout.startswith("3 senhas recifradas")
    engine = create_engine(database_url)
    with engine.connect() as conn:
        consulta = "SELECT senha_portal FROM clientes WHERE senha_portal IS NOT NULL"
        cifradas = conn.exec_driver_sql(consulta).scalars().all()
    engine.dispose()
    assert {Cofre([new]).decifrar(c) for c in cifradas} >= {"Senha#Canario01", "Senha#Canario02"}
    stale = run({**env, "BEG_SECRET_KEY": old}, "clientes", "importar", str(FIXTURES / "ok.csv"), ok=False)
    assert stale.returncode == 2 and "BEG_SECRET_KEY" in stale.stderr


def test_generated_key_is_a_fernet_key():
    key = run({}, "chaves", "gerar").stdout.strip()
    assert Cofre([key]).decifrar(Cofre([key]).cifrar("x")) == "x"


def test_default_database_file_is_private(tmp_path):
    env = {"BEG_DATA_DIR": str(tmp_path / "data")}
    run(env, "db", "upgrade")
    run(env, "demo")
    banco = tmp_path / "data" / "beg.db"
    arquivos = [banco, *[Path(f"{banco}{s}") for s in ("-wal", "-shm") if Path(f"{banco}{s}").exists()]]
    assert {a.name: stat.S_IMODE(a.stat().st_mode) for a in arquivos} == {a.name: 0o600 for a in arquivos}
    backup = run(env, "db", "backup").stdout.split()[-1]
    run(env, "db", "restaurar", backup, "--sim")
    assert stat.S_IMODE(banco.stat().st_mode) == 0o600  # a restored file stays private

"""Shared setup of the benchmarks: a fresh data dir and migrated database, bulk data, the robot simulator.

Only the SETUP lives here (bulk inserts through SQLAlchemy Core into the migrated schema, so that 100,000
clients take seconds, not minutes). What is measured always goes through the product: assets materialized with
``dagster.materialize`` + ``recursos(ConfiguracaoResource(...))``, the sensor through ``build_sensor_context``,
the approval queue through Streamlit's ``AppTest``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from beg_pipeline.db import migracoes
from beg_pipeline.db.models import Auditoria, Cliente, Evento, Operadora, Processo, Usuario
from beg_pipeline.seguranca import Cofre, hash_senha
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import Settings

RAIZ = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BEG_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
OPERADORAS = ("DIGITALNET", "EMBRATEL", "OI", "VIVO")
LOTE = 5_000  # rows per executemany


def postgres_disponivel() -> bool:
    url = make_url(POSTGRES_URL)
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), 2).close()
    except OSError:
        return False
    return True


def _momento() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- environment


@dataclass
class Ambiente:
    """A data dir, a secret key and a migrated database; ``BEG_*`` variables point at them while it is open."""

    backend: str
    raiz: Path
    database_url: str
    secret_key: str
    _pg_nome: str | None = None
    _env_antigo: dict[str, str | None] = field(default_factory=dict)
    _ctx: Contexto | None = None

    @property
    def data_dir(self) -> Path:
        return self.raiz / "data"

    def env(self, **extra: str) -> dict[str, str]:
        """The ``BEG_*`` variables of this environment (plus ``extra``), for this process or a child."""
        return {"BEG_DATA_DIR": str(self.data_dir), "BEG_DATABASE_URL": self.database_url,
                "BEG_SECRET_KEY": self.secret_key, "BEG_RPA_TIMEOUT_S": "30", "BEG_RPA_RETRY_BACKOFF_S": "1",
                **extra}

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, database_url=self.database_url, secret_key=self.secret_key,
                        _env_file=None)

    @property
    def ctx(self) -> Contexto:
        if self._ctx is None:
            self._ctx = Contexto(self.settings)
        return self._ctx

    @property
    def cofre(self) -> Cofre:
        return self.ctx.cofre


@contextlib.contextmanager
def ambiente(backend: str = "sqlite") -> Iterator[Ambiente]:
    """A fresh environment (SQLite file, or a PostgreSQL database created here and dropped at the end)."""
    raiz = Path(tempfile.mkdtemp(prefix=f"beg-bench-{backend}-"))
    (raiz / "data").mkdir()
    pg_nome = None
    if backend == "sqlite":
        url = f"sqlite:///{raiz / 'data' / 'beg.db'}"
    elif backend == "postgresql":
        pg_nome = f"beg_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_nome}"'))
        admin.dispose()
        url = make_url(POSTGRES_URL).set(database=pg_nome).render_as_string(hide_password=False)
    else:
        raise ValueError(backend)
    amb = Ambiente(backend, raiz, url, Fernet.generate_key().decode(), pg_nome)
    antigos = {k: v for k, v in os.environ.items() if k.startswith("BEG_") and k != "BEG_BENCH_POSTGRES_URL"}
    try:
        migracoes.upgrade(url)
        for nome in antigos:
            del os.environ[nome]
        os.environ.update(amb.env())
        yield amb
    finally:
        for nome in [k for k in os.environ if k.startswith("BEG_") and k != "BEG_BENCH_POSTGRES_URL"]:
            del os.environ[nome]
        os.environ.update(antigos)
        if amb._ctx is not None:
            amb._ctx.db.dispose()
        if pg_nome:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_nome}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(raiz, ignore_errors=True)


# --------------------------------------------------------------------------- bulk data (setup only)


def _em_lotes(conn, tabela, linhas: list[dict]) -> None:
    for i in range(0, len(linhas), LOTE):
        conn.execute(insert(tabela), linhas[i:i + LOTE])


def _cnpj(i: int) -> str:
    """A valid CNPJ, different for each ``i``."""
    from stdnum.br import cnpj

    base = f"{10_000_000 + i:08d}0001"
    return base + cnpj.calc_check_digits(base)


def operadoras(amb: Ambiente) -> dict[str, uuid.UUID]:
    """The four carriers with a robot (as ``beg demo`` creates them)."""
    ids = {codigo: uuid.uuid4() for codigo in OPERADORAS}
    momento = _momento()
    with amb.ctx.db.engine.begin() as conn:
        _em_lotes(conn, Operadora.__table__, [
            dict(id=i, nome=codigo.title(), codigo=codigo, possui_rpa=True, status_ativo=True,
                 data_criacao=momento, data_atualizacao=momento) for codigo, i in ids.items()])
    return ids


def clientes(amb: Ambiente, n: int, ids_operadoras: dict[str, uuid.UUID] | None = None) -> list[uuid.UUID]:
    """``n`` active clients spread evenly over the carriers, each with its own portal login and a password
    encrypted with the product's vault (``Cofre``), as ``beg clientes importar`` stores it."""
    ids_operadoras = ids_operadoras or operadoras(amb)
    codigos = sorted(ids_operadoras)
    cofre, momento = amb.cofre, _momento()
    linhas = []
    for i in range(n):
        codigo = codigos[i % len(codigos)]
        linhas.append(dict(
            id=uuid.uuid4(), hash_unico=f"{i:032x}", razao_social=f"CLIENTE BENCH {i:06d} LTDA",
            nome_sat=f"CLIENTE BENCH {i:06d}", cnpj=_cnpj(i), operadora_id=ids_operadoras[codigo],
            filtro=f"{10**10 + i}-0000_{i % 100:02d}", servico="Fixo" if i % 3 else "Móvel", unidade="Porto Velho-RO",
            dados_sat=f"SAT-{i:06d}", categoria="Telecom", login_portal=f"BENCH{i:06d}",
            senha_portal=cofre.cifrar(f"portal-{i:06d}-{uuid.uuid4().hex[:8]}"), status_ativo=True,
            data_criacao=momento, data_atualizacao=momento))
    with amb.ctx.db.engine.begin() as conn:
        _em_lotes(conn, Cliente.__table__, linhas)
    return [linha["id"] for linha in linhas]


def processos(amb: Ambiente, pares: list[tuple[uuid.UUID, str]], status: str, *, com_fatura: bool = False,
              aprovador: uuid.UUID | None = None, vencimento: dt.date | None = None,
              valor=None) -> list[uuid.UUID]:
    """One process per ``(cliente_id, mes_ano)`` in ``status``; with ``com_fatura`` a stored-invoice record
    (key, SHA-256, amount, due date) like a completed download leaves; with ``aprovador`` approved by them."""
    momento = _momento()
    linhas = []
    for n, (cliente_id, mes_ano) in enumerate(pares):
        pid = uuid.uuid4()
        linha = dict(id=pid, cliente_id=cliente_id, mes_ano=mes_ano, status_processo=status,
                     criado_automaticamente=True, data_criacao=momento, data_atualizacao=momento,
                     tentativas_download=1 if com_fatura else 0)
        if com_fatura:
            sha = uuid.uuid5(uuid.NAMESPACE_OID, str(pid)).hex * 2
            ano, mes = mes_ano[3:], mes_ano[:2]
            chave = f"faturas/{ano}-{mes}/OI/{pid}-{sha[:12]}.pdf"
            linha.update(fatura_s3_key=chave, caminho_s3_fatura=chave, fatura_sha256=sha,
                         fatura_filename=f"OI_{ano}-{mes}_{pid}.pdf",
                         valor_fatura=valor(n) if callable(valor) else (valor or Decimal("1234.56")),
                         data_vencimento=vencimento(n) if callable(vencimento) else vencimento,
                         ultima_tentativa_download=momento)
        if aprovador is not None:
            linha.update(aprovado_por_usuario_id=aprovador, data_aprovacao=momento)
        linhas.append(linha)
    with amb.ctx.db.engine.begin() as conn:
        _em_lotes(conn, Processo.__table__, linhas)
    return [linha["id"] for linha in linhas]


def auditoria(amb: Ambiente, linhas: list[dict]) -> None:
    """Append audit rows (``acao``, ``processo_id``, ...), in the given order (their ids grow with it)."""
    momento = _momento()
    with amb.ctx.db.engine.begin() as conn:
        _em_lotes(conn, Auditoria.__table__, [
            dict(data=momento, ator="bench", perfil="SISTEMA", entidade="processos", **linha) for linha in linhas])


def eventos(amb: Ambiente, linhas: list[dict]) -> None:
    """Append process events (``processo_id``, ``mes_ano``, ``tipo``), in the given order (their ids grow with it)."""
    momento = _momento()
    with amb.ctx.db.engine.begin() as conn:
        _em_lotes(conn, Evento.__table__, [dict(criado_em=momento, **linha) for linha in linhas])


def usuario(amb: Ambiente, email: str, perfil: str, senha: str) -> uuid.UUID:
    """A person who can log in (argon2id hash, as ``beg usuarios criar`` stores it)."""
    uid, momento = uuid.uuid4(), _momento()
    with amb.ctx.db.engine.begin() as conn:
        conn.execute(insert(Usuario.__table__).values(
            id=uid, nome_completo=email, email=email, perfil_usuario=perfil, status_ativo=True,
            senha_hash=hash_senha(senha), tentativas_login_falhas=0, data_criacao=momento, data_atualizacao=momento))
    return uid


def meses(n: int, ultimo: str = "11/2026") -> list[str]:
    """The ``n`` months ending at ``ultimo`` (``MM/AAAA``), oldest first."""
    mes, ano = int(ultimo[:2]), int(ultimo[3:])
    saida = []
    for _ in range(n):
        saida.append(f"{mes:02d}/{ano}")
        mes, ano = (12, ano - 1) if mes == 1 else (mes - 1, ano)
    return saida[::-1]


# --------------------------------------------------------------------------- the robot simulator in a child process


@dataclass
class SimuladorExterno:
    url: str
    estatisticas: dict = field(default_factory=dict)  # after exit: requests per route, jobs, CPU seconds


@contextlib.contextmanager
def simulador_externo(amb: Ambiente, *, latencia_s: float, jitter_s: float, capacidade: int,
                      rtt_s: float = 0.0) -> Iterator[SimuladorExterno]:
    """The product's robot simulator (``Simulador``) serving from its own process, as the real robot API is
    remote: it does not compete with the pipeline for the GIL. ``rtt_s``: the network round trip added to each call."""
    processo = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._simulador", str(latencia_s), str(jitter_s), str(capacidade), str(rtt_s)],
        cwd=RAIZ, env={**os.environ, **amb.env(), "PYTHONPATH": str(RAIZ)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    try:
        linha = processo.stdout.readline().strip()
        if not linha.startswith("http"):
            raise RuntimeError(f"o simulador não iniciou: {linha!r}")
        sim = SimuladorExterno(linha)
        yield sim
    finally:
        processo.stdin.close()  # the child stops when its stdin closes
        try:
            resto = processo.stdout.read()
            processo.wait(timeout=15)
        except subprocess.TimeoutExpired:
            processo.kill()
            processo.wait()
            resto = ""
    for linha in (resto or "").splitlines():
        if linha.startswith("{"):
            sim.estatisticas = json.loads(linha)


def cpu_da_maquina() -> float:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``; 0 where unavailable)."""
    try:
        with open("/proc/stat") as stat:
            campos = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    ocioso = campos[3] + (campos[4] if len(campos) > 4 else 0)  # idle + iowait
    return (sum(campos[:8]) - ocioso) / os.sysconf("SC_CLK_TCK")


class Cronometro:
    """``with Cronometro() as c: ...`` then ``c.s`` (wall seconds), ``c.cpu_s`` (this process's CPU) and
    ``c.maquina_cpu_s`` (CPU the whole machine spent meanwhile: other load on a shared machine shows here)."""

    def __enter__(self) -> Cronometro:
        self._t, self._c, self._m = time.perf_counter(), time.process_time(), cpu_da_maquina()
        return self

    def __exit__(self, *exc) -> None:
        self.s = time.perf_counter() - self._t
        self.cpu_s = time.process_time() - self._c
        self.maquina_cpu_s = cpu_da_maquina() - self._m


def duracoes_dos_passos(resultado) -> dict[str, float]:
    """``{step: seconds}`` of a ``materialize`` result (Dagster's own step timing, without run overhead)."""
    return {ev.step_key: ev.event_specific_data.duration_ms / 1000
            for ev in resultado.all_events if ev.is_step_success}

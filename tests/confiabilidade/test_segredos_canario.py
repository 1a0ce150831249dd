"""A canary portal password goes import → pipeline → simulator, and the simulator echoes it back in its error
messages (``eco_senha_no_erro``). It must appear nowhere we keep or show: Dagster's event log and its storage on
disk, captured stdout/stderr, every log record (SQL parameters included), the application database (the SQLite
file's bytes; every table as text on PostgreSQL), the object store, and this test's own output (assertions name
the place of a leak, never the text around it).

tests/servicos/test_segredos.py covers the import and the CLI alone; here the password also travels to the robot
and back.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import dagster as dg
from sqlalchemy import MetaData, create_engine, select
from stdnum.br import cnpj as stdnum_cnpj

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.db.models import Execucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.resources import ConfiguracaoResource, recursos
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import aprovacoes, cadastros, processos
from beg_pipeline.services.demo import HEADER
from beg_pipeline.services.importacao_clientes import importar_clientes
from tests.builders import ADMIN, pessoa, vistos
from tests.confiabilidade import figuras
from tests.confiabilidade.invariantes import backend
from tests.pipeline_fixtures import RAPIDO, simulador

CANARIO = "Canario#q7Zx!9vR"  # never a substring of anything else the run writes
SENHAS = {"credenciais": CANARIO, "nao_publicada": CANARIO + "-2", "ok": CANARIO + "-3"}
PARTICAO = "2026-11-01"


def _cnpj(base: str) -> str:
    return base + stdnum_cnpj.calc_check_digits(base)


CNPJS = {caso: _cnpj(base) for caso, base in zip(SENHAS, ("847187410001", "112223330001", "607011900001"), strict=True)}


def _planilha() -> bytes:
    saida = io.StringIO()
    escritor = csv.writer(saida)
    escritor.writerow(HEADER)
    for n, caso in enumerate(SENHAS):
        escritor.writerow([f"{n:016x}", f"CLIENTE CANARIO {caso.upper()} LTDA", f"CANARIO {n}",
                           stdnum_cnpj.format(CNPJS[caso]), "Oi", f"ACC-{n}", "Fixo", "SAT", "Porto Velho-RO",
                           "Telecom", "", f"login.canario.{n}", SENHAS[caso], "", "", "ATIVO", "", ""])
    return saida.getvalue().encode("utf-8")


def _arquivos(raiz: Path, ignorar: set[str] = frozenset()) -> dict[str, bytes]:
    return {str(p.relative_to(raiz)): p.read_bytes() for p in raiz.rglob("*") if p.is_file() and p.name not in ignorar}


def _tabelas_como_texto(url: str) -> str:
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        texto = "\n".join(repr(linha) for tabela in meta.sorted_tables for linha in conn.execute(select(tabela)))
    engine.dispose()
    return texto


def test_canary_password_never_leaks(ctx, pipeline_env, capfd, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # every SQL statement and its parameters
    try:
        cadastros.garantir_operadora(ctx, ADMIN, "OI", possui_rpa=True)
        relatorio = importar_clientes(ctx, ADMIN, _planilha())
        assert relatorio.criados == 3, relatorio.resumo()
        processos.criar_processos_do_mes(ctx, SISTEMA, "11/2026")
        aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
        config = RAPIDO.model_copy(update={"eco_senha_no_erro": True, "credenciais_invalidas": {CNPJS["credenciais"]},
                                           "nao_publicada_ate": {CNPJS["nao_publicada"]: 99}})
        dagster_home = tmp_path / "dagster_home"
        dagster_home.mkdir()
        with dg.DagsterInstance.local_temp(str(dagster_home)) as instance, simulador(config) as sim:
            res = recursos(ConfiguracaoResource(rpa_url=sim.base_url))
            runs = [dg.materialize([faturas], partition_key=PARTICAO, resources=res, instance=instance)]
            prontos = [p.id for p in processos.processos_do_mes(ctx, "11/2026", StatusProcesso.AGUARDANDO_APROVACAO)]
            lote = aprovacoes.aprovar_em_lote(ctx, aprovador, prontos, sha256=vistos(ctx, prontos))
            assert len(prontos) == 1 and lote.aprovados == prontos
            runs.append(dg.materialize([envios_sat], partition_key=PARTICAO, resources=res, instance=instance))
            assert all(r.success for r in runs)
            ecoados = [j.job_id for j in sim.jobs.values() if j.error and CANARIO in j.error]
            eventos = "\n".join(repr(e) for r in runs for e in instance.all_logs(r.run_id))
            metadados = "\n".join(repr(m) for r, n in zip(runs, ("faturas", "envios_sat"), strict=True)
                                  for m in r.asset_materializations_for_node(n))
            token = rpa_token(ctx.settings)
        saida = capfd.readouterr()
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    # the fault really happened: the robot echoed the password (twice: two failing clients), the pipeline masked it
    assert len(ecoados) == 2
    with ctx.db.leitura() as s:
        mensagens = [e.detalhes_erro["mensagem"] for e in s.scalars(select(Execucao)) if e.detalhes_erro]
    mascaradas = sum("senha=***" in m for m in mensagens)  # counted, never printed: a message may hold the secret
    assert "INSERT INTO execucoes" in caplog.text and "Login no portal" in saida.out  # robot lines: stdout

    dados = Path(ctx.settings.data_dir)
    if ctx.db.is_sqlite:
        banco = {f"banco:{n}": b for n, b in _arquivos(dados).items() if n.startswith("beg.db")}
    else:
        banco = {"banco:todas-as-tabelas": _tabelas_como_texto(ctx.settings.resolved_database_url).encode()}
    fontes: dict[str, bytes] = {
        "eventos-dagster": eventos.encode(), "metadados-dagster": metadados.encode(),
        **{f"armazenamento-dagster:{n}": b for n, b in _arquivos(dagster_home).items()},
        "stdout": saida.out.encode(), "stderr": saida.err.encode(), "logs": caplog.text.encode(),
        **banco,
        # the object store and anything else under the data directory (except the token's own file)
        **{f"dados:{n}": b for n, b in _arquivos(dados, {"rpa.token", "secret.key"}).items()
           if not n.startswith("beg.db")},
    }
    assert any(n.startswith("dados:objetos/faturas/") for n in fontes)  # the invoice PDF is among them
    segredos = {"senha de portal": [s.encode() for s in SENHAS.values()], "token da API do robô": [token.encode()]}
    vazamentos = sorted({f"{qual} em {fonte}" for fonte, conteudo in fontes.items()
                         for qual, valores in segredos.items() for v in valores if v in conteudo})
    figuras.registrar("segredos", "canario", backend=backend(ctx), fontes_verificadas=len(fontes),
                      bytes_verificados=sum(len(c) for c in fontes.values()), ecos_do_robo=len(ecoados),
                      vazamentos=len(vazamentos))
    assert not vazamentos, vazamentos  # names the place only, never the text around the secret
    assert mascaradas == len(mensagens) == 2, f"{mascaradas} de {len(mensagens)} mensagens de erro mascaradas"

"""Demo data for a first run: carriers with robots, ~30 clients, one user per profile."""

from __future__ import annotations

import csv
import io
import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from stdnum.br import cnpj as stdnum_cnpj

from beg_pipeline.db.models import Usuario
from beg_pipeline.domain.perfis import Ator, Perfil
from beg_pipeline.services import cadastros
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.importacao_clientes import RelatorioImportacao, importar_clientes

OPERADORAS_COM_ROBO = {"OI": "Oi", "VIVO": "Vivo", "EMBRATEL": "Embratel", "DIGITALNET": "DigitalNet"}
USUARIOS_DEMO = (
    ("admin@beg.demo", "Administradora Demo", Perfil.ADMINISTRADOR),
    ("aprovador@beg.demo", "Aprovador Demo", Perfil.APROVADOR),
    ("operador@beg.demo", "Operadora Demo", Perfil.OPERADOR),
)
EMPRESAS = ("RICAL RACK INDUSTRIA", "AGRO NORTE ALIMENTOS", "TRANSPORTES RONDONIA", "CONSTRUTORA MADEIRA",
            "HOSPITAL SANTA LUZIA", "SUPERMERCADOS JI-PARANA", "FARMACIA VIDA", "ESCOLA APRENDER",
            "COOPERATIVA AMAZONIA", "METALURGICA PORTO VELHO")
UNIDADES = ("Ji-Paraná-RO", "Porto Velho-RO", "Ariquemes-RO", "Cacoal-RO")
HEADER = ["HASH", "RAZÃO SOCIAL", "NOME SAT", "CNPJ", "OPERADORA", "FILTRO", "SERVIÇO", "DADOS SAT",
          "UNIDADE / FILTRO SAT", "CATEGORIAS / FILTRO SAT", "SITE PARA EMISSÃO ", "LOGIN ", "SENHA", "CPF", "OBS",
          "STATUS", "PATCHDOWNLOAD", "ATUALIZA/CRIA"]


@dataclass
class ResultadoDemo:
    usuarios_criados: dict[str, str] = field(default_factory=dict)  # email -> initial password, shown once
    importacao: RelatorioImportacao | None = None


def csv_demo(n_clientes: int = 30) -> bytes:
    """A deterministic client export in BEG's spreadsheet format."""
    rnd = random.Random(20261101)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    codigos = list(OPERADORAS_COM_ROBO)
    for i in range(n_clientes):
        base = f"{rnd.randrange(10**7, 10**8)}0001"
        numero = base + stdnum_cnpj.calc_check_digits(base)
        operadora = codigos[i % len(codigos)]
        writer.writerow([f"{rnd.getrandbits(64):016x}", f"{EMPRESAS[i % len(EMPRESAS)]} {i + 1:02d} LTDA",
                         f"{EMPRESAS[i % len(EMPRESAS)]} {i + 1:02d}", stdnum_cnpj.format(numero), operadora,
                         f"{rnd.randrange(10**10, 10**11)}-0000_{i:02d}", "Fixo" if i % 3 else "Móvel",
                         f"SAT-{i:04d}", UNIDADES[i % len(UNIDADES)], "Telecom", "", f"DEMO{i:04d}",
                         f"portal-demo-{i:02d}", "", "", "ATIVO", "", ""])
    return out.getvalue().encode("utf-8")


def carregar_demo(ctx: Contexto, ator: Ator, n_clientes: int = 30) -> ResultadoDemo:
    """Idempotent: a second call creates nothing and shows no password again."""
    resultado = ResultadoDemo()
    for codigo, nome in OPERADORAS_COM_ROBO.items():
        cadastros.garantir_operadora(ctx, ator, codigo, nome=nome, possui_rpa=True)
    with ctx.db.leitura() as s:
        existentes = set(s.scalars(select(Usuario.email)))
    for email, nome, perfil in USUARIOS_DEMO:
        if email not in existentes:
            senha = secrets.token_urlsafe(12)
            cadastros.criar_usuario(ctx, ator, email=email, nome=nome, perfil=perfil.value, senha=senha)
            resultado.usuarios_criados[email] = senha
    resultado.importacao = importar_clientes(ctx, ator, csv_demo(n_clientes))
    return resultado

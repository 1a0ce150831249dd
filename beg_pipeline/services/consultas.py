"""Read models for the app: searchable process list, process detail, monthly view, client list."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from beg_pipeline.db.models import Auditoria, Cliente, Execucao, Operadora, Processo
from beg_pipeline.domain import calendario
from beg_pipeline.domain.cadastro import ROTULO_SEM_CREDENCIAIS, sem_credenciais
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.services.contexto import Contexto, IdEntidade, NaoEncontrado
from beg_pipeline.services.relatorios import RelatorioMensal, gerar_relatorio
from beg_pipeline.services.sinais import FaturaEmAnalise, SinaisDaFatura, sinais_das_faturas
from beg_pipeline.storage.base import ObjectStore


@dataclass
class Pagina:
    linhas: list[dict]
    total: int
    pagina: int
    por_pagina: int

    @property
    def paginas(self) -> int:
        return max(1, -(-self.total // self.por_pagina))


def _filtrar_texto(consulta: Select, texto: str | None) -> Select:
    if texto and texto.strip():
        termo = f"%{texto.strip()}%"
        consulta = consulta.where(or_(Cliente.razao_social.ilike(termo), Cliente.cnpj.ilike(termo),
                                      Cliente.filtro.ilike(termo)))
    return consulta


def buscar_processos(ctx: Contexto, ator: Ator, *, texto: str | None = None, mes_ano: str | None = None,
                     status: str | None = None, operadora: str | None = None, pagina: int = 1,
                     por_pagina: int = 50) -> Pagina:
    """One page of processes (counted and sliced in the database, so 10,000 rows stay fast)."""
    ator.exigir(Permissao.VER)
    base = (select(Processo.id, Processo.mes_ano, Cliente.razao_social.label("cliente"), Cliente.cnpj,
                   Operadora.codigo.label("operadora"), Processo.status_processo, Processo.valor_fatura,
                   Processo.data_vencimento, Processo.tentativas_download, Processo.classe_ultima_falha,
                   Operadora.possui_rpa, Cliente.login_portal, Cliente.senha_portal.is_not(None).label("tem_senha"))
            .join(Cliente, Processo.cliente_id == Cliente.id).join(Operadora, Cliente.operadora_id == Operadora.id))
    base = _filtrar_texto(base, texto)
    filtros = ((Processo.mes_ano, mes_ano), (Processo.status_processo, status), (Operadora.codigo, operadora))
    for coluna, valor in filtros:
        if valor:
            base = base.where(coluna == valor)
    pagina = max(1, pagina)
    with ctx.db.leitura() as s:
        total = s.scalar(select(func.count()).select_from(base.subquery()))
        linhas = s.execute(base.order_by(Processo.data_criacao.desc(), Cliente.razao_social)
                           .limit(por_pagina).offset((pagina - 1) * por_pagina)).mappings().all()
    return Pagina([_com_pendencia(dict(linha)) for linha in linhas], total, pagina, por_pagina)


def _com_pendencia(linha: dict) -> dict:
    """The row with ``pendencia``: why the robot will not download it (an account without credentials), or None."""
    possui_rpa, login, tem_senha = linha.pop("possui_rpa"), linha.pop("login_portal"), linha.pop("tem_senha")
    espera_download = linha["status_processo"] == StatusProcesso.AGUARDANDO_DOWNLOAD.value
    linha["pendencia"] = (ROTULO_SEM_CREDENCIAIS if espera_download and sem_credenciais(possui_rpa, login, tem_senha)
                          else None)
    return linha


@dataclass
class DetalheProcesso:
    processo: Processo
    cliente: Cliente
    operadora: Operadora
    execucoes: list[Execucao]
    trilha: list[Auditoria]
    sinais: SinaisDaFatura | None = None  # of the current PDF (blocking signals, earlier rejection)


def detalhe_processo(ctx: Contexto, ator: Ator, processo_id: IdEntidade) -> DetalheProcesso:
    ator.exigir(Permissao.VER)
    with ctx.db.leitura() as s:
        processo = s.get(Processo, processo_id)
        if processo is None:
            raise NaoEncontrado(f"Processo {processo_id} não existe.")
        execucoes = list(s.scalars(select(Execucao).where(Execucao.processo_id == processo_id)
                                   .order_by(Execucao.data_inicio.desc())))
        trilha = list(s.scalars(select(Auditoria).where(Auditoria.processo_id == processo_id).order_by(Auditoria.id)))
        achados = sinais_das_faturas(s, [FaturaEmAnalise(processo.id, processo.mes_ano, processo.cliente.cnpj,
                                                         processo.fatura_sha256, processo.fatura_s3_key)])
        return DetalheProcesso(processo, processo.cliente, processo.cliente.operadora, execucoes, trilha,
                               achados[processo.id])


def meses_com_processos(ctx: Contexto) -> list[str]:
    """mes_ano values that have processes, newest first."""
    with ctx.db.leitura() as s:
        meses = s.scalars(select(Processo.mes_ano).distinct())
        return sorted(meses, key=calendario.particao_de_mes_ano, reverse=True)


def visao_mensal(ctx: Contexto, ator: Ator, mes_ano: str, hoje: dt.date) -> RelatorioMensal:
    ator.exigir(Permissao.VER)
    return gerar_relatorio(ctx, mes_ano, hoje)


def arquivos_do_relatorio(store: ObjectStore, mes_ano: str) -> dict[str, str]:
    """The stored report files of a month (``relatorio_mensal`` asset), by extension."""
    pasta = f"relatorios/{calendario.particao_de_mes_ano(mes_ano)[:7]}/"
    return {chave.rsplit(".", 1)[-1]: chave for chave in store.list(pasta)}


def buscar_clientes(ctx: Contexto, ator: Ator, *, texto: str | None = None, pagina: int = 1,
                    por_pagina: int = 50) -> Pagina:
    ator.exigir(Permissao.GERIR_CADASTROS)
    base = _filtrar_texto(
        select(Cliente.id, Cliente.razao_social, Cliente.cnpj, Operadora.codigo.label("operadora"), Cliente.filtro,
               Cliente.unidade, Cliente.servico, Cliente.login_portal,
               Cliente.senha_portal.is_not(None).label("tem_senha"), Cliente.status_ativo, Operadora.possui_rpa)
        .join(Operadora, Cliente.operadora_id == Operadora.id), texto)
    with ctx.db.leitura() as s:
        total = s.scalar(select(func.count()).select_from(base.subquery()))
        linhas = s.execute(base.order_by(Cliente.razao_social).limit(por_pagina)
                           .offset((max(1, pagina) - 1) * por_pagina)).mappings().all()
    return Pagina([dict(linha) | {"sem_credenciais": sem_credenciais(linha["possui_rpa"], linha["login_portal"],
                                                                      linha["tem_senha"])}
                   for linha in linhas], total, pagina, por_pagina)


def obter_cliente(ctx: Contexto, ator: Ator, cliente_id: uuid.UUID) -> Cliente:
    ator.exigir(Permissao.GERIR_CADASTROS)
    with ctx.db.leitura() as s:
        cliente = s.get(Cliente, cliente_id)
        if cliente is None:
            raise NaoEncontrado(f"Cliente {cliente_id} não existe.")
        return cliente

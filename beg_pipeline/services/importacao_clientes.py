"""Import BEG's client spreadsheet: upsert on the natural key in short transactions, a report per carrier.

The natural key is the legacy's (cnpj, operadora, unidade, servico) plus filtro where there is one (stored as ""
when the cell is empty). Rows are written ``LINHAS_POR_TRANSACAO`` at a time, each batch in its own short write
transaction, so a large file never holds SQLite's write lock long enough to make a login wait or fail; a batch
that fails leaves nothing of itself, and importing the same file again completes the work (re-importing is a no-op).

A new row whose CNPJ, carrier and FILTRO match a stored (or just imported) client, where one of the two has neither
UNIDADE nor SERVIÇO, is most likely the same account typed twice: it is reported as a likely duplicate, not created
(creating it would double that account's monthly processes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Cliente, Operadora
from beg_pipeline.domain.cadastro import sem_credenciais
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.importacao.leitura_csv import (
    CABECALHO_ESPERADO,
    ArquivoInvalido,
    ErroLinha,
    LinhaCliente,
    ler_csv_clientes,
)
from beg_pipeline.services import auditoria, notificacoes
from beg_pipeline.services.contexto import Contexto

__all__ = ["COLUNAS", "ArquivoInvalido", "RelatorioImportacao", "importar_clientes", "modelo_csv"]

COLUNAS = tuple(CABECALHO_ESPERADO.split(","))

LINHAS_POR_TRANSACAO = 200
SEM_OPERADORA = "(sem operadora válida)"


@dataclass
class ContagemOperadora:
    """One carrier's line of the import report."""

    possui_rpa: bool | None = None  # None: the carrier is unknown (rejected rows only)
    criados: int = 0
    atualizados: int = 0
    inalterados: int = 0
    sem_credenciais: int = 0
    rejeitados: int = 0
    provaveis_duplicados: int = 0


@dataclass
class RelatorioImportacao:
    dry_run: bool
    rejeitados: list[ErroLinha] = field(default_factory=list)
    duplicadas: list[int] = field(default_factory=list)
    operadoras_criadas: list[str] = field(default_factory=list)
    por_operadora: dict[str, ContagemOperadora] = field(default_factory=dict)
    provaveis_duplicados: list[ErroLinha] = field(default_factory=list)
    # (cnpj, carrier code, filtro) -> (unidade, serviço, description) of the clients this import created
    _novos: dict[tuple, list[tuple[str, str, str]]] = field(default_factory=dict, repr=False)

    @property
    def criados(self) -> int:
        return sum(c.criados for c in self.por_operadora.values())

    @property
    def atualizados(self) -> int:
        return sum(c.atualizados for c in self.por_operadora.values())

    @property
    def inalterados(self) -> int:
        return sum(c.inalterados for c in self.por_operadora.values())

    @property
    def sem_credenciais(self) -> int:
        return sum(c.sem_credenciais for c in self.por_operadora.values())

    def contagem(self, codigo: str, possui_rpa: bool | None = None) -> ContagemOperadora:
        contagem = self.por_operadora.setdefault(codigo or SEM_OPERADORA, ContagemOperadora())
        if possui_rpa is not None:
            contagem.possui_rpa = possui_rpa
        return contagem

    def tabela_operadoras(self) -> list[dict]:
        """One row per carrier (alphabetical), for the admin page."""
        return [{"Operadora": codigo, "Robô": {True: "sim", False: "não"}.get(c.possui_rpa, "—"),
                 "Criados": c.criados, "Atualizados": c.atualizados, "Inalterados": c.inalterados,
                 "Sem credenciais": c.sem_credenciais, "Rejeitados": c.rejeitados,
                 "Prováveis duplicados": c.provaveis_duplicados}
                for codigo, c in sorted(self.por_operadora.items())]

    def resumo(self) -> str:
        prefixo = "Simulação (nada foi gravado): " if self.dry_run else ""
        linhas = [f"{prefixo}{self.criados} criados, {self.atualizados} atualizados, {self.inalterados} inalterados, "
                  f"{len(self.rejeitados)} rejeitados"
                  + (f", {len(self.provaveis_duplicados)} prováveis duplicados (não criados)"
                     if self.provaveis_duplicados else "")
                  + f"; {self.sem_credenciais} sem credenciais (upload manual)"]
        if self.por_operadora:
            linhas.append("Por operadora (criados / atualizados / inalterados / sem credenciais / rejeitados):")
            for codigo, c in sorted(self.por_operadora.items()):
                robo = {True: " (com robô)", False: " (sem robô)"}.get(c.possui_rpa, "")
                linhas.append(f"  {codigo}{robo}: {c.criados} / {c.atualizados} / {c.inalterados} / "
                              f"{c.sem_credenciais} / {c.rejeitados}")
        if self.sem_credenciais:
            linhas.append("Sem credenciais: a operadora tem robô, mas o cliente não tem login e senha do portal; a "
                          "fatura espera upload manual (ou o cadastro de login e senha).")
        if self.duplicadas:
            linhas.append(f"Linhas repetidas no arquivo (contadas uma vez): {', '.join(map(str, self.duplicadas))}")
        if self.operadoras_criadas:
            novas = [f"{codigo} ({'com robô' if self.por_operadora[codigo].possui_rpa else 'sem robô: upload manual'})"
                     for codigo in self.operadoras_criadas]
            linhas.append(f"Operadoras novas: {', '.join(novas)}")
        linhas += [f"Linha {e.linha}: {e.motivo}" for e in sorted(self.rejeitados + self.provaveis_duplicados,
                                                                 key=lambda e: e.linha)]
        return "\n".join(linhas)


def _valores(linha: LinhaCliente) -> dict:
    return {
        "razao_social": linha.razao_social, "nome_sat": linha.nome_sat, "dados_sat": linha.dados_sat,
        "categoria": linha.categoria, "site_emissao": linha.url_portal, "login_portal": linha.login_portal,
        "cpf": linha.cpf, "observacoes": linha.observacoes, "status_ativo": linha.status_ativo,
    }


def importar_clientes(ctx: Contexto, ator: Ator, conteudo: bytes, *, dry_run: bool = False) -> RelatorioImportacao:
    """Read the CSV and upsert every valid row; ``dry_run`` computes the same report and writes nothing.

    New carriers get a robot when their code is in ``BEG_RPA_OPERADORAS``; existing carriers are left as they are.
    Each batch is planned in a read session (stored passwords decrypted and new ones encrypted there, outside the
    write lock) and then written in a short write transaction, so other writers get the lock between batches.
    """
    ator.exigir(Permissao.GERIR_CADASTROS)
    leitura = ler_csv_clientes(conteudo)
    relatorio = RelatorioImportacao(dry_run=dry_run, rejeitados=list(leitura.erros),
                                    duplicadas=list(leitura.duplicadas))
    for erro in leitura.erros:
        relatorio.contagem(erro.operadora).rejeitados += 1
    for inicio in range(0, len(leitura.linhas), LINHAS_POR_TRANSACAO):
        lote = leitura.linhas[inicio:inicio + LINHAS_POR_TRANSACAO]
        with ctx.db.leitura() as s:
            planos = _planejar(ctx, s, lote)
            if dry_run:
                _aplicar(ctx, s, ator, planos, relatorio, gravar=False)
        if not dry_run:
            with ctx.db.transacao() as s:
                _aplicar(ctx, s, ator, planos, relatorio, gravar=True)
    if leitura.linhas and not dry_run:
        notificacoes.notificar_sem_credenciais(ctx)
    return relatorio


@dataclass
class _Plano:
    """A row and the password work done before the write transaction."""

    linha: LinhaCliente
    cifra_vista: str | None = None  # the stored ciphertext when planned
    senha_igual: bool = False  # the row's password equals the decrypted ``cifra_vista``
    cifrada: str | None = None  # the row's password encrypted, when it differs


def _chave(cliente: Cliente) -> tuple:
    return cliente.cnpj, cliente.operadora_id, cliente.filtro, cliente.unidade, cliente.servico


def _existentes(s: Session, linhas: list[LinhaCliente], operadoras: dict[str, Operadora]) -> dict[tuple, Cliente]:
    """The stored clients of these rows, by (cnpj, operadora_id, filtro, unidade, servico)."""
    ids = [operadoras[codigo].id for codigo in {linha.operadora for linha in linhas} if codigo in operadoras]
    consulta = select(Cliente).where(Cliente.cnpj.in_({linha.cnpj for linha in linhas}), Cliente.operadora_id.in_(ids))
    return {_chave(c): c for c in s.scalars(consulta)}


def _chave_da_linha(linha: LinhaCliente, operadora: Operadora) -> tuple:
    cnpj, _, filtro, unidade, servico = linha.chave_natural()
    return cnpj, operadora.id, filtro, unidade, servico


def _planejar(ctx: Contexto, s: Session, linhas: list[LinhaCliente]) -> list[_Plano]:
    operadoras = {o.codigo: o for o in s.scalars(select(Operadora))}
    existentes = _existentes(s, linhas, operadoras)
    planos = []
    for linha in linhas:
        operadora = operadoras.get(linha.operadora)
        cliente = existentes.get(_chave_da_linha(linha, operadora)) if operadora else None
        plano = _Plano(linha, cifra_vista=cliente.senha_portal if cliente else None)
        if linha.senha_portal:
            plano.senha_igual = (plano.cifra_vista is not None
                                 and ctx.cofre.decifrar(plano.cifra_vista) == linha.senha_portal)
            plano.cifrada = None if plano.senha_igual else ctx.cofre.cifrar(linha.senha_portal)
        planos.append(plano)
    return planos


def _operadoras(ctx: Contexto, s: Session, linhas: list[LinhaCliente], relatorio: RelatorioImportacao,
                gravar: bool) -> dict[str, Operadora]:
    """The carriers of these rows by code; unknown ones are created (only in memory on a dry run)."""
    operadoras = {o.codigo: o for o in s.scalars(select(Operadora))}
    com_robo = ctx.settings.rpa_operadoras
    for codigo in sorted({linha.operadora for linha in linhas} - operadoras.keys()):
        possui_rpa = codigo in com_robo
        operadoras[codigo] = Operadora(codigo=codigo, nome=codigo.title(), possui_rpa=possui_rpa,
                                       classe_rpa=codigo if possui_rpa else None)
        if codigo not in relatorio.operadoras_criadas:
            relatorio.operadoras_criadas.append(codigo)
        if gravar:
            s.add(operadoras[codigo])
    if gravar:
        s.flush()
    return operadoras


def _senha_mudou(ctx: Contexto, plano: _Plano, cliente: Cliente) -> bool:
    """Whether the row's password differs from the stored one (decrypting again only if it changed since planned)."""
    if not plano.linha.senha_portal:
        return False
    if cliente.senha_portal == plano.cifra_vista:
        return not plano.senha_igual
    return cliente.senha_portal is None or ctx.cofre.decifrar(cliente.senha_portal) != plano.linha.senha_portal


def _aplicar(ctx: Contexto, s: Session, ator: Ator, planos: list[_Plano], relatorio: RelatorioImportacao,
             *, gravar: bool) -> None:
    """Upsert (or, without ``gravar``, only count) one planned batch inside the session's transaction."""
    linhas = [plano.linha for plano in planos]
    operadoras = _operadoras(ctx, s, linhas, relatorio, gravar)
    existentes = _existentes(s, linhas, operadoras)
    for plano in planos:
        linha = plano.linha
        operadora = operadoras[linha.operadora]
        contagem = relatorio.contagem(operadora.codigo, operadora.possui_rpa)
        valores = _valores(linha)
        cliente = existentes.get(_chave_da_linha(linha, operadora))
        if cliente is None and (parecido := _provavel_duplicado(linha, operadora, existentes, relatorio)):
            contagem.provaveis_duplicados += 1
            relatorio.provaveis_duplicados.append(ErroLinha(linha.linha, parecido, operadora.codigo))
            continue
        if cliente is None:
            contagem.criados += 1
            relatorio._novos.setdefault((linha.cnpj, operadora.codigo, linha.filtro or ""), []).append(
                (linha.unidade or "", linha.servico or "", f"o cliente da linha {linha.linha} deste arquivo"))
            contagem.sem_credenciais += sem_credenciais(operadora.possui_rpa, linha.login_portal,
                                                        bool(linha.senha_portal))
            if gravar:
                _criar(ctx, s, ator, plano, operadora, valores)
            continue
        contagem.sem_credenciais += sem_credenciais(operadora.possui_rpa, linha.login_portal,
                                                    bool(linha.senha_portal or cliente.senha_portal))
        mudancas = {campo: valor for campo, valor in valores.items() if getattr(cliente, campo) != valor}
        if linha.hash_unico and cliente.hash_unico != linha.hash_unico:
            mudancas["hash_unico"] = linha.hash_unico
        if _senha_mudou(ctx, plano, cliente):
            mudancas["senha_portal"] = plano.cifrada or ctx.cofre.cifrar(linha.senha_portal)
        if not mudancas:
            contagem.inalterados += 1
            continue
        contagem.atualizados += 1
        if gravar:
            for campo, valor in mudancas.items():
                setattr(cliente, campo, valor)
            auditoria.registrar(s, ator, "IMPORTAR_CLIENTE_ATUALIZADO", "clientes", cliente.id,
                                detalhes={"linha": linha.linha, "campos": sorted(mudancas)})


def _provavel_duplicado(linha: LinhaCliente, operadora: Operadora, existentes: dict[tuple, Cliente],
                        relatorio: RelatorioImportacao) -> str | None:
    """Why a new row is likely a stored (or just imported) client typed again, or None: same CNPJ, carrier and
    FILTRO, and one of the two has neither UNIDADE nor SERVIÇO."""
    conta = (linha.cnpj, operadora.id, linha.filtro or "")
    outros = [(c.unidade, c.servico, f"{c.razao_social} (já cadastrado)") for c in existentes.values()
              if (c.cnpj, c.operadora_id, c.filtro) == conta]
    outros += relatorio._novos.get((linha.cnpj, operadora.codigo, linha.filtro or ""), [])
    vazia = not linha.unidade and not linha.servico
    for unidade, servico, quem in outros:
        if vazia or (not unidade and not servico):
            return (f"provável duplicata de {quem}: mesmo CNPJ, OPERADORA e FILTRO ({linha.filtro or 'vazio'}), e "
                    f"{'esta linha' if vazia else 'o outro'} não tem UNIDADE / FILTRO SAT nem SERVIÇO "
                    f"(o outro: unidade {unidade or 'vazia'}, serviço {servico or 'vazio'}). Não foi criado: se é o "
                    "mesmo cliente, repita na linha a UNIDADE e o SERVIÇO cadastrados; se é outro, preencha a "
                    "UNIDADE ou o SERVIÇO")
    return None


def modelo_csv() -> bytes:
    """An empty client spreadsheet (the header the import expects), UTF-8 with BOM so Excel opens the accents."""
    return ("\ufeff" + CABECALHO_ESPERADO + "\r\n").encode()


def _criar(ctx: Contexto, s: Session, ator: Ator, plano: _Plano, operadora: Operadora, valores: dict) -> None:
    linha = plano.linha
    cnpj, codigo, filtro, unidade, servico = linha.chave_natural()
    senha = plano.cifrada or (ctx.cofre.cifrar(linha.senha_portal) if linha.senha_portal else None)
    cliente = Cliente(id=uuid.uuid4(), cnpj=cnpj, operadora_id=operadora.id, filtro=filtro, unidade=unidade,
                      servico=servico, hash_unico=linha.hash_unico, senha_portal=senha, **valores)
    s.add(cliente)  # the id is set here, so no flush per row: the batch is inserted at commit
    auditoria.registrar(s, ator, "IMPORTAR_CLIENTE_CRIADO", "clientes", cliente.id,
                        detalhes={"linha": linha.linha, "cnpj": cnpj, "operadora": codigo})

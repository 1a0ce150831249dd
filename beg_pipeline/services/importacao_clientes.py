"""Import BEG's client spreadsheet: upsert on the natural key, bad rows reported, good rows kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from beg_pipeline.db.models import Cliente, Operadora
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.importacao.leitura_csv import ErroLinha, LinhaCliente, ler_csv_clientes
from beg_pipeline.services import auditoria
from beg_pipeline.services.contexto import Contexto



class _Simulacao(Exception):
    """Raised at the end of a dry run so the transaction rolls back."""


@dataclass
class RelatorioImportacao:
    dry_run: bool
    criados: int = 0
    atualizados: int = 0
    inalterados: int = 0
    rejeitados: list[ErroLinha] = field(default_factory=list)
    duplicadas: list[int] = field(default_factory=list)
    operadoras_criadas: list[str] = field(default_factory=list)

    def resumo(self) -> str:
        prefixo = "Simulação (nada foi gravado): " if self.dry_run else ""
        linhas = [f"{prefixo}{self.criados} criados, {self.atualizados} atualizados, "
                  f"{self.inalterados} inalterados, {len(self.rejeitados)} rejeitados"]
        if self.duplicadas:
            linhas.append(f"Linhas repetidas no arquivo (contadas uma vez): {', '.join(map(str, self.duplicadas))}")
        if self.operadoras_criadas:
            linhas.append(f"Operadoras novas, sem robô (faturas por upload manual): {', '.join(self.operadoras_criadas)}")
        linhas += [f"Linha {e.linha}: {e.motivo}" for e in self.rejeitados]
        return "\n".join(linhas)


def _valores(linha: LinhaCliente) -> dict:
    return {
        "razao_social": linha.razao_social, "nome_sat": linha.nome_sat, "dados_sat": linha.dados_sat,
        "categoria": linha.categoria, "site_emissao": linha.url_portal, "login_portal": linha.login_portal,
        "cpf": linha.cpf, "observacoes": linha.observacoes, "status_ativo": linha.status_ativo,
    }


def importar_clientes(ctx: Contexto, ator: Ator, conteudo: bytes, *, dry_run: bool = False) -> RelatorioImportacao:
    """Read the CSV and upsert every valid row; ``dry_run`` computes the same report and writes nothing."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    leitura = ler_csv_clientes(conteudo)
    relatorio = RelatorioImportacao(dry_run=dry_run, rejeitados=list(leitura.erros), duplicadas=list(leitura.duplicadas))
    try:
        _gravar(ctx, ator, leitura.linhas, relatorio)
    except _Simulacao:
        pass
    return relatorio


def _gravar(ctx: Contexto, ator: Ator, linhas: list[LinhaCliente], relatorio: RelatorioImportacao) -> None:
    with ctx.db.transacao() as s:
        operadoras = {o.codigo: o for o in s.scalars(select(Operadora))}
        for codigo in sorted({linha.operadora for linha in linhas} - operadoras.keys()):
            operadoras[codigo] = Operadora(codigo=codigo, nome=codigo.title(), possui_rpa=False)
            s.add(operadoras[codigo])
            relatorio.operadoras_criadas.append(codigo)
        s.flush()
        existentes = {
            (c.cnpj, c.operadora_id, c.filtro, c.unidade, c.servico): c for c in s.scalars(select(Cliente))
        }
        for linha in linhas:
            cnpj, codigo, filtro, unidade, servico = linha.chave_natural()
            operadora = operadoras[codigo]
            valores = _valores(linha)
            cliente = existentes.get((cnpj, operadora.id, filtro, unidade, servico))
            if cliente is None:
                cliente = Cliente(cnpj=cnpj, operadora_id=operadora.id, filtro=filtro, unidade=unidade,
                                  servico=servico, hash_unico=linha.hash_unico, **valores,
                                  senha_portal=ctx.cofre.cifrar(linha.senha_portal) if linha.senha_portal else None)
                s.add(cliente)
                s.flush()
                relatorio.criados += 1
                auditoria.registrar(s, ator, "IMPORTAR_CLIENTE_CRIADO", "clientes", cliente.id,
                                    detalhes={"linha": linha.linha, "cnpj": cnpj, "operadora": codigo})
                continue
            mudancas = [campo for campo, valor in valores.items() if getattr(cliente, campo) != valor]
            if linha.hash_unico and cliente.hash_unico != linha.hash_unico:
                mudancas.append("hash_unico")
            nova_senha = linha.senha_portal and (
                cliente.senha_portal is None or ctx.cofre.decifrar(cliente.senha_portal) != linha.senha_portal)
            if nova_senha:
                mudancas.append("senha_portal")
            if not mudancas:
                relatorio.inalterados += 1
                continue
            for campo in mudancas:
                if campo == "senha_portal":
                    cliente.senha_portal = ctx.cofre.cifrar(linha.senha_portal)
                elif campo == "hash_unico":
                    cliente.hash_unico = linha.hash_unico
                else:
                    setattr(cliente, campo, valores[campo])
            relatorio.atualizados += 1
            auditoria.registrar(s, ator, "IMPORTAR_CLIENTE_ATUALIZADO", "clientes", cliente.id,
                                detalhes={"linha": linha.linha, "campos": sorted(mudancas)})
        if relatorio.dry_run:
            raise _Simulacao

"""What approvers and operators do: the approval queue, bulk approval, manual PDF upload, viewing the invoice."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select

from beg_pipeline.db.models import Cliente, Operadora, Processo
from beg_pipeline.domain import calendario
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.domain.prazos import SituacaoVencimento, situacao_vencimento
from beg_pipeline.domain.processo import StatusProcesso, TransicaoInvalida
from beg_pipeline.faturas.leitura import ler_fatura
from beg_pipeline.faturas.validacao_pdf import validar_pdf
from beg_pipeline.services import processos, verificacoes
from beg_pipeline.services.contexto import Contexto, NaoEncontrado, RegraViolada
from beg_pipeline.storage.base import ObjectStore, chave_fatura


@dataclass
class ItemFila:
    processo_id: uuid.UUID
    cliente: str
    cnpj: str
    operadora: str
    mes_ano: str
    valor: Decimal | None
    vencimento: dt.date | None
    situacao: SituacaoVencimento
    upload_manual: bool
    enviado_por_mim: bool
    pdf_duplicado: bool = False
    anomalia: dict | None = None  # {"mediana", "desvio", "historico"} when the amount is out of line
    sinais: list[str] = field(default_factory=list)


def fila_de_aprovacao(ctx: Contexto, ator: Ator, *, hoje: dt.date, mes_ano: str | None = None,
                      operadora: str | None = None, texto: str | None = None) -> list[ItemFila]:
    """Invoices waiting for approval, soonest due first, with their flags."""
    ator.exigir(Permissao.VER)
    consulta = (select(Processo.id, Processo.mes_ano, Processo.valor_fatura, Processo.data_vencimento,
                       Processo.upload_manual, Processo.upload_manual_por_usuario_id, Processo.fatura_sha256,
                       Cliente.razao_social, Cliente.cnpj, Operadora.codigo)  # columns, not entities: 10,000s of rows
                .join(Cliente, Processo.cliente_id == Cliente.id).join(Operadora, Cliente.operadora_id == Operadora.id)
                .where(Processo.status_processo == StatusProcesso.AGUARDANDO_APROVACAO.value))
    if mes_ano:
        consulta = consulta.where(Processo.mes_ano == mes_ano)
    if operadora:
        consulta = consulta.where(Operadora.codigo == operadora)
    if texto and texto.strip():
        termo = f"%{texto.strip()}%"
        consulta = consulta.where(or_(Cliente.razao_social.ilike(termo), Cliente.cnpj.ilike(termo),
                                      Cliente.filtro.ilike(termo)))
    with ctx.db.leitura() as s:
        linhas = s.execute(consulta).all()
    meses = {p.mes_ano for p in linhas}
    anomalias = {a["processo"]: a for m in meses for a in verificacoes.anomalias_de_valor(ctx, m)}
    duplicados = set().union(*(verificacoes.shas_duplicados(ctx, m) for m in meses)) if meses else set()
    fila = []
    for p in linhas:
        item = ItemFila(p.id, p.razao_social, p.cnpj, p.codigo, p.mes_ano, p.valor_fatura, p.data_vencimento,
                        situacao_vencimento(p.data_vencimento, hoje), p.upload_manual,
                        p.upload_manual and p.upload_manual_por_usuario_id == ator.usuario_id,
                        p.fatura_sha256 in duplicados, anomalias.get(str(p.id)))
        item.sinais = [texto for cond, texto in (
            (item.situacao is SituacaoVencimento.VENCIDA, "vencida"),
            (item.situacao is SituacaoVencimento.VENCE_EM_BREVE, "vence em até 3 dias úteis"),
            (item.anomalia is not None, "valor fora do padrão"),
            (item.pdf_duplicado, "PDF repetido"),
            (item.upload_manual, "upload manual")) if cond]
        fila.append(item)
    fila.sort(key=lambda i: (i.vencimento is None, i.vencimento or dt.date.max, i.cliente))
    return fila


@dataclass
class ResultadoLote:
    aprovados: list[uuid.UUID] = field(default_factory=list)
    recusados: list[tuple[uuid.UUID, str]] = field(default_factory=list)


def aprovar_em_lote(ctx: Contexto, ator: Ator, processo_ids: list[uuid.UUID]) -> ResultadoLote:
    """Approve each selected process on its own: one refusal (already approved, four eyes) never blocks the rest."""
    ator.exigir(Permissao.APROVAR)
    resultado = ResultadoLote()
    for processo_id in dict.fromkeys(processo_ids):
        try:
            processos.aprovar(ctx, ator, processo_id)
        except (TransicaoInvalida, RegraViolada, NaoEncontrado) as exc:
            resultado.recusados.append((processo_id, str(exc)))
        else:
            resultado.aprovados.append(processo_id)
    return resultado


def enviar_fatura_manual(ctx: Contexto, ator: Ator, store: ObjectStore, processo_id, conteudo: bytes,
                         nome_original: str) -> processos.FaturaArmazenada:
    """Validate a PDF a person uploaded, store it under the invoice key, and move the process to approval.

    A refused file raises ``PdfRecusado`` with the reason and changes nothing. The user's file name is only
    recorded, never used in the key.
    """
    ator.exigir(Permissao.UPLOAD_MANUAL)
    validado = validar_pdf(conteudo, ctx.settings.max_upload_mb * 1024 * 1024)
    with ctx.db.leitura() as s:
        linha = s.execute(select(Processo.mes_ano, Processo.status_processo, Operadora.codigo)
                          .join(Cliente, Processo.cliente_id == Cliente.id)
                          .join(Operadora, Cliente.operadora_id == Operadora.id)
                          .where(Processo.id == processo_id)).one_or_none()
    if linha is None:
        raise NaoEncontrado(f"Processo {processo_id} não existe.")
    if linha.status_processo != StatusProcesso.AGUARDANDO_DOWNLOAD.value:
        raise RegraViolada(f"Upload manual só em processos AGUARDANDO_DOWNLOAD; este está em {linha.status_processo}.")
    leitura = ler_fatura(conteudo)
    particao = calendario.particao_de_mes_ano(linha.mes_ano)
    chave = chave_fatura(particao, linha.codigo, str(processo_id), validado.sha256)
    store.put(chave, conteudo, "application/pdf")
    nome = "".join(c for c in (nome_original or "") if c.isprintable())[:255]
    fatura = processos.FaturaArmazenada(chave=chave, sha256=validado.sha256, nome_arquivo=nome,
                                        valor=leitura.valor, vencimento=leitura.vencimento)
    processos.registrar_upload_manual(ctx, ator, processo_id, fatura)
    return fatura


def pdf_da_fatura(ctx: Contexto, ator: Ator, store: ObjectStore, processo_id) -> bytes | None:
    ator.exigir(Permissao.VER)
    with ctx.db.leitura() as s:
        chave = s.scalar(select(Processo.fatura_s3_key).where(Processo.id == processo_id))
    return store.get(chave) if chave else None


"""The approval queue: invoices waiting for a decision, soonest due first, each with its flags."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_, select

from beg_pipeline.db.models import Cliente, Operadora, Processo
from beg_pipeline.domain import formatos
from beg_pipeline.domain.perfis import Ator, Permissao
from beg_pipeline.domain.prazos import SituacaoVencimento, situacao_vencimento
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.domain.sinais import Bloqueio, Rejeicao, TipoBloqueio, texto_rejeicao
from beg_pipeline.services import verificacoes
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.sinais import FaturaEmAnalise, sinais_das_faturas


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
    sinais: list[str] = field(default_factory=list)  # what else to look at; the due date is in ``situacao``
    sha256: str | None = None  # the PDF shown: an approval carries it
    bloqueios: list[Bloqueio] = field(default_factory=list)  # approval needs a reason while there are any
    rejeitada_antes: Rejeicao | None = None  # the latest earlier rejection of this process
    conferencias: dict | None = None  # what the PDF's reading found (boleto and total, reference month, CNPJs)


def sinais(item: ItemFila) -> list[str]:
    """The flags of an invoice beyond its due date, as the queue shows them (the one definition of these texts)."""
    textos = [f"⛔ {b.texto}" for b in item.bloqueios]
    ja_bloqueia = any(b.tipo is TipoBloqueio.PDF_JA_REJEITADO for b in item.bloqueios)
    if item.rejeitada_antes and not ja_bloqueia:
        textos.append(f"já {texto_rejeicao(item.rejeitada_antes)}")
    if item.anomalia:
        lado = "acima" if item.valor > item.anomalia["mediana"] else "abaixo"
        textos.append(f"valor {item.anomalia['desvio']} {lado} da mediana ({formatos.moeda(item.anomalia['mediana'])})")
    if item.pdf_duplicado:
        textos.append("PDF repetido")
    if item.upload_manual:
        textos.append("upload manual" + (" (por você)" if item.enviado_por_mim else ""))
    return textos


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
    with ctx.db.leitura() as s:
        achados = sinais_das_faturas(s, [FaturaEmAnalise(p.id, p.mes_ano, p.cnpj, p.fatura_sha256, None)
                                         for p in linhas])
    fila = []
    for p in linhas:
        item = ItemFila(p.id, p.razao_social, p.cnpj, p.codigo, p.mes_ano, p.valor_fatura, p.data_vencimento,
                        situacao_vencimento(p.data_vencimento, hoje, ctx.settings.dias_uteis_alerta), p.upload_manual,
                        p.upload_manual and p.upload_manual_por_usuario_id == ator.usuario_id,
                        p.fatura_sha256 in duplicados, anomalias.get(str(p.id)), sha256=p.fatura_sha256,
                        bloqueios=achados[p.id].bloqueios, rejeitada_antes=achados[p.id].rejeitada_antes,
                        conferencias=achados[p.id].conferencias)
        item.sinais = sinais(item)
        fila.append(item)
    fila.sort(key=lambda i: (i.vencimento is None, i.vencimento or dt.date.max, i.cliente))
    return fila

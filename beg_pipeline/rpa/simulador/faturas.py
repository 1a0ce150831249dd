"""What the simulated portals answer: the invoice of a client (data, PDF, the result in every variant) or a
scripted portal error; and the SAT protocol."""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from beg_pipeline.domain import formatos
from beg_pipeline.faturas.pdf_fatura import DadosFatura, gerar_pdf_fatura
from beg_pipeline.rpa.contrato import PedidoDownload
from beg_pipeline.rpa.simulador.jobs import JobSimulado

if TYPE_CHECKING:
    from beg_pipeline.rpa.simulador.config import SimuladorConfig
    from beg_pipeline.storage.base import ObjectStore

_FORMATOS_ARQUIVO = ("s3", "chave", "http")
_FORMATOS_VALOR = ("numero", "texto", "br", "ausente")
_FORMATOS_DATA = ("br", "br_hifen", "iso", "ausente")
_NAO_PDF = b"<html><body><h1>Sessao expirada</h1><p>Faca login novamente.</p></body></html>"


def _cai_na_taxa(chave: str, taxa: float) -> bool:
    """A stable draw for ``chave``: the same CNPJ answers the same way on every attempt and every run."""
    return taxa > 0 and zlib.crc32(chave.encode()) % 10_000 < taxa * 10_000


def _formato(opcao: str, opcoes: tuple[str, ...], indice: int) -> str:
    return opcoes[indice % len(opcoes)] if opcao == "misto" else opcao


def mes_anterior(mes_ano: str) -> str:
    mes, ano = (int(parte) for parte in mes_ano.split("/"))
    return f"12/{ano - 1}" if mes == 1 else f"{mes - 1:02d}/{ano}"


def _mes_atual() -> str:
    hoje = dt.datetime.now(formatos.FUSO_BRASIL).date()
    return f"{hoje.month:02d}/{hoje.year}"


def dados_da_fatura(operadora: str, cnpj: str, filtro: str, razao_social: str | None = None,
                    mes_ano: str | None = None) -> DadosFatura:
    """The invoice a portal would show for ``cnpj`` + ``filtro`` and reference month ``mes_ano`` ("MM/AAAA"; the
    current month in Brazil when None): the amount derives from the account, the due date falls after the month."""
    mes_ano = mes_ano or _mes_atual()
    mes, ano = (int(parte) for parte in mes_ano.split("/"))
    h = int.from_bytes(hashlib.sha256(f"{cnpj}|{filtro}".encode()).digest()[:8], "big")
    venc_ano, venc_mes = (ano + 1, 1) if mes == 12 else (ano, mes + 1)
    return DadosFatura(
        operadora=operadora,
        razao_social=razao_social or f"CLIENTE {cnpj}",
        cnpj=cnpj,
        mes_ano=mes_ano,
        valor=Decimal(10_000 + (h >> 8) % 990_000) / 100,
        vencimento=dt.date(venc_ano, venc_mes, 5 + (h >> 32) % 23),
        filtro=filtro,
    )


class PortalSimulado:
    """Mixin of ``Simulador``: the outcome of a finished job. Uses ``config``, ``bucket``, ``_store``,
    ``_sortear`` and ``_contar_falha`` of the simulator."""

    config: SimuladorConfig
    bucket: str
    _store: ObjectStore

    def _resultado_sat(self, job: JobSimulado) -> tuple[dict[str, Any], None]:
        protocolo = hashlib.sha256(job.job_id.encode()).hexdigest()[:10].upper()
        return {"protocolo": f"SAT-{protocolo}"}, None

    def _erro_do_portal(self, job: JobSimulado) -> str | None:
        """What the scripted portal answers a download instead of an invoice, if anything."""
        pedido: PedidoDownload = job.pedido  # type: ignore[assignment]
        cfg = self.config
        if pedido.cnpj in cfg.credenciais_invalidas or _cai_na_taxa(f"login|{pedido.cnpj}",
                                                                       cfg.taxa_credenciais_invalidas):
            return f"Falha no login do portal {job.operadora}: credenciais inválidas para o usuário {pedido.login}"
        nao_publicada = cfg.nao_publicada_ate.get(pedido.cnpj, 0)
        if _cai_na_taxa(f"publicada|{pedido.cnpj}", cfg.taxa_nao_publicada):
            nao_publicada = max(nao_publicada, 1)
        if job.tentativa <= nao_publicada:
            return f"Fatura não disponível no portal para o filtro {pedido.filtro}"
        return None

    def _resultado_download(self, job: JobSimulado) -> tuple[dict[str, Any] | None, str | None]:
        pedido: PedidoDownload = job.pedido  # type: ignore[assignment]
        cfg = self.config
        erro = self._erro_do_portal(job)
        if erro is not None:
            if cfg.eco_senha_no_erro:
                erro += f" (login={pedido.login} senha={pedido.senha.get_secret_value()})"
            return None, erro
        dados = self._dados(job)
        mes, ano = dados.mes_ano.split("/")
        chave = f"{job.operadora}/{ano}-{mes}/{job.job_id}.pdf"  # the contract's layout: VIVO/2026-11/0001.pdf
        if self._sortear(cfg.taxa_arquivo_nao_pdf):
            self._contar_falha("nao_pdf")
            self._store.put(chave, _NAO_PDF, "text/html")
        else:
            pdf, job.pdf = job.pdf.result() if job.pdf else self._gerar_pdf(job), None  # the bytes are not kept
            self._store.put(chave, pdf, "application/pdf")
        result: dict[str, Any] = {
            "arquivo_fatura": {
                "s3": f"s3://{self.bucket}/{chave}",
                "chave": chave,
                "http": f"{job.base_url}/arquivos/{chave}",
            }[_formato(cfg.formato_arquivo, _FORMATOS_ARQUIVO, job.indice)]
        }
        valor = _formato(cfg.formato_valor, _FORMATOS_VALOR, job.indice)
        if valor != "ausente":
            result["valor_fatura"] = {"numero": float(dados.valor), "texto": str(dados.valor),
                                      "br": formatos.numero(dados.valor)}[valor]
        data = _formato(cfg.formato_data, _FORMATOS_DATA, job.indice)
        if data != "ausente":
            formato = {"br": "%d/%m/%Y", "br_hifen": "%d-%m-%Y", "iso": "%Y-%m-%d"}[data]
            result["data_vencimento"] = dados.vencimento.strftime(formato)
        return result, None

    def _dados(self, job: JobSimulado) -> DadosFatura:
        pedido: PedidoDownload = job.pedido  # type: ignore[assignment]
        cfg = self.config
        mes = cfg.referencias.get(pedido.processo_id or "") or cfg.mes_referencia or _mes_atual()
        sorteio = f"{pedido.processo_id}|{job.tentativa}" if pedido.processo_id else job.job_id
        if pedido.cnpj in cfg.mes_errado or _cai_na_taxa(f"mes|{sorteio}", cfg.taxa_mes_errado):
            mes = mes_anterior(mes)
        return dados_da_fatura(job.operadora, pedido.cnpj, pedido.filtro, cfg.razao_social.get(pedido.cnpj), mes)

    def _gerar_pdf(self, job: JobSimulado) -> bytes:
        return gerar_pdf_fatura(self._dados(job))

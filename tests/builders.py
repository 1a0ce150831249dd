"""Test data built through the service layer, as the product builds it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from beg_pipeline.domain.execucao import TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Ator, Perfil
from beg_pipeline.services import cadastros, processos
from beg_pipeline.services.demo import csv_demo
from beg_pipeline.services.importacao_clientes import importar_clientes

ADMIN = Ator(Perfil.ADMINISTRADOR, email="admin@teste")
MES = "11/2026"


def pessoa(ctx, perfil: Perfil, email: str) -> Ator:
    usuario = cadastros.criar_usuario(ctx, ADMIN, email=email, nome=email, perfil=perfil.value, senha="senha-forte-123")
    return Ator(perfil, usuario_id=usuario.id, email=email, ip="10.0.0.1", user_agent="pytest")


def mes_com_processos(ctx, n_clientes: int = 4, mes_ano: str = MES) -> list:
    for codigo in ("OI", "VIVO", "EMBRATEL", "DIGITALNET"):
        cadastros.garantir_operadora(ctx, ADMIN, codigo, possui_rpa=True)
    importar_clientes(ctx, ADMIN, csv_demo(n_clientes))
    processos.criar_processos_do_mes(ctx, SISTEMA, mes_ano)
    return processos.processos_do_mes(ctx, mes_ano)


def fatura(n: int = 1) -> processos.FaturaArmazenada:
    sha = f"{n:064x}"
    return processos.FaturaArmazenada(chave=f"faturas/2026-11/OI/p{n}.pdf", sha256=sha, nome_arquivo=f"f{n}.pdf",
                                      valor=Decimal("1234.56"), vencimento=dt.date(2026, 12, 10))


def baixar(ctx, processo_id, n: int = 1) -> None:
    """Drive a process to AGUARDANDO_APROVACAO the way the download asset does."""
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo_id, TipoExecucao.DOWNLOAD_FATURA)
    processos.concluir_download(ctx, execucao.id, fatura(n), {"arquivo_fatura": "s3://beg/x.pdf"})


def visto(ctx, processo_id) -> str | None:
    """The SHA-256 of the invoice an approver has on screen now (an approval carries it)."""
    return processos.obter_processo(ctx, processo_id).fatura_sha256


def vistos(ctx, processo_ids) -> dict:
    return {pid: visto(ctx, pid) for pid in processo_ids}

"""`beg simulador --perfil realista` (and `make dev SIMULADOR=realista`): the demo's robots fail like production."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from beg_pipeline.faturas.leitura import ler_fatura
from beg_pipeline.rpa.cli_simulador import simulador
from beg_pipeline.rpa.contrato import ClasseFalha
from beg_pipeline.rpa.lote import ItemLote, TipoDesfecho, executar_lote
from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
from beg_pipeline.rpa.simulador.config import PERFIS, aplicar_perfil
from beg_pipeline.storage.local import LocalObjectStore
from tests.rpa.test_cliente import TOKEN, cliente, pedido

OPERADORAS = ("OI", "VIVO", "EMBRATEL", "DIGITALNET")


def _mes(deslocamento: int = 0) -> str:
    hoje = dt.datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    indice = hoje.year * 12 + hoje.month - 1 + deslocamento
    return f"{indice % 12 + 1:02d}/{indice // 12}"


def _rodar(sim: Simulador, store: LocalObjectStore, pedidos: list) -> dict:
    itens = [ItemLote(p.processo_id, OPERADORAS[i % 4], p) for i, p in enumerate(pedidos)]
    return executar_lote(cliente(sim, max_retries=12), itens, max_concorrencia=40, max_por_operadora=10,
                         job_timeout_s=10, poll_interval_s=0.02, object_store=store, bucket="beg")


def test_realistic_profile_yields_every_failure_kind_and_coherent_invoices(tmp_path):
    store = LocalObjectStore(tmp_path / "objetos")
    config = SimuladorConfig(**{**PERFIS["realista"], "latencia_s": 0.02, "jitter_s": 0.0, "capacidade": 40,
                                "retry_after_s": 0, "semente": 17})
    pedidos = [pedido(i, processo_id=uuid.UUID(int=i).hex) for i in range(200)]
    with Simulador(config, token=TOKEN, object_store=store, bucket="beg") as sim:
        primeira = _rodar(sim, store, pedidos)
        falhas = Counter(d.classe for d in primeira.values() if d.tipo is TipoDesfecho.FAILED)
        assert falhas[ClasseFalha.CREDENCIAIS] >= 5 and falhas[ClasseFalha.NAO_PUBLICADA] >= 5, falhas
        meses = Counter(ler_fatura(d.pdf).mes_referencia for d in primeira.values()
                        if d.tipo is TipoDesfecho.COMPLETED and d.pdf.startswith(b"%PDF-"))
        assert meses[_mes()] >= 100, meses  # the invoice of the month, for the client that was asked
        assert meses[_mes(-1)] >= 1, meses  # now and then the portal still shows last month's
        assert set(meses) <= {_mes(), _mes(-1)}

        credenciais = {p.cnpj for p in pedidos if primeira[p.processo_id].classe is ClasseFalha.CREDENCIAIS}
        tardias = {p.cnpj for p in pedidos if primeira[p.processo_id].classe is ClasseFalha.NAO_PUBLICADA}
        novos = {uuid.uuid4().hex: p for p in pedidos if p.cnpj in credenciais | tardias}
        segunda = _rodar(sim, store, [p.model_copy(update={"processo_id": pid}) for pid, p in novos.items()])
    assert sim.falhas, "transient API faults were injected (and retried by the client)"
    # a wrong password stays wrong; an invoice not yet published shows up at the next attempt
    assert {novos[pid].cnpj for pid, d in segunda.items() if d.classe is ClasseFalha.CREDENCIAIS} == credenciais
    assert not any(segunda[pid].classe is ClasseFalha.NAO_PUBLICADA for pid in novos)


def test_options_given_explicitly_win_over_the_profile():
    valores = aplicar_perfil("realista", {"latencia_s": 5.0, "taxa_429": 0.5}, explicitas={"taxa_429"})
    assert valores["taxa_429"] == 0.5 and valores["latencia_s"] == PERFIS["realista"]["latencia_s"]
    assert valores["taxa_credenciais_invalidas"] == PERFIS["realista"]["taxa_credenciais_invalidas"]
    assert aplicar_perfil(None, {"latencia_s": 5.0}, explicitas=set()) == {"latencia_s": 5.0}


def test_unknown_profile_is_refused_with_the_choices():
    recusado = CliRunner().invoke(simulador, ["--perfil", "caotico"])
    assert recusado.exit_code == 2 and "realista" in recusado.output and "Traceback" not in recusado.output

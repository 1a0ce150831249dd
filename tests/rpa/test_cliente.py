"""RpaClient against the simulator over real HTTP on 127.0.0.1: every fault type and response variant."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from beg_pipeline.rpa.contrato import (
    ArquivoInvalido,
    ClasseFalha,
    OperadoraSemRobo,
    PedidoDownload,
    PedidoSat,
    ResultadoDownload,
    RpaClient,
    RpaIndisponivel,
    RpaNaoAutorizado,
    TipoRef,
    ler_arquivo_fatura,
)
from beg_pipeline.rpa.lote import CallbacksLote, ItemLote, TipoDesfecho, executar_lote
from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig, dados_da_fatura
from beg_pipeline.storage.local import LocalObjectStore
from beg_pipeline.storage.minio_store import MinioObjectStore
from tests.s3_server import running_s3_server

TOKEN = "tok-SIM-5f2b9c0e7d"
SENHA = "Senha#Portal-987"
BUCKET = "beg"


def pedido(n: int = 0, cnpj: str | None = None, processo_id: str | None = None) -> PedidoDownload:
    return PedidoDownload(
        login=f"EOL{7010300 + n}",
        senha=SENHA,
        filtro=f"{52488515 + n:011d}-0000_25",
        cnpj=cnpj or f"{84718741000100 + n * 1000:014d}",
        processo_id=processo_id or uuid.uuid4().hex,
    )


def cliente(sim: Simulador, **opcoes) -> RpaClient:
    opcoes.setdefault("timeout_s", 5.0)
    opcoes.setdefault("max_retries", 8)
    return RpaClient(sim.base_url, TOKEN, backoff_base_s=0.005, backoff_max_s=0.05, **opcoes)


def terminado(sim: Simulador, job_id: str) -> bool:
    return sim.jobs[job_id].status in ("COMPLETED", "FAILED")


def sem_duplicatas(sim: Simulador) -> bool:
    return max(sim.submissoes_por_processo.values(), default=0) == 1


class Registro(CallbacksLote):
    """Records every callback."""

    def __init__(self):
        self.eventos: list[tuple] = []
        self.linhas: dict[str, list] = {}
        self.desfechos: dict[str, object] = {}

    def antes_de_submeter(self, item):
        self.eventos.append(("antes", item.chave))

    def submetido(self, item, job_id):
        self.eventos.append(("submetido", item.chave, job_id))

    def ao_log(self, item, linhas):
        self.linhas.setdefault(item.chave, []).extend(linhas)

    def concluido(self, item, desfecho):
        assert item.chave not in self.desfechos, "concluido chamado duas vezes"
        self.desfechos[item.chave] = desfecho


@pytest.fixture
def store(tmp_path):
    return LocalObjectStore(tmp_path / "objetos")


@pytest.fixture
def simular(store):
    """``simular(**config)`` starts a simulator (fast jobs, fixed seed) stopped at teardown."""
    ativos: list[Simulador] = []

    def fazer(**config) -> Simulador:
        config = {"latencia_s": 0.05, "jitter_s": 0.02, "capacidade": 10, "semente": 7, **config}
        sim = Simulador(SimuladorConfig(**config), token=TOKEN, object_store=store, bucket=BUCKET)
        sim.start()
        ativos.append(sim)
        return sim

    yield fazer
    for sim in ativos:
        sim.stop()


@pytest.fixture(autouse=True)
def sem_segredos_nos_logs(caplog):
    """No log line of any test here may carry the token or the portal password."""
    caplog.set_level(logging.DEBUG)
    yield
    assert TOKEN not in caplog.text
    assert SENHA not in caplog.text


# --------------------------------------------------------------------------- happy paths and variants


@pytest.mark.parametrize(
    ("arquivo", "valor", "data", "aceite"),
    [
        ("s3", "numero", "br", 200),
        ("chave", "texto", "br_hifen", 202),
        ("http", "br", "iso", 200),
        ("s3", "ausente", "ausente", 202),
    ],
)
def test_download_in_every_variant(simular, store, arquivo, valor, data, aceite):
    sim = simular(formato_arquivo=arquivo, formato_valor=valor, formato_data=data, status_aceite=aceite)
    client = cliente(sim)
    assert client.health().saudavel
    p = pedido()
    aceito = client.submeter_download("vivo", p)
    assert sim.aguardar(lambda s: terminado(s, aceito.job_id))
    estado = client.status(aceito.job_id)
    assert estado.concluido and estado.progress == 100
    resultado = ResultadoDownload.model_validate(estado.result)
    assert resultado.arquivo_fatura.tipo is {"s3": TipoRef.S3, "chave": TipoRef.CHAVE, "http": TipoRef.HTTP}[arquivo]
    esperado = dados_da_fatura("VIVO", p.cnpj, p.filtro)
    assert resultado.valor_fatura == (None if valor == "ausente" else esperado.valor)
    assert resultado.data_vencimento == (None if data == "ausente" else esperado.vencimento)
    pdf = ler_arquivo_fatura(resultado.arquivo_fatura, store, client, BUCKET)
    assert pdf.startswith(b"%PDF-")
    chave = f"VIVO/{esperado.mes_ano[3:]}-{esperado.mes_ano[:2]}/{aceito.job_id}.pdf"
    assert store.get(chave) == pdf
    mensagens = [linha.message for linha in client.logs(aceito.job_id)]
    assert mensagens[1:] == ["Abrindo portal VIVO", f"Login no portal com o usuário {p.login}",
                             f"Buscando fatura {p.filtro}", "Download concluído"]


def test_sat_upload(simular):
    sim = simular()
    client = cliente(sim)
    p = PedidoSat(
        cnpj="84718741000100", razao="RICAL - RACK INDUSTRIA", operadora="EMBRATEL", nome_filtro="00052488515-0000_25",
        unidade="Ji-Paraná-RO", servico="Fixo", dados_sat="d", nome_arquivo="faturas/2026-11/EMBRATEL/p.pdf",
        data_vencimento=dt.date(2026, 12, 10), processo_id="sat-1",
    )
    desfechos = executar_lote(
        client, [ItemLote("sat-1", "EMBRATEL", p)], max_concorrencia=2, max_por_operadora=1,
        job_timeout_s=5, poll_interval_s=0.02,
    )
    assert desfechos["sat-1"].tipo is TipoDesfecho.COMPLETED
    assert desfechos["sat-1"].resultado["protocolo"].startswith("SAT-")
    assert sim.jobs[desfechos["sat-1"].job_id].pedido.data_vencimento == dt.date(2026, 12, 10)


def test_minio_object_store():
    with running_s3_server() as endpoint:
        minio = MinioObjectStore(endpoint, "teste", "teste-segredo", bucket=f"beg-{uuid.uuid4().hex[:8]}")
        config = SimuladorConfig(latencia_s=0.05, jitter_s=0, formato_arquivo="s3")
        with Simulador(config, token=TOKEN, object_store=minio) as sim:
            p = pedido()
            desfechos = executar_lote(
                cliente(sim), [ItemLote(p.processo_id, "OI", p)], max_concorrencia=1, max_por_operadora=1,
                job_timeout_s=5, poll_interval_s=0.02, object_store=minio, bucket=minio.bucket,
            )
    desfecho = desfechos[p.processo_id]
    assert desfecho.tipo is TipoDesfecho.COMPLETED, desfecho
    assert desfecho.resultado.arquivo_fatura.bucket == minio.bucket
    assert desfecho.pdf.startswith(b"%PDF-")


# --------------------------------------------------------------------------- faults


def test_5xx_on_submit_is_retried_without_duplicates(simular):
    sim = simular(falha_5xx_submit=0.5)
    client = cliente(sim)
    aceitos = [client.submeter_download("OI", pedido(n)) for n in range(12)]
    assert len({a.job_id for a in aceitos}) == 12 == len(sim.jobs)
    assert sim.falhas["5xx_submit"] >= 1
    assert sem_duplicatas(sim)


def test_5xx_on_status_is_retried(simular):
    sim = simular(falha_5xx_status=0.5)
    client = cliente(sim)
    aceito = client.submeter_download("OI", pedido())
    assert sim.aguardar(lambda s: terminado(s, aceito.job_id))
    for _ in range(6):
        assert client.status(aceito.job_id).concluido
        assert client.logs(aceito.job_id)
    assert sim.falhas["5xx_status"] >= 1


def test_429_honours_retry_after(simular):
    sim = simular(taxa_429=0.5, retry_after_s=2)
    esperas: list[float] = []
    client = cliente(sim, dormir=esperas.append)  # recorded, not slept: the test stays fast
    for _ in range(10):
        client.jobs()
    assert sim.falhas["429"] >= 1
    assert sum(1 for e in esperas if e >= 2) == sim.falhas["429"]

    sim.config = sim.config.model_copy(update={"taxa_429": 1.0})
    esperas.clear()
    with pytest.raises(RpaIndisponivel, match="429"):
        cliente(sim, dormir=esperas.append, max_retries=3).jobs()
    assert esperas == [2.0, 2.0, 2.0]


def test_connection_reset_on_queries(simular):
    sim = simular(taxa_reset=0.5)
    client = cliente(sim)
    for _ in range(10):
        client.jobs()
    assert sim.falhas["reset"] >= 1


def test_interrupted_submit_never_duplicates(simular):
    """Connection reset after the job was created: the client adopts it from GET /jobs."""
    sim = simular(taxa_reset=0.5, reset_apos_criar=1.0)
    client = cliente(sim)
    pedidos = [pedido(n) for n in range(20)]
    aceitos = [client.submeter_download("EMBRATEL", p) for p in pedidos]
    assert sim.falhas["reset_apos_criar"] >= 1
    assert any(a.adotado for a in aceitos)
    assert sem_duplicatas(sim) and len(sim.jobs) == 20
    for p, a in zip(pedidos, aceitos, strict=True):
        assert sim.jobs[a.job_id].pedido.processo_id == p.processo_id


def test_submit_without_timely_answer_adopts_the_job(simular):
    """Read timeout after the request was sent: the job exists, no second one is created."""
    sim = simular(atraso_submit_s=1.0)
    client = cliente(sim, timeout_s=0.3)
    p = pedido()
    aceito = client.submeter_download("VIVO", p)
    assert aceito.adotado
    assert sim.submissoes_por_processo[p.processo_id] == 1 and len(sim.jobs) == 1


def test_malformed_json(simular):
    sim = simular(taxa_json_malformado=0.4)
    client = cliente(sim)
    aceitos = [client.submeter_download("DIGITALNET", pedido(n)) for n in range(8)]
    for a in aceitos:
        assert sim.aguardar(lambda s, job_id=a.job_id: terminado(s, job_id))
        assert client.status(a.job_id).concluido
    assert sim.falhas["json_malformado"] >= 1
    assert sem_duplicatas(sim) and len(sim.jobs) == 8


def test_stuck_job_ends_in_timeout_and_is_cancelled(simular):
    sim = simular(taxa_job_travado=1.0)
    client = cliente(sim)
    p = pedido()
    registro = Registro()
    desfechos = executar_lote(
        client, [ItemLote(p.processo_id, "OI", p)], max_concorrencia=1, max_por_operadora=1,
        job_timeout_s=0.5, poll_interval_s=0.05, callbacks=registro,
    )
    desfecho = desfechos[p.processo_id]
    assert desfecho.tipo is TipoDesfecho.TIMEOUT and "cancelado" in desfecho.mensagem
    assert 0.5 <= desfecho.duracao_s < 2.5
    assert sim.jobs[desfecho.job_id].status == "CANCELLED"
    assert client.cancelar(desfecho.job_id) is False  # 409: already finished
    assert client.cancelar("nao-existe") is False  # 404


def test_wrong_token_401(simular):
    sim = simular()
    intruso = RpaClient(sim.base_url, "token-errado-XYZ", max_retries=3, backoff_base_s=0.005)
    assert intruso.health().saudavel  # /health needs no token
    with pytest.raises(RpaNaoAutorizado) as erro:
        intruso.submeter_download("OI", pedido())
    assert "BEG_RPA_TOKEN" in str(erro.value) and "token-errado-XYZ" not in str(erro.value)
    assert len(sim.jobs) == 0 and sim.requisicoes["POST /executar"] == 1  # 401 is not retried


def test_unknown_carrier_404(simular):
    sim = simular()
    with pytest.raises(OperadoraSemRobo, match="TIM"):
        cliente(sim).submeter_download("TIM", pedido())
    assert sim.requisicoes["POST /executar"] == 1


def test_invalid_body_422_without_password_echo(simular):
    sim = simular()
    resposta = requests.post(
        f"{sim.base_url}/executar/OI", json={"login": "x", "senha": SENHA}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert resposta.status_code == 422
    faltando = {tuple(d["loc"]) for d in resposta.json()["detail"]}
    assert ("body", "cnpj") in faltando and ("body", "filtro") not in faltando  # FILTRO is optional
    assert SENHA not in resposta.text


def test_file_that_is_not_a_pdf(simular, store):
    sim = simular(taxa_arquivo_nao_pdf=1.0, formato_arquivo="chave")
    client = cliente(sim)
    p = pedido()
    aceito = client.submeter_download("VIVO", p)
    assert sim.aguardar(lambda s: terminado(s, aceito.job_id))
    resultado = ResultadoDownload.model_validate(client.status(aceito.job_id).result)
    with pytest.raises(ArquivoInvalido, match="não é PDF"):
        ler_arquivo_fatura(resultado.arquivo_fatura, store, client)
    outro = pedido(1)
    desfechos = executar_lote(
        client, [ItemLote(outro.processo_id, "VIVO", outro)], max_concorrencia=1, max_por_operadora=1,
        job_timeout_s=5, poll_interval_s=0.02, object_store=store,
    )
    desfecho = desfechos[outro.processo_id]
    assert desfecho.tipo is TipoDesfecho.FAILED and desfecho.classe is ClasseFalha.TRANSITORIA
    assert "não é PDF" in desfecho.mensagem


def test_slow_pdf_over_http(simular, store):
    sim = simular(formato_arquivo="http", atraso_pdf_s=0.6)
    client = cliente(sim, timeout_s=0.2, max_retries=1)
    aceito = client.submeter_download("OI", pedido())
    assert sim.aguardar(lambda s: terminado(s, aceito.job_id))
    resultado = ResultadoDownload.model_validate(client.status(aceito.job_id).result)
    with pytest.raises(ArquivoInvalido, match="inacessível"):
        ler_arquivo_fatura(resultado.arquivo_fatura, store, client)
    assert ler_arquivo_fatura(resultado.arquivo_fatura, store, cliente(sim, timeout_s=3)).startswith(b"%PDF-")


def test_pdf_generated_while_the_job_runs(simular):
    """The simulator prepares the invoice during the job, so its own work does not lengthen the latency it simulates."""
    sim = simular(latencia_s=5.0, jitter_s=0)
    aceito = cliente(sim).submeter_download("OI", pedido())
    assert sim.aguardar(lambda s: s.jobs[aceito.job_id].pdf is not None and s.jobs[aceito.job_id].pdf.done())
    job = sim.jobs[aceito.job_id]
    assert job.status == "RUNNING" and job.pdf.result().startswith(b"%PDF-")


# --------------------------------------------------------------------------- scripted outcomes, logs, adoption


def test_credentials_not_published_and_echoed_password_redacted(simular):
    ruim, tardia = pedido(1), pedido(2)
    sim = simular(credenciais_invalidas={ruim.cnpj}, nao_publicada_ate={tardia.cnpj: 1}, eco_senha_no_erro=True)
    client = cliente(sim)
    registro = Registro()
    itens = [ItemLote(p.processo_id, "VIVO", p) for p in (ruim, tardia)]
    desfechos = executar_lote(client, itens, max_concorrencia=2, max_por_operadora=2, job_timeout_s=5,
                              poll_interval_s=0.02, callbacks=registro)
    assert SENHA in sim.jobs[desfechos[ruim.processo_id].job_id].error  # the hostile robot did echo it
    assert desfechos[ruim.processo_id].classe is ClasseFalha.CREDENCIAIS
    assert desfechos[tardia.processo_id].classe is ClasseFalha.NAO_PUBLICADA
    for desfecho in desfechos.values():
        assert desfecho.tipo is TipoDesfecho.FAILED and SENHA not in desfecho.mensagem and "***" in desfecho.mensagem
    assert all(SENHA not in linha.message for linhas in registro.linhas.values() for linha in linhas)
    assert all(SENHA not in linha.message for linha in client.logs(desfechos[ruim.processo_id].job_id))
    segunda = ItemLote(uuid.uuid4().hex, "VIVO", tardia)
    assert executar_lote(client, [segunda], max_concorrencia=1, max_por_operadora=1, job_timeout_s=5,
                         poll_interval_s=0.02)[segunda.chave].tipo is TipoDesfecho.COMPLETED


def test_new_logs_delivered_once_and_in_order(simular):
    sim = simular(latencia_s=0.3, jitter_s=0)
    client = cliente(sim)
    registro = Registro()
    itens = [ItemLote(p.processo_id, "OI", p) for p in (pedido(n) for n in range(3))]
    desfechos = executar_lote(client, itens, max_concorrencia=3, max_por_operadora=3, job_timeout_s=5,
                              poll_interval_s=0.05, callbacks=registro)
    for item in itens:
        job = sim.jobs[desfechos[item.chave].job_id]
        assert [linha.message for linha in registro.linhas[item.chave]] == [linha["message"] for linha in job.logs]
    assert [e[0] for e in registro.eventos].count("submetido") == 3


def test_adoption_and_find_job(simular):
    sim = simular(latencia_s=0.2, jitter_s=0)
    client = cliente(sim)
    p = pedido()
    aceito = client.submeter_download("OI", p)
    achado = client.encontrar_job(p.processo_id)
    assert achado.job_id == aceito.job_id and achado.processo_id == p.processo_id
    assert client.encontrar_job("outro-processo") is None
    assert client.encontrar_job(p.processo_id, desde=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)) is None
    registro = Registro()
    item = ItemLote(p.processo_id, "OI", p, job_id=aceito.job_id)
    desfechos = executar_lote(client, [item], max_concorrencia=1, max_por_operadora=1, job_timeout_s=5,
                              poll_interval_s=0.02, callbacks=registro)
    assert desfechos[p.processo_id].tipo is TipoDesfecho.COMPLETED
    assert registro.eventos == [] and sim.requisicoes["POST /executar"] == 1  # followed, not submitted again


# --------------------------------------------------------------------------- CLI


def test_cli_serves_until_ctrl_c(tmp_path):
    with socket.socket() as livre:
        livre.bind(("127.0.0.1", 0))
        porta = livre.getsockname()[1]
    env = {**os.environ, "BEG_DATA_DIR": str(tmp_path / "data"), "BEG_RPA_URL": f"http://127.0.0.1:{porta}",
           "BEG_RPA_TOKEN": TOKEN}
    codigo = "from beg_pipeline.rpa.cli_simulador import simulador; simulador()"
    processo = subprocess.Popen(
        [sys.executable, "-c", codigo, "--latencia", "0.05", "--jitter", "0"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        linha = processo.stderr.readline()
        assert f"127.0.0.1:{porta}" in linha and TOKEN not in linha
        client = RpaClient(f"http://127.0.0.1:{porta}", TOKEN, max_retries=3, backoff_base_s=0.01)
        aceito = client.submeter_download("OI", pedido())
        prazo = time.monotonic() + 10
        while not client.status(aceito.job_id).terminado and time.monotonic() < prazo:
            time.sleep(0.05)
        assert client.status(aceito.job_id).concluido
        assert list((tmp_path / "data" / "objetos" / "OI").rglob(f"{aceito.job_id}.pdf"))
    finally:
        processo.send_signal(signal.SIGINT)
        assert processo.wait(timeout=10) == 0

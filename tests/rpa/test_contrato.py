"""Unit tests of the RPA contract module: parsing of every variant, failure classes, redaction."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from decimal import Decimal

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from urllib3 import HTTPResponse
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from beg_pipeline.domain.formatos import numero
from beg_pipeline.rpa.contrato import (
    ClasseFalha,
    Health,
    LogLinha,
    OperadoraSemRobo,
    PedidoDownload,
    PedidoRecusado,
    PedidoSat,
    RefArquivo,
    ResultadoDownload,
    RpaClient,
    RpaIndisponivel,
    RpaNaoAutorizado,
    StatusJob,
    TipoRef,
    classificar_falha,
    parse_data,
    parse_valor,
    redigir,
)
from beg_pipeline.rpa.contrato.cliente import _nao_enviado

TOKEN = "tok-UNIT-0123456789"
SENHA = "Senha#Portal-42"


# --------------------------------------------------------------------------- valor_fatura


@pytest.mark.parametrize(
    ("bruto", "esperado"),
    [
        (1234.56, Decimal("1234.56")),
        (1234, Decimal("1234")),
        ("1234.56", Decimal("1234.56")),
        ("1.234,56", Decimal("1234.56")),
        ("1234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        ("R$ 12.345.678,90", Decimal("12345678.90")),
        ("0,99", Decimal("0.99")),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_amount_variants(bruto, esperado):
    assert parse_valor(bruto) == esperado


@pytest.mark.parametrize("bruto", ["abc", True, [1], "1,2,3.4.5,"])
def test_unreadable_amount_rejected(bruto):
    with pytest.raises(ValueError):
        parse_valor(bruto)


@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_amount_round_trip(valor):
    assert parse_valor(numero(valor)) == valor
    assert parse_valor(str(valor)) == valor
    assert parse_valor(float(valor)) == valor


# --------------------------------------------------------------------------- data_vencimento


@pytest.mark.parametrize(
    "bruto", ["10/12/2026", "10-12-2026", "2026-12-10", "2026-12-10T00:00:00", " 10/12/2026 ", dt.date(2026, 12, 10)]
)
def test_date_variants(bruto):
    assert parse_data(bruto) == dt.date(2026, 12, 10)


@pytest.mark.parametrize("bruto", [None, ""])
def test_date_absent(bruto):
    assert parse_data(bruto) is None


@pytest.mark.parametrize("bruto", ["31/02/2026", "2026/12/10", "amanhã", 20261210])
def test_unreadable_date_rejected(bruto):
    with pytest.raises(ValueError):
        parse_data(bruto)


# --------------------------------------------------------------------------- arquivo_fatura / result


def test_file_ref_s3():
    ref = RefArquivo.parse("s3://beg/VIVO/2026-11/0001.pdf")
    assert (ref.tipo, ref.bucket, ref.chave) == (TipoRef.S3, "beg", "VIVO/2026-11/0001.pdf")


@pytest.mark.parametrize("bruto", ["VIVO/2026-11/0001.pdf", "/VIVO/2026-11/0001.pdf"])
def test_file_ref_bare_key(bruto):
    ref = RefArquivo.parse(bruto)
    assert (ref.tipo, ref.bucket, ref.chave) == (TipoRef.CHAVE, None, "VIVO/2026-11/0001.pdf")


@pytest.mark.parametrize("bruto", ["http://rpa:8000/arquivos/a.pdf", "HTTPS://rpa/arquivos/a.pdf"])
def test_file_ref_http(bruto):
    ref = RefArquivo.parse(bruto)
    assert ref.tipo is TipoRef.HTTP and ref.original == bruto


@pytest.mark.parametrize("bruto", ["", "s3://so-bucket", "ftp://host/a.pdf"])
def test_file_ref_invalid(bruto):
    with pytest.raises(ValueError):
        RefArquivo.parse(bruto)


def test_contract_result():
    resultado = ResultadoDownload.model_validate(
        {"arquivo_fatura": "s3://beg/VIVO/2026-11/0001.pdf", "valor_fatura": 1234.56, "data_vencimento": "10/12/2026",
         "extra": 1}
    )
    assert resultado.arquivo_fatura.chave == "VIVO/2026-11/0001.pdf"
    assert resultado.valor_fatura == Decimal("1234.56")
    assert resultado.data_vencimento == dt.date(2026, 12, 10)


def test_minimal_result():
    resultado = ResultadoDownload.model_validate({"arquivo_fatura": "VIVO/a.pdf"})
    assert resultado.valor_fatura is None and resultado.data_vencimento is None


@pytest.mark.parametrize("result", [{}, {"arquivo_fatura": 3}, {"arquivo_fatura": "a.pdf", "valor_fatura": "x"}])
def test_result_outside_the_contract(result):
    with pytest.raises(ValueError):
        ResultadoDownload.model_validate(result)


# --------------------------------------------------------------------------- status / logs / health


@pytest.mark.parametrize(
    ("status", "terminado", "concluido", "falhou"),
    [
        ("PENDING", False, False, False),
        ("RUNNING", False, False, False),
        ("CANCELLED", False, False, False),
        ("PAUSED_BY_VENDOR", False, False, False),
        ("completed", True, True, False),
        ("FAILED", True, False, True),
    ],
)
def test_unknown_status_counts_as_running(status, terminado, concluido, falhou):
    estado = StatusJob.model_validate({"job_id": "j", "status": status, "progress": 10})
    assert (estado.terminado, estado.concluido, estado.falhou) == (terminado, concluido, falhou)


def test_full_status_with_logs():
    estado = StatusJob.model_validate(
        {
            "job_id": "b1e", "operadora": "EMBRATEL", "status": "FAILED", "progress": 100, "result": None,
            "error": "Fatura não disponível", "created_at": "2026-11-01T10:00:00Z", "started_at": None,
            "completed_at": None, "logs": [{"timestamp": "t", "level": "warning", "message": "Login no portal"}],
        }
    )
    assert estado.classe_falha is ClasseFalha.NAO_PUBLICADA
    assert estado.logs == [LogLinha(timestamp="t", level="WARN", message="Login no portal")]


def test_health():
    assert Health.model_validate({"status": "healthy", "message": "", "jobs_pending": 3, "jobs_active": 2}).saudavel
    assert not Health.model_validate({"status": "unhealthy"}).saudavel


# --------------------------------------------------------------------------- failure classes


@pytest.mark.parametrize(
    ("erro", "classe"),
    [
        ("Falha no LOGIN do portal", ClasseFalha.CREDENCIAIS),
        ("Senha inválida", ClasseFalha.CREDENCIAIS),
        ("CREDENCIAIS incorretas", ClasseFalha.CREDENCIAIS),
        ("portal respondeu AUTH-401", ClasseFalha.CREDENCIAIS),
        ("Fatura não disponível", ClasseFalha.NAO_PUBLICADA),
        ("FATURA NAO DISPONÍVEL para o filtro 123", ClasseFalha.NAO_PUBLICADA),
        ("Nenhuma fatura encontrada", ClasseFalha.NAO_PUBLICADA),
        ("Login ok, mas nenhuma fatura no período", ClasseFalha.NAO_PUBLICADA),
        ("Timeout ao carregar a página", ClasseFalha.TRANSITORIA),
        ("", ClasseFalha.TRANSITORIA),
        (None, ClasseFalha.TRANSITORIA),
    ],
)
def test_failure_classification(erro, classe):
    assert classificar_falha(erro) is classe


# --------------------------------------------------------------------------- payloads and redaction


def _pedido() -> PedidoDownload:
    return PedidoDownload(login="EOL7010309", senha=SENHA, filtro="00052488515-0000_25", cnpj="84718741000100",
                          processo_id="p1")


def test_password_never_in_repr_or_log_payload():
    pedido = _pedido()
    assert SENHA not in repr(pedido) and SENHA not in str(pedido)
    assert pedido.payload(redigido=True)["senha"] == "***"
    assert SENHA not in json.dumps(pedido.payload(redigido=True))
    assert pedido.payload()["senha"] == SENHA


def test_sat_request_date_in_brazilian_format():
    base = dict(
        cnpj="84718741000100", razao="RICAL", operadora="EMBRATEL", nome_filtro="f", unidade="Ji-Paraná-RO",
        servico="Fixo", dados_sat="d", nome_arquivo="faturas/a.pdf", processo_id="p",
    )
    for data in (dt.date(2026, 12, 10), "2026-12-10", "10/12/2026"):
        assert PedidoSat(**base, data_vencimento=data).payload()["data_vencimento"] == "10/12/2026"


def test_redaction():
    redigido = redigir(f"erro login=x senha={SENHA} token {TOKEN}", [SENHA, TOKEN, ""])
    assert redigido == "erro login=x senha=*** token ***"


# --------------------------------------------------------------------------- client (mocked transport)


def _resposta(codigo: int, corpo, cabecalhos: dict | None = None) -> requests.Response:
    resposta = requests.Response()
    resposta.status_code = codigo
    resposta.raw = HTTPResponse(io.BytesIO(corpo if isinstance(corpo, bytes) else json.dumps(corpo).encode()),
                                preload_content=False)
    resposta.headers.update(cabecalhos or {})
    return resposta


@pytest.fixture
def cliente(monkeypatch):
    esperas: list[float] = []
    client = RpaClient("http://rpa.invalid:8000", TOKEN, max_retries=2, backoff_base_s=0.01, dormir=esperas.append)
    client.esperas = esperas
    return client


def _respondendo(monkeypatch, client: RpaClient, *respostas):
    fila = list(respostas)
    enviados = []

    def request(metodo, url, **kw):
        enviados.append((metodo, url, kw))
        item = fila.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    monkeypatch.setattr(client._session, "request", request)
    return enviados


def _autorizacao_enviada(monkeypatch, client: RpaClient) -> str:
    enviados = _respondendo(monkeypatch, client, _resposta(200, []))
    client.jobs()
    [(_, _, kw)] = enviados
    return kw["headers"]["Authorization"]


def test_contract_headers(monkeypatch, cliente):
    cabecalhos = cliente._session.headers
    assert cabecalhos["Content-Type"] == cabecalhos["Accept"] == "application/json"
    assert "Authorization" not in cabecalhos  # per request, to the API's origin only
    assert _autorizacao_enviada(monkeypatch, cliente) == f"Bearer {TOKEN}"
    assert TOKEN not in repr(cliente)


def test_401_clear_message_without_token(monkeypatch, cliente):
    _respondendo(monkeypatch, cliente, _resposta(401, {"detail": f"token {TOKEN} inválido"}))
    with pytest.raises(RpaNaoAutorizado) as erro:
        cliente.jobs()
    assert "BEG_RPA_TOKEN" in str(erro.value) and TOKEN not in str(erro.value)


def test_422_detail_without_password_echo(monkeypatch, cliente, caplog):
    caplog.set_level(logging.DEBUG)
    detalhe = [{"loc": ["body", "filtro"], "msg": f"inválido (recebi senha {SENHA})", "input": {"senha": SENHA}}]
    _respondendo(monkeypatch, cliente, _resposta(422, {"detail": detalhe}))
    with pytest.raises(PedidoRecusado) as erro:
        cliente.submeter_download("VIVO", _pedido())
    assert "body.filtro" in str(erro.value)
    assert SENHA not in str(erro.value) and SENHA not in caplog.text


def test_404_carrier(monkeypatch, cliente):
    _respondendo(monkeypatch, cliente, _resposta(404, {"detail": "Operadora TIM não possui robô"}))
    with pytest.raises(OperadoraSemRobo, match="TIM"):
        cliente.submeter_download("tim", _pedido())


def test_retry_after_in_seconds_and_http_date(monkeypatch, cliente):
    _respondendo(
        monkeypatch, cliente,
        _resposta(429, {}, {"Retry-After": "7"}),
        _resposta(503, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        _resposta(200, []),
    )
    assert cliente.jobs() == []
    assert cliente.esperas == [7.0, 0.0]


def test_connection_error_without_headers_in_message(monkeypatch, cliente):
    cabecalhos = {"Authorization": f"Bearer {TOKEN}"}
    pedido_http = requests.Request("GET", "http://rpa.invalid/jobs", headers=cabecalhos).prepare()
    falha = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()), request=pedido_http)
    _respondendo(monkeypatch, cliente, falha, falha, falha)
    with pytest.raises(RpaIndisponivel) as erro:
        cliente.jobs()
    assert TOKEN not in str(erro.value) and TOKEN not in repr(erro.value)
    assert erro.value.__context__ is None  # no requests exception (which holds the request) attached


def test_submit_surely_unsent_or_uncertain():
    recusada = requests.ConnectionError(MaxRetryError(None, "/x", NewConnectionError(None, "Connection refused")))
    assert _nao_enviado(requests.ConnectTimeout())
    assert _nao_enviado(recusada)
    assert not _nao_enviado(requests.ReadTimeout())
    assert not _nao_enviado(requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError())))


def test_client_from_settings(monkeypatch, tmp_path):
    from beg_pipeline.settings import Settings

    com_token = Settings(data_dir=tmp_path, rpa_url="http://rpa:8000/", rpa_token=TOKEN, rpa_timeout_s=12,
                         max_upload_mb=3, rpa_arquivo_prazo_s=7, s3_endpoint="minio:9000",
                         rpa_arquivos_origens="https://cdn.robo.example, http://arquivos:8080/", _env_file=None)
    client = RpaClient.from_settings(com_token)
    assert client.base_url == "http://rpa:8000" and client.timeout == (10.0, 12)
    assert client.arquivos.origens == {"https://cdn.robo.example:443", "http://arquivos:8080"}
    assert (client.arquivos.origem_s3, client.arquivos.bucket) == ("http://minio:9000", "beg")
    assert (client.arquivos.max_bytes, client.arquivos.prazo_s) == (3 * 1024 * 1024, 7)
    assert _autorizacao_enviada(monkeypatch, client) == f"Bearer {TOKEN}"
    sem_token = RpaClient.from_settings(Settings(data_dir=tmp_path, _env_file=None))  # the simulator's token file
    assert _autorizacao_enviada(monkeypatch, sem_token) == f"Bearer {(tmp_path / 'rpa.token').read_text().strip()}"

"""The RPA robot API contract (v1): payloads, responses, failure classes and the client.

See ``/work/shared/contracts/rpa-api.md``. A change by the vendor is a change in this package only:
``variantes`` (value variants, invoice file references), ``modelos`` (payloads and responses), ``erros``,
``falhas`` (failure classes from the robot's messages), ``redacao`` (secret masking), ``cliente`` (HTTP client),
``corpo_http`` (reading a body within a byte cap and a deadline), ``procedencia`` (origins, limits and object keys a
robot's answer may point to) and ``arquivos`` (fetching the invoice PDF). Every public name is re-exported here.
"""

from beg_pipeline.domain.execucao import ClasseFalha
from beg_pipeline.rpa.contrato.arquivos import ler_arquivo_fatura
from beg_pipeline.rpa.contrato.cliente import RpaClient
from beg_pipeline.rpa.contrato.erros import (
    ArquivoInvalido,
    EnvioIncerto,
    JobNaoEncontrado,
    OperadoraSemRobo,
    PedidoRecusado,
    RespostaInvalida,
    RpaErro,
    RpaErroHttp,
    RpaIndisponivel,
    RpaNaoAutorizado,
)
from beg_pipeline.rpa.contrato.falhas import classificar_falha
from beg_pipeline.rpa.contrato.modelos import (
    ESTADOS_TERMINAIS,
    Health,
    JobAceito,
    LogLinha,
    Pedido,
    PedidoDownload,
    PedidoSat,
    ResultadoDownload,
    ResumoJob,
    StatusJob,
)
from beg_pipeline.rpa.contrato.procedencia import RegrasArquivos, chave_do_robo, origem
from beg_pipeline.rpa.contrato.redacao import REDIGIDO, redigir
from beg_pipeline.rpa.contrato.variantes import (
    OPERADORAS_CONHECIDAS,
    RefArquivo,
    TipoRef,
    parse_data,
    parse_instante,
    parse_valor,
)

__all__ = [
    "ESTADOS_TERMINAIS", "OPERADORAS_CONHECIDAS", "REDIGIDO", "ArquivoInvalido", "ClasseFalha", "EnvioIncerto",
    "Health", "JobAceito", "JobNaoEncontrado", "LogLinha", "OperadoraSemRobo", "Pedido", "PedidoDownload",
    "PedidoRecusado", "PedidoSat", "RefArquivo", "RegrasArquivos", "RespostaInvalida", "ResultadoDownload",
    "ResumoJob", "RpaClient", "RpaErro", "RpaErroHttp", "RpaIndisponivel", "RpaNaoAutorizado", "StatusJob", "TipoRef",
    "chave_do_robo", "classificar_falha", "ler_arquivo_fatura", "origem", "parse_data", "parse_instante",
    "parse_valor", "redigir",
]

"""Read the key facts of a carrier invoice PDF: total, due date, reference month, linha digitável."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from pypdf import PdfReader

from beg_pipeline.domain import formatos
from beg_pipeline.faturas import isolamento
from beg_pipeline.faturas.boleto import ler_linha_digitavel
from beg_pipeline.faturas.isolamento import LimiteExcedido, LimitesPdf, faltou_memoria, limites_configurados
from beg_pipeline.faturas.validacao_pdf import tipo_provavel

_MESES = {
    "jan": 1, "fev": 2, "mar": 3, "abr": 4, "mai": 5, "jun": 6,
    "jul": 7, "ago": 8, "set": 9, "out": 10, "nov": 11, "dez": 12,
}  # fmt: skip
_NUMERO = r"(\d{1,3}(?:\.\d{3})+,\d{2}|\d+,\d{2})"
_ROTULOS_VALOR = [  # most specific first
    r"total\s+a\s+pagar",
    r"valor\s+a\s+pagar",
    r"total\s+da\s+fatura",
    r"valor\s+da\s+fatura",
    r"valor\s+total",
    r"valor\s+do\s+documento",
    r"valor\s+cobrado",
]
_VALOR = [re.compile(rf"{rotulo}\s*:?\s*(?:\(R\$\)\s*)?(?:R\$\s*)?{_NUMERO}", re.I) for rotulo in _ROTULOS_VALOR]
_VENCIMENTO = re.compile(r"vencimento\s*(?:em)?\s*:?\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", re.I)
_REFERENCIA = re.compile(
    r"(?:m[êe]s\s+(?:de\s+)?refer[êe]ncia|per[íi]odo\s+de\s+refer[êe]ncia|refer[êe]ncia|compet[êe]ncia)\s*:?\s*"
    r"(?:(\d{1,2})\s*/\s*(\d{4})(?![/\d])|([a-zç]{3})[a-zç]*\s*(?:/|de)?\s*(\d{4}))",
    re.I,
)
_CNPJ = re.compile(r"CNPJ\s*:?\s*([0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}/?[0-9A-Z]{4}-?\d{2})(?![0-9A-Z])", re.I)
_NAO_ALFANUMERICO = re.compile(r"[^0-9A-Za-z]")
_LINHA = re.compile(r"(?<!\d)8\d{10}[\s.-]*\d(?:[\s.-]*\d{11}[\s.-]*\d){3}(?!\d)")
_SEM_SEPARADOR = re.compile(r"\D")
_PAGINAS_NAS_PONTAS = 10


@dataclass
class LeituraFatura:
    legivel: bool
    valor: Decimal | None = None
    vencimento: dt.date | None = None
    mes_referencia: str | None = None  # "MM/AAAA"
    linha_digitavel: str | None = None  # 48 digits, validated
    valor_confere: bool | None = None  # linha digitável amount == valor; None when either is missing
    valor_boleto: Decimal | None = None  # the amount in the linha digitável
    cnpjs: list[str] = field(default_factory=list)  # every CNPJ labelled "CNPJ" in the text, digits only
    paginas: int = 0
    problemas: list[str] = field(default_factory=list)


    def para_json(self) -> dict:
        dados = asdict(self)
        dados["valor"] = None if self.valor is None else str(self.valor)
        dados["valor_boleto"] = None if self.valor_boleto is None else str(self.valor_boleto)
        dados["vencimento"] = None if self.vencimento is None else self.vencimento.isoformat()
        return dados

    @classmethod
    def de_json(cls, dados: dict) -> LeituraFatura:
        leitura = cls(**{**dados, "problemas": list(dados["problemas"])})
        leitura.valor = None if leitura.valor is None else Decimal(leitura.valor)
        leitura.valor_boleto = None if leitura.valor_boleto is None else Decimal(leitura.valor_boleto)
        leitura.cnpjs = list(leitura.cnpjs)
        leitura.vencimento = None if leitura.vencimento is None else dt.date.fromisoformat(leitura.vencimento)
        return leitura


def ler_fatura(pdf: bytes, *, limites: LimitesPdf | None = None) -> LeituraFatura:
    """Extract what the invoice says; never raises: unreadable files give ``legivel=False`` and a reason.

    The reading runs in an isolated process with CPU, memory and wall-clock ``limites`` (default: the
    ``BEG_PDF_*`` settings); a file that exceeds one is reported as unreadable."""
    if (guardada := isolamento.leitura_guardada(hashlib.sha256(pdf).hexdigest())) is not None:
        return LeituraFatura.de_json(guardada)  # read by validar_pdf a moment ago
    limites = limites or limites_configurados()
    try:
        resposta = isolamento.executar("ler", pdf, limites)
    except LimiteExcedido as exc:
        return LeituraFatura(legivel=False, problemas=[f"PDF complexo demais para ler ({exc.em_palavras()})"])
    except OSError as exc:  # no worker could be started: still never raise
        return LeituraFatura(legivel=False, problemas=[f"não foi possível ler o PDF agora ({exc})"])
    if "erro" in resposta:
        return LeituraFatura(legivel=False, problemas=[f"erro inesperado ao ler o PDF ({resposta['erro']})"])
    return LeituraFatura.de_json(resposta)


def ler_fatura_sem_isolamento(pdf: bytes) -> LeituraFatura:
    """``ler_fatura`` in this process, without limits: only for the isolated worker."""
    try:
        return _ler(pdf)
    except Exception as exc:  # a reader must not crash the pipeline on a hostile or broken file
        if faltou_memoria(exc):  # the isolated worker reports it as a limit
            raise MemoryError from exc
        return LeituraFatura(legivel=False, problemas=[f"erro inesperado ao ler o PDF ({type(exc).__name__})"])


def _ler(pdf: bytes) -> LeituraFatura:
    if not pdf:
        return LeituraFatura(legivel=False, problemas=["arquivo vazio"])
    if not pdf.startswith(b"%PDF-"):
        return LeituraFatura(legivel=False, problemas=[f"o arquivo não é um PDF: {tipo_provavel(pdf)}"])
    if b"%%EOF" not in pdf[-2048:]:
        return LeituraFatura(legivel=False, problemas=["PDF incompleto (truncado): falta o marcador %%EOF do final"])

    texto, paginas, problemas = _extrair_texto(pdf)
    if texto is not None and not texto.strip():
        problemas.append("nenhum texto extraível do PDF (documento digitalizado ou vazio?)")
    if not texto or not texto.strip():
        return LeituraFatura(legivel=False, paginas=paginas, problemas=problemas)

    leitura = LeituraFatura(legivel=True, paginas=paginas, problemas=problemas)
    leitura.valor = _valor(texto)
    if leitura.valor is None:
        problemas.append("valor total não encontrado (ex.: 'Total a pagar R$ 1.234,56')")
    leitura.vencimento = _vencimento(texto, problemas)
    leitura.mes_referencia = _referencia(texto)
    if leitura.mes_referencia is None:
        problemas.append("mês de referência não encontrado (ex.: 'Referência 11/2026')")
    leitura.cnpjs = list(dict.fromkeys(_NAO_ALFANUMERICO.sub("", c).upper() for c in _CNPJ.findall(texto)))
    _linha_digitavel(texto, leitura)
    return leitura


def conferencias(leitura: LeituraFatura) -> dict[str, object]:
    """What the invoice's checks need, JSON-ready (stored with the execution that brought the PDF)."""
    return {"valor_pdf": None if leitura.valor is None else str(leitura.valor),
            "valor_boleto": None if leitura.valor_boleto is None else str(leitura.valor_boleto),
            "valor_confere": leitura.valor_confere, "mes_referencia": leitura.mes_referencia,
            "cnpjs_pdf": leitura.cnpjs, "linha_digitavel": leitura.linha_digitavel, "leitura_pdf": leitura.problemas}


def _extrair_texto(pdf: bytes) -> tuple[str | None, int, list[str]]:
    """The text of the first and last ``_PAGINAS_NAS_PONTAS`` pages (the summary and the boleto are there; a
    5,000-page call listing would take minutes); ``None`` when the file cannot be opened at all."""
    problemas: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return None, 0, ["PDF protegido por senha"]
        paginas = list(reader.pages)
    except Exception as exc:  # any pypdf failure means "unreadable"
        if faltou_memoria(exc):
            raise MemoryError from exc
        return None, 0, [f"PDF ilegível ou corrompido ({type(exc).__name__})"]
    lidas = sorted({*range(min(_PAGINAS_NAS_PONTAS, len(paginas))),
                    *range(max(0, len(paginas) - _PAGINAS_NAS_PONTAS), len(paginas))})
    textos = []
    for indice in lidas:
        try:
            textos.append(paginas[indice].extract_text() or "")
        except Exception as exc:  # one bad page must not hide the others
            if faltou_memoria(exc):
                raise MemoryError from exc
            numero = indice + 1
            problemas.append(f"não foi possível extrair o texto da página {numero} ({type(exc).__name__})")
    return "\n".join(textos), len(paginas), problemas


def _decimal_br(numero: str) -> Decimal:
    return Decimal(numero.replace(".", "").replace(",", "."))


def _valor(texto: str) -> Decimal | None:
    for padrao in _VALOR:
        if achado := padrao.search(texto):
            return _decimal_br(achado.group(1))
    return None


def _vencimento(texto: str, problemas: list[str]) -> dt.date | None:
    achado = _VENCIMENTO.search(texto)
    if achado is None:
        problemas.append("data de vencimento não encontrada (ex.: 'Vencimento 10/12/2026')")
        return None
    dia, mes, ano = (int(parte) for parte in achado.groups())
    try:
        return dt.date(ano, mes, dia)
    except ValueError:
        problemas.append(f"data de vencimento inválida: {achado.group(0)!r}")
        return None


def _referencia(texto: str) -> str | None:
    for achado in _REFERENCIA.finditer(texto):
        mes_numero, ano_numero, mes_nome, ano_nome = achado.groups()
        mes = int(mes_numero) if mes_numero else _MESES.get(mes_nome.lower())
        if mes and 1 <= mes <= 12:
            return f"{mes:02d}/{ano_numero or ano_nome}"
    return None


def _linha_digitavel(texto: str, leitura: LeituraFatura) -> None:
    erros = []
    for achado in _LINHA.finditer(texto):
        try:
            boleto = ler_linha_digitavel(_SEM_SEPARADOR.sub("", achado.group(0)))
        except ValueError as exc:
            erros.append(str(exc))
            continue
        leitura.linha_digitavel = boleto.linha_digitavel
        leitura.valor_boleto = boleto.valor
        if boleto.valor is not None and leitura.valor is not None:
            leitura.valor_confere = boleto.valor == leitura.valor
            if not leitura.valor_confere:
                leitura.problemas.append(
                    f"o valor da linha digitável ({formatos.moeda(boleto.valor)}) difere do total"
                    f" da fatura ({formatos.moeda(leitura.valor)})"
                )
        return
    if erros:
        leitura.problemas.append(f"linha digitável inválida: {erros[0]}")
    else:
        leitura.problemas.append("linha digitável não encontrada")

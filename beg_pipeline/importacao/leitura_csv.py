"""Parser puro do CSV de clientes exportado pela BEG (planilha legada).

Sem banco e sem framework: recebe os bytes do arquivo e devolve as linhas
válidas, os erros por linha e as duplicatas exatas. Passa de 400 linhas
porque a regra de cada coluna fica junto da sua mensagem de erro.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field, fields, replace

from beg_pipeline.domain.cadastro import normalizar_codigo_operadora
from beg_pipeline.domain.documentos import validar_cnpj, validar_cpf

CABECALHO_ESPERADO = (
    "HASH,RAZÃO SOCIAL,NOME SAT,CNPJ,OPERADORA,FILTRO,SERVIÇO,DADOS SAT,"
    "UNIDADE / FILTRO SAT,CATEGORIAS / FILTRO SAT,SITE PARA EMISSÃO,LOGIN,"
    "SENHA,CPF,OBS,STATUS"
)

# Nome da coluna no cabeçalho exportado -> campo de LinhaCliente.
_COLUNAS = {
    "HASH": "hash_unico",
    "RAZÃO SOCIAL": "razao_social",
    "NOME SAT": "nome_sat",
    "CNPJ": "cnpj",
    "OPERADORA": "operadora",
    "FILTRO": "filtro",
    "SERVIÇO": "servico",
    "DADOS SAT": "dados_sat",
    "UNIDADE / FILTRO SAT": "unidade",
    "CATEGORIAS / FILTRO SAT": "categoria",
    "SITE PARA EMISSÃO": "url_portal",
    "LOGIN": "login_portal",
    "SENHA": "senha_portal",
    "CPF": "cpf",
    "OBS": "observacoes",
    "STATUS": "status_ativo",
}
_NOME_COLUNA = {campo: nome for nome, campo in _COLUNAS.items()}
_OBRIGATORIAS = ("RAZÃO SOCIAL", "CNPJ", "OPERADORA", "FILTRO")

_STATUS_ATIVO = frozenset({"", "ATIVO", "A", "SIM", "1", "TRUE"})
_STATUS_INATIVO = frozenset({"INATIVO", "I", "NAO", "0", "FALSE"})

_HASH_RE = re.compile(r"[0-9a-f]{16}")
_NAO_ALFANUMERICO = re.compile(r"[^0-9A-Za-z]")
_MAX_ECO = 60  # caracteres de um valor ecoado numa mensagem de erro

_ARQUIVO_VAZIO = "O arquivo está vazio: envie o CSV exportado da planilha de clientes."


def _tabela_cp1252() -> dict[int, str]:
    """Bytes 0x80-0x9F em cp1252; os indefinidos (0x81, 0x8D, 0x8F, 0x90, 0x9D) ficam como latin-1."""
    tabela = {}
    for byte in range(0x80, 0xA0):
        try:
            tabela[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return tabela


_LATIN1_PARA_CP1252 = _tabela_cp1252()
_CP1252_PARA_LATIN1 = {ord(c): b for b, c in _LATIN1_PARA_CP1252.items()}
_MARCAS_MOJIBAKE = ("Ã", "Â")


class ArquivoInvalido(ValueError):
    """O arquivo inteiro é inutilizável (vazio, sem cabeçalho ou sem colunas obrigatórias)."""


@dataclass(frozen=True)
class LinhaCliente:
    """Um cliente válido lido do CSV."""

    linha: int
    hash_unico: str | None
    razao_social: str
    nome_sat: str | None
    cnpj: str
    operadora: str
    filtro: str | None
    servico: str | None
    dados_sat: str | None
    unidade: str | None
    categoria: str | None
    url_portal: str | None
    login_portal: str | None
    senha_portal: str | None = field(repr=False)
    cpf: str | None
    observacoes: str | None
    status_ativo: bool

    def chave_natural(self) -> tuple[str, str, str, str, str]:
        """(cnpj, operadora, filtro, unidade, serviço) — identifica o cliente; célula vazia conta como ""."""
        return (self.cnpj, self.operadora, self.filtro or "", self.unidade or "", self.servico or "")


@dataclass(frozen=True)
class ErroLinha:
    """Linha rejeitada; `motivo` diz o problema, a coluna e como corrigir; `operadora` é a da linha, se válida."""

    linha: int
    motivo: str
    operadora: str = ""


@dataclass
class ResultadoLeitura:
    """Resultado de `ler_csv_clientes`."""

    linhas: list[LinhaCliente]
    erros: list[ErroLinha]
    duplicadas: list[int]
    separador: str
    codificacao: str


def ler_csv_clientes(conteudo: bytes) -> ResultadoLeitura:
    """Lê o CSV de clientes; erros de linha não interrompem a leitura.

    Levanta `ArquivoInvalido` só quando o arquivo todo é inutilizável.
    """
    texto, codificacao = _decodificar(conteudo)
    separador = _detectar_separador(texto)
    registros = _registros(texto, separador)
    primeiro = next((i for i, (_, celulas) in enumerate(registros) if any(celulas)), None)
    if primeiro is None:
        raise ArquivoInvalido(_ARQUIVO_VAZIO)
    (_, cabecalho), *corpo = registros[primeiro:]
    indices = _mapear_cabecalho(cabecalho)

    resultado = ResultadoLeitura([], [], [], separador, codificacao)
    por_chave: dict[tuple[str, ...], LinhaCliente] = {}
    por_hash: dict[str, LinhaCliente] = {}
    for numero, celulas in corpo:
        if not any(celulas):
            continue
        valores = {campo: celulas[i] if i < len(celulas) else "" for campo, i in indices.items()}
        senha = valores.get("senha_portal", "")
        motivos = _celulas_excedentes(celulas, len(cabecalho)) + _celulas_que_nao_cabem(valores)
        cliente = _montar_cliente(numero, valores, motivos)
        if cliente is not None:
            anterior = por_chave.get(cliente.chave_natural())
            if anterior is not None:
                if replace(anterior, linha=numero) == cliente:
                    resultado.duplicadas.append(numero)
                    continue
                motivos.append(_motivo_chave_repetida(cliente, anterior))
            elif cliente.hash_unico and cliente.hash_unico in por_hash:
                motivos.append(
                    f"coluna HASH: o valor {cliente.hash_unico} já foi usado na linha "
                    f"{por_hash[cliente.hash_unico].linha} por outro cliente; cada linha precisa "
                    "de um HASH próprio: corrija o HASH de uma das duas linhas"
                )
        if motivos:
            operadora = cliente.operadora if cliente else _codigo_ou_vazio(valores.get("operadora", ""))
            resultado.erros.append(ErroLinha(numero, _sem_senha("; ".join(motivos), senha), operadora))
            continue
        por_chave[cliente.chave_natural()] = cliente
        if cliente.hash_unico:
            por_hash[cliente.hash_unico] = cliente
        resultado.linhas.append(cliente)
    return resultado


def _decodificar(conteudo: bytes) -> tuple[str, str]:
    """Tenta UTF-8 (com ou sem BOM) estrito; senão cp1252."""
    try:
        texto = conteudo.decode("utf-8-sig")
    except UnicodeDecodeError:
        sem_bom = conteudo.removeprefix(codecs.BOM_UTF8)
        return sem_bom.decode("latin-1").translate(_LATIN1_PARA_CP1252), "cp1252"
    return texto, "utf-8-sig" if conteudo.startswith(codecs.BOM_UTF8) else "utf-8"


def _detectar_separador(texto: str) -> str:
    """`;` se a primeira linha não vazia tiver mais `;` que `,`; senão `,`."""
    linha = next((linha for linha in io.StringIO(texto, newline="") if linha.strip()), "")
    return ";" if linha.count(";") > linha.count(",") else ","


def _registros(texto: str, separador: str) -> list[tuple[int, list[str]]]:
    """Registros CSV com a linha física onde cada um começa; células já limpas."""
    leitor = csv.reader(io.StringIO(texto, newline=""), delimiter=separador)
    registros = []
    inicio = 1
    try:
        for celulas in leitor:
            registros.append((inicio, [_limpar(c) for c in celulas]))
            inicio = leitor.line_num + 1
    except csv.Error as exc:
        raise ArquivoInvalido(
            f"Não foi possível ler o CSV a partir da linha {inicio} ({exc}); "
            "confira aspas não fechadas e exporte a planilha novamente."
        ) from exc
    return registros


def _limpar(celula: str) -> str:
    """Repara mojibake e remove espaços das pontas."""
    return _reparar_mojibake(celula).strip()


def _reparar_mojibake(texto: str) -> str:
    """Desfaz UTF-8 lido como cp1252 (`SOLUÃ‡Ã•ES` -> `SOLUÇÕES`) quando a volta dá certo."""
    if not any(marca in texto for marca in _MARCAS_MOJIBAKE):
        return texto
    try:
        return texto.translate(_CP1252_PARA_LATIN1).encode("latin-1").decode("utf-8")
    except UnicodeError:
        return texto


def _sem_acentos(texto: str) -> str:
    """Remove acentos e outros diacríticos."""
    return "".join(c for c in unicodedata.normalize("NFKD", texto) if not unicodedata.combining(c))


def _normalizar_nome(nome: str) -> str:
    """Chave de comparação de cabeçalho: sem acentos, casefold, espaços colapsados."""
    colapsado = " ".join(_sem_acentos(nome).casefold().split())
    return colapsado.replace(" /", "/").replace("/ ", "/")


_COLUNAS_NORMALIZADAS = {_normalizar_nome(nome): campo for nome, campo in _COLUNAS.items()}


def _mapear_cabecalho(cabecalho: list[str]) -> dict[str, int]:
    """Campo -> índice da coluna; colunas desconhecidas são ignoradas."""
    indices: dict[str, int] = {}
    for i, nome in enumerate(cabecalho):
        campo = _COLUNAS_NORMALIZADAS.get(_normalizar_nome(nome))
        if campo is None:
            continue
        if campo in indices:
            raise ArquivoInvalido(
                f"O cabeçalho tem a coluna {_NOME_COLUNA[campo]} duas vezes; deixe só uma. "
                f"Cabeçalho esperado: {CABECALHO_ESPERADO}"
            )
        indices[campo] = i
    faltando = [nome for nome in _OBRIGATORIAS if _COLUNAS[nome] not in indices]
    if faltando:
        raise ArquivoInvalido(
            f"Cabeçalho não reconhecido: faltam as colunas obrigatórias {', '.join(faltando)}. "
            f"A primeira linha deve ser o cabeçalho exportado da planilha: {CABECALHO_ESPERADO}"
        )
    return indices


def _celulas_excedentes(celulas: list[str], tamanho_cabecalho: int) -> list[str]:
    """Erro se a linha tem células preenchidas além do cabeçalho (separador sem aspas)."""
    if any(celulas[tamanho_cabecalho:]):
        return [
            f"a linha tem {len(celulas)} células, mas o cabeçalho tem {tamanho_cabecalho}; "
            "algum texto deve conter o separador sem aspas: coloque esse texto entre aspas "
            "ou remova o separador"
        ]
    return []


# Longest value each field may hold (the database column); fields not listed are free text.
TAMANHO_MAXIMO = {"razao_social": 300, "nome_sat": 300, "filtro": 200, "servico": 100, "unidade": 200,
                  "categoria": 200, "url_portal": 500, "login_portal": 200, "operadora": 30}


def _celulas_que_nao_cabem(valores: dict[str, str]) -> list[str]:
    """Cells the database cannot store: a NUL character anywhere, or text longer than its column."""
    motivos = []
    for campo, valor in valores.items():
        if "\x00" in valor:
            motivos.append(f"coluna {_NOME_COLUNA[campo]} contém um caractere nulo (NUL); apague-o na planilha")
        elif campo in TAMANHO_MAXIMO and len(valor) > TAMANHO_MAXIMO[campo]:
            motivos.append(f"coluna {_NOME_COLUNA[campo]} tem {len(valor)} caracteres; o máximo é "
                           f"{TAMANHO_MAXIMO[campo]}: abrevie o texto")
    return motivos


def _montar_cliente(numero: int, valores: dict[str, str], motivos: list[str]) -> LinhaCliente | None:
    """Valida os campos; acrescenta problemas a `motivos` e devolve None se houver algum."""
    opcionais = {campo: valores.get(campo) or None for campo in _COLUNAS.values()}
    if not opcionais["razao_social"]:
        motivos.append("coluna RAZÃO SOCIAL está vazia; preencha-a (campo obrigatório)")
    hash_unico = _ler_hash(valores.get("hash_unico", ""), motivos)
    cnpj = _ler_cnpj(valores.get("cnpj", ""), motivos)
    operadora = _ler_operadora(valores.get("operadora", ""), motivos)
    status_ativo = _ler_status(valores.get("status_ativo", ""), motivos)
    cpf, nota_cpf = _ler_cpf(valores.get("cpf", ""), motivos)
    if motivos:
        return None
    observacoes = "; ".join(t for t in (opcionais["observacoes"], nota_cpf) if t) or None
    return LinhaCliente(
        **opcionais
        | {
            "linha": numero,
            "hash_unico": hash_unico,
            "cnpj": cnpj,
            "operadora": operadora,
            "cpf": cpf,
            "observacoes": observacoes,
            "status_ativo": status_ativo,
        }
    )


def _eco(valor: str) -> str:
    """Valor entre aspas para mensagens, truncado."""
    return repr(valor if len(valor) <= _MAX_ECO else valor[:_MAX_ECO] + "…")


def _ler_hash(valor: str, motivos: list[str]) -> str | None:
    if not valor:
        return None
    hash_unico = valor.lower()
    if not _HASH_RE.fullmatch(hash_unico):
        motivos.append(
            f"coluna HASH: {_eco(valor)} não tem 16 caracteres hexadecimais (0-9, a-f); "
            "corrija o valor ou deixe a célula vazia"
        )
        return None
    return hash_unico


def _alfanumericos(valor: str) -> str:
    """Só letras ASCII e dígitos, em maiúsculas (tira pontos, barras, hífen mole etc.)."""
    return _NAO_ALFANUMERICO.sub("", unicodedata.normalize("NFKC", valor)).upper()


def _cnpj_valido(numero: str) -> bool:
    try:
        validar_cnpj(numero)
    except ValueError:
        return False
    return True


def _ler_cnpj(valor: str, motivos: list[str]) -> str:
    numero = _alfanumericos(valor)
    if not numero:
        motivos.append(
            "coluna CNPJ está vazia; preencha com o CNPJ do cliente (ex.: 84.718.741/0001-00)"
        )
    elif len(numero) > 14 and (dois := _dois_cnpjs(numero)):
        motivos.append(
            f"coluna CNPJ contém dois CNPJs ({dois[0]} e {dois[1]}); "
            "use uma linha por CNPJ, repetindo os demais dados"
        )
    elif len(numero) != 14:
        dica = (
            " (se a planilha removeu zeros à esquerda, formate a coluna como texto e complete com zeros)"
            if numero.isdigit() and len(numero) < 14
            else ""
        )
        motivos.append(
            f"coluna CNPJ: {_eco(valor)} tem {len(numero)} letras/dígitos, mas um CNPJ tem 14; "
            f"corrija o número{dica}"
        )
    elif len(set(numero)) == 1:
        motivos.append(
            f"coluna CNPJ: {_eco(valor)} não é um CNPJ real (todos os caracteres iguais); "
            "informe o CNPJ do cliente"
        )
    elif not _cnpj_valido(numero):
        motivos.append(
            f"coluna CNPJ: {_eco(valor)} é inválido (dígitos verificadores não conferem); "
            "confira o número no cartão CNPJ da Receita Federal"
        )
    return numero


def _dois_cnpjs(numero: str) -> tuple[str, str] | None:
    """Dois CNPJs válidos sem sobreposição dentro de `numero`, se houver."""
    validos = [i for i in range(len(numero) - 13) if _cnpj_valido(numero[i : i + 14])]
    if validos and validos[-1] - validos[0] >= 14:
        return numero[validos[0] : validos[0] + 14], numero[validos[-1] : validos[-1] + 14]
    return None


def _ler_operadora(valor: str, motivos: list[str]) -> str:
    if not valor.strip():
        motivos.append("coluna OPERADORA está vazia; preencha com o código da operadora (ex.: OI)")
        return ""
    try:
        return normalizar_codigo_operadora(valor)
    except ValueError as exc:
        motivos.append(f"coluna OPERADORA: {exc}")
        return ""


def _codigo_ou_vazio(valor: str) -> str:
    """The row's carrier code for the per-carrier report, or "" when the cell holds none valid."""
    try:
        return normalizar_codigo_operadora(valor)
    except ValueError:
        return ""


def _ler_status(valor: str, motivos: list[str]) -> bool:
    status = _sem_acentos(valor).upper()
    if status in _STATUS_ATIVO:
        return True
    if status not in _STATUS_INATIVO:
        motivos.append(
            f"coluna STATUS: {_eco(valor)} não é reconhecido; use ATIVO ou INATIVO "
            "(vazio conta como ATIVO)"
        )
    return False


def _ler_cpf(valor: str, motivos: list[str]) -> tuple[str | None, str | None]:
    """(cpf, nota para OBS). Texto livre vai para OBS; número inválido é erro."""
    if not valor:
        return None, None
    numero = _alfanumericos(valor)
    if not numero.isdigit():
        return None, f"CPF: {valor}"
    try:
        validar_cpf(numero)
    except ValueError:
        motivos.append(
            f"coluna CPF: {_eco(valor)} não é um CPF válido (11 dígitos com dígitos "
            "verificadores corretos); corrija o número ou deixe a célula vazia"
        )
        return None, None
    return numero, None


def _motivo_chave_repetida(cliente: LinhaCliente, anterior: LinhaCliente) -> str:
    diferentes = [
        _NOME_COLUNA[f.name]
        for f in fields(LinhaCliente)
        if f.name != "linha" and getattr(cliente, f.name) != getattr(anterior, f.name)
    ]
    return (
        f"linha {cliente.linha} repete a chave de cliente da linha {anterior.linha} com dados "
        f"diferentes (colunas: {', '.join(diferentes)}); a chave é CNPJ + OPERADORA + UNIDADE / FILTRO SAT + "
        "SERVIÇO + FILTRO (quando houver): mantenha só uma das linhas ou diferencie o FILTRO, a UNIDADE ou o SERVIÇO"
    )


def _sem_senha(motivo: str, senha: str) -> str:
    """Garante que a SENHA da linha nunca aparece numa mensagem."""
    return motivo.replace(senha, "***") if senha else motivo

"""Case 6 — growth.

Cases 1 and 2 at their size and at ten times it (downloads: N and 10·N accounts; creation: 10,000 and 100,000
clients, first and second materialization, each backend). The ratio of the times must stay ≤ 11, i.e. linear.
The download runs of case 1 are reused; the creation sizes are each measured in a fresh interpreter, so that
both see the same process state.
"""

from __future__ import annotations

from benchmarks import caso_criacao, caso_downloads
from benchmarks.medida import Medida

ALVO = 11.0
FATOR = 10


def executar(opcoes) -> list[Medida]:
    saida = []
    pequeno = caso_downloads.medir(opcoes.n)
    grande = caso_downloads.medir(opcoes.n * FATOR)
    invalido = "" if pequeno["valido"] and grande["valido"] else "INVÁLIDO (download incompleto); "
    saida.append(Medida(
        "6 crescimento", f"downloads: tempo(N={grande['n']}) / tempo(N={pequeno['n']})",
        grande["parede_s"] / pequeno["parede_s"], "×", ALVO,
        nota=(f"{invalido}{pequeno['parede_s']:.1f} s → {grande['parede_s']:.1f} s; "
              f"razão ao ideal {pequeno['razao']:.2f} → {grande['razao']:.2f}"),
        extra={"pequeno": pequeno, "grande": grande}))
    saida.append(caso_downloads.medida(grande, caso="6 crescimento"))
    saida[-1].limite = None  # informative here: the target of case 1 is for N; growth is the ratio above
    saida[-1].nota = "informativo (alvo do caso 1 aplicado a 10·N); " + saida[-1].nota
    for backend in caso_criacao.backends():
        a = caso_criacao.medir_isolado(opcoes.clientes, backend)
        b = caso_criacao.medir_isolado(opcoes.clientes * FATOR, backend)
        invalido = "" if a["valido"] and b["valido"] else "INVÁLIDO; "
        saida.append(Medida(
            "6 crescimento", f"criação {backend}, 1ª: tempo({b['n']:,}) / tempo({a['n']:,})",
            b["primeira_s"] / a["primeira_s"], "×", ALVO,
            nota=f"{invalido}{a['primeira_s']:.2f} s → {b['primeira_s']:.2f} s",
            extra={"pequeno": a, "grande": b}))
        saida.append(Medida(
            "6 crescimento", f"criação {backend}, 2ª (nada a criar): tempo({b['n']:,}) / tempo({a['n']:,})",
            b["segunda_s"] / a["segunda_s"], "×", ALVO,
            nota=f"{invalido}{a['segunda_s']:.2f} s → {b['segunda_s']:.2f} s"))
    return saida

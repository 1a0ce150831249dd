"""Child process of case 5: materialize ``faturas`` for one partition; prints a JSON line with the outcome.

Everything comes from the ``BEG_*`` variables the parent sets (data dir, database, key, robot URL, limits).
"""

import json
import sys
import time


def _rss_mb(campo: str = "VmRSS") -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident since this program was exec'd), in MB."""
    with open("/proc/self/status") as status:
        for linha in status:
            if linha.startswith(campo + ":"):
                return int(linha.split()[1]) / 1024
    return 0.0


def main() -> None:
    particao = sys.argv[1]
    import dagster as dg

    from beg_pipeline.assets.faturas import faturas
    from beg_pipeline.resources import ConfiguracaoResource, recursos

    rss_importado = _rss_mb()
    inicio = time.perf_counter()
    resultado = dg.materialize([faturas], partition_key=particao, resources=recursos(ConfiguracaoResource()),
                               run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                               raise_on_error=False)
    meta = resultado.asset_materializations_for_node("faturas")[0].metadata if resultado.success else {}
    print(json.dumps({"sucesso": resultado.success, "parede_s": time.perf_counter() - inicio,
                      "rss_apos_imports_mb": rss_importado, "rss_final_mb": _rss_mb(),
                      "pico_rss_mb": _rss_mb("VmHWM"),
                      "concluidos": meta["concluidos"].value if "concluidos" in meta else None}), flush=True)


if __name__ == "__main__":
    main()

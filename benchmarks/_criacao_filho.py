"""Child process of case 6: ``caso_criacao.medir(N, BACKEND)`` in a fresh interpreter; prints it as a JSON line.

``python -m benchmarks._criacao_filho N BACKEND``.
"""

import json
import logging
import sys
import warnings


def main() -> None:
    n, backend = int(sys.argv[1]), sys.argv[2]
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.ERROR)
    from benchmarks import caso_criacao, run

    run.aquecer()
    print(json.dumps(caso_criacao.medir(n, backend), default=str), flush=True)


if __name__ == "__main__":
    main()

"""Wall time of ``import normix`` in fresh interpreters, against ``import jax`` alone.

Usage: python benchmarks/import_time.py [repeats]
"""
import subprocess
import sys


def best_wall(statement, repeats):
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    check=True).stdout) for _ in range(repeats))


if __name__ == "__main__":
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    jax_alone = best_wall("import jax", repeats)
    normix = best_wall("import normix", repeats)
    print(f"import jax    {jax_alone:.3f} s")
    print(f"import normix {normix:.3f} s  (target <= 1.2 s; ratio to jax alone {normix / jax_alone:.2f})")

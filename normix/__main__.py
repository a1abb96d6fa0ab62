"""Command line entry point: ``python -m normix`` and the ``normix`` console script."""
import sys

from normix.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""asv benchmarks of normix (see ``asv_bench/README.md`` for how to run them)."""

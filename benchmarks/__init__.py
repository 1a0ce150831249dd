"""Benchmarks of the BEG pipeline (``make bench``; not part of ``make test``)."""

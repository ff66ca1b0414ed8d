"""Benchmarks, run with ``python -m bench [NAME ...]``.

Each module here that defines ``main() -> None`` is one benchmark. They report
ratios against a baseline measured in the same run, never absolute times, so a
figure means the same on a laptop and on a CI machine.
"""

"""Run the benchmarks: every module in ``bench`` that defines ``main()``.

``python -m bench`` runs them all in name order; ``python -m bench signing``
runs only the ones named, in the order given.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from types import ModuleType

import bench

__all__ = ["available", "main"]


def available() -> list[str]:
    """Return the names of the modules in ``bench``, in name order.

    Packages (such as the functions a benchmark serves) and private modules
    are helpers, not benchmarks.
    """
    found = pkgutil.iter_modules(bench.__path__)
    return sorted(
        info.name for info in found if not info.ispkg and not info.name.startswith("_")
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the named benchmarks, or every one, and return the exit status.

    Args:
        argv: module names; every benchmark when empty or omitted.

    Returns:
        0 once every benchmark has run.

    Raises:
        SystemExit: with status 2 when a named module is absent or has no main().
    """
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="a module in bench")
    args = parser.parse_args(argv)

    names: list[str] = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)}")

    for name in names:
        run = _entry_point(importlib.import_module(f"bench.{name}"))
        if run is None:
            # A helper module is skipped in a full run but is an error by name.
            if args.names:
                parser.error(f"bench.{name} defines no main()")
            continue
        print(f"== bench.{name}", flush=True)
        run()
    return 0


def _entry_point(module: ModuleType) -> Callable[[], None] | None:
    run = getattr(module, "main", None)
    return run if callable(run) else None


if __name__ == "__main__":
    raise SystemExit(main())

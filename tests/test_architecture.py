"""The arrows between the project's rooms, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: What the emulator (Tencent's side) may take from our package: the signing
#: primitives, which published vectors pin down, and their errors.
EMULATOR_MAY_USE = {"shared.signing", "shared.errors"}


def imports(path: Path) -> set[str]:
    """Every module a file imports, by its full dotted name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def sources(folder: str) -> list[Path]:
    """The Python files of one room."""
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", sources("functions"), ids=str)
def test_functions_use_only_the_public_shared_api(path: Path) -> None:
    """A function imports `shared` itself: not its modules, not other rooms."""
    ours = {name for name in imports(path) if name.split(".")[0] in _ROOMS}

    assert ours <= {"shared"}


@pytest.mark.parametrize("path", sources("shared"), ids=str)
def test_shared_imports_no_function_and_no_emulator(path: Path) -> None:
    """The shared package depends on nothing above it."""
    rooms = {name.split(".")[0] for name in imports(path)}

    assert not rooms & {"functions", "emulator", "demo", "bench", "tests"}


@pytest.mark.parametrize("path", sources("emulator"), ids=str)
def test_emulator_uses_only_the_signing_primitives(path: Path) -> None:
    """Tencent's side builds its own wire bodies; it shares only the signing."""
    ours = {
        name for name in imports(path) if name.split(".")[0] in {"shared", "functions"}
    }

    assert ours <= EMULATOR_MAY_USE


_ROOMS = {"shared", "functions", "emulator", "demo", "bench"}


def test_every_room_has_sources() -> None:
    """The checks above run on real files, not on empty folders."""
    assert all(sources(room) for room in ("functions", "shared", "emulator"))

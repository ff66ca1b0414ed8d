"""The package's public surface: ``shared.__all__`` and what importing costs."""

from __future__ import annotations

import importlib

import pytest

import shared
from tests.fresh import modules_loaded_by, outside_stdlib


def isort_order(name: str) -> tuple[int, str]:
    """Constants first, then classes, then functions, each in code-point order."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    """__all__ keeps ruff's order: constants, classes, functions."""
    assert shared.__all__ == sorted(shared.__all__, key=isort_order)


def test_all_matches_the_lazy_export_table() -> None:
    """Every name in __all__ has a module to load it from, and no other exists."""
    assert sorted(shared.__all__) == sorted(shared._EXPORTS)


@pytest.mark.parametrize("name", shared.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    """Each public name loads from its module as the very same object."""
    module = importlib.import_module(shared._EXPORTS[name])

    assert getattr(shared, name) is getattr(module, name)


def test_a_resolved_name_is_kept_on_the_package() -> None:
    """After the first lookup, the name is an ordinary package attribute."""
    verifier_class = shared.Verifier

    assert vars(shared)["Verifier"] is verifier_class


def test_an_unknown_name_is_an_attribute_error() -> None:
    """Asking for a name the package does not export fails plainly."""
    missing = "no_such_name"

    with pytest.raises(AttributeError, match=missing):
        getattr(shared, missing)


def test_dir_lists_the_public_names() -> None:
    """dir(shared) shows exactly the public surface."""
    assert dir(shared) == sorted(shared.__all__)


def test_signing_and_errors_load_only_the_standard_library() -> None:
    """The callback's first imports pull in nothing beyond the stdlib and shared."""
    loaded = modules_loaded_by("import shared.signing, shared.errors")

    assert "shared.signing" in loaded
    assert outside_stdlib(loaded) == []


def test_importing_the_package_loads_no_pydantic() -> None:
    """`import shared` alone defers pydantic until a name needs it."""
    loaded = {name.split(".")[0] for name in modules_loaded_by("import shared")}

    assert "shared" in loaded
    assert "pydantic" not in loaded
    assert "pydantic_core" not in loaded

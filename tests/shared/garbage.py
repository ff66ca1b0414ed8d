"""Hostile inputs shared by the error-table tests."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hypothesis import strategies as st

#: Text that marks a remedy nobody finished writing.
PLACEHOLDER = re.compile(r"(?i)\b(todo|tbd|fixme|xxx|placeholder|lorem|n/a)\b|\.\.\.")


class Hostile:
    """An object whose every rendering fails, like a broken caller's value."""

    def __str__(self) -> str:
        raise RuntimeError("str must not be called")

    def __repr__(self) -> str:
        raise RuntimeError("repr must not be called")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq must not be called")

    def __hash__(self) -> int:
        raise RuntimeError("hash must not be called")


def garbage(samples: Sequence[str]) -> st.SearchStrategy[object]:
    """Any value a careless caller might pass, plus the given tricky strings."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**4400, max_value=10**4500),
        st.floats(),
        st.text(),
        st.binary(),
        st.dictionaries(st.text(), st.text()),
        st.lists(st.integers()),
        st.builds(Hostile),
        st.sampled_from(["x" * 100_000, *samples]),
    )


def one_line(text: str) -> bool:
    """Tell whether text is a single line free of control characters."""
    return len(text.splitlines()) <= 1 and not any(c < " " for c in text)

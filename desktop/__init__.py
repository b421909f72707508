"""Lightbox: an offline reader for radiology teaching cases."""

from __future__ import annotations

from functools import cache


def __getattr__(name: str) -> str:
    # Read on first use: importlib.metadata costs ~25 ms at every start otherwise.
    if name == "__version__":
        return _version()
    raise AttributeError(name)


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lightbox")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"

"""Lightbox: an offline reader for radiology teaching cases."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lightbox")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

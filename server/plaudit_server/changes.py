"""Moved to ``cache.invalidation``; kept while the services' imports move over."""

from __future__ import annotations

from .cache import touch

__all__ = ["touch"]

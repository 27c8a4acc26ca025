"""Tessera's OpenAPI document (filled in with the route table)."""

from __future__ import annotations

from typing import Any

__all__ = ["document"]


def document() -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "Tessera", "version": "0.1.0"}, "paths": {}}

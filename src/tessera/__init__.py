"""Tessera: self-hosted sign-in tokens."""

__version__ = "0.1.0"

"""Tessera: self-hosted sign-in tokens.

``import tessera`` gives the Python SDK (see :mod:`tessera.sdk`) and nothing of the server:
the server's modules (``tessera.api``, ``tessera.store``, …) load only when imported.
"""

__version__ = "0.1.0"

from tessera import sdk  # after __version__, which the SDK reads
from tessera.sdk import *  # noqa: F403

__all__ = ["__version__"]
__all__ += sdk.__all__

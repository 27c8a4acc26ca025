"""A deadline for reading each request, around uvicorn's HTTP protocol.

uvicorn closes a connection that stays idle between requests (``timeout_keep_alive``) but
sets no limit while a request is being read: a client that sends half its headers, or
announces a body and sends part of it, holds a connection (and, in the body case, a request
task) for as long as it likes. :class:`ReadDeadline` gives every request ``read_timeout``
seconds, from its first byte (or from the connection's opening, for the first request), to
arrive whole: headers and body. Past it the connection is closed; the application sees a
disconnect if it was already reading the body.

It wraps the protocol uvicorn would choose (httptools, else h11) rather than subclassing
one, and knows only one thing of it: the current request's ``cycle``, whose ``more_body``
turns false once the whole request has been read. ``tessera serve`` hands it to uvicorn as
``http=functools.partial(ReadDeadline, read_timeout)``, which pickles for ``--workers``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["ReadDeadline"]

log = logging.getLogger("tessera.api")


class ReadDeadline(asyncio.Protocol):
    """uvicorn's HTTP protocol, with the connection closed when a request takes longer
    than ``read_timeout`` seconds to arrive."""

    def __init__(self, read_timeout: float, **uvicorn_arguments: Any) -> None:
        from uvicorn.protocols.http.auto import AutoHTTPProtocol

        self._inner: Any = AutoHTTPProtocol(**uvicorn_arguments)
        self._timeout = read_timeout
        self._timer: asyncio.TimerHandle | None = None
        self._began_after: object = None  # the cycle that was current when the request began
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._inner.connection_made(transport)
        self._arm(None)

    def data_received(self, data: bytes) -> None:
        armed = self._timer is not None
        began_after = self._began_after if armed else self._inner.cycle
        self._inner.data_received(data)
        cycle = self._inner.cycle
        if cycle is not began_after and not cycle.more_body:
            self._disarm()  # a request that began after ``began_after`` has arrived whole
        elif not armed:
            self._arm(began_after)  # the first bytes of a request that is not whole yet

    def eof_received(self) -> bool | None:
        result: bool | None = self._inner.eof_received()
        return result

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def _arm(self, began_after: object) -> None:
        self._began_after = began_after
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self._transport is not None and not self._transport.is_closing():
            log.info("closed a connection: its request did not arrive within %ss", self._timeout)
            self._transport.close()

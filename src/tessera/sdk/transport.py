"""The two drivers of :func:`~tessera.sdk.protocol.exchange`: one blocking, one asyncio.

They do the I/O the exchange asks for and nothing else; every rule is in ``protocol.py``.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import httpx

from tessera.sdk.protocol import Call, Config, Exchange, HttpInfo, Send, Sleep, exchange

__all__ = ["AsyncTransport", "SyncTransport"]

P = ParamSpec("P")
T = TypeVar("T")


class SyncTransport:
    """Runs calls over an ``httpx.Client``, sleeping with ``time.sleep`` between retries."""

    def __init__(self, http: httpx.Client, config: Config) -> None:
        self.http = http
        self.config = config

    def request(self, call: Call[T]) -> HttpInfo[T]:
        """Send ``call``: its data, status code and headers, or an ApiError."""
        steps: Exchange[T] = exchange(call, self.config)
        try:
            step = next(steps)
            while True:
                if isinstance(step, Sleep):
                    time.sleep(step.seconds)
                    step = steps.send(None)
                    continue
                try:
                    outcome: httpx.Response | httpx.TransportError = self.http.send(step.request)
                except httpx.TransportError as exc:
                    outcome = exc
                step = steps.send(outcome)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def method(self, build: Callable[P, Call[T]]) -> Callable[P, T]:
        """``build`` as a method answering the call's data."""

        @functools.wraps(build)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return self.request(build(*args, **kwargs))[0]

        return call

    def method_with_http_info(self, build: Callable[P, Call[T]]) -> Callable[P, HttpInfo[T]]:
        """``build`` as a method answering ``(data, status_code, headers)``."""

        @functools.wraps(build)
        def call(*args: P.args, **kwargs: P.kwargs) -> HttpInfo[T]:
            return self.request(build(*args, **kwargs))

        return call


class AsyncTransport:
    """Runs calls over an ``httpx.AsyncClient``, waiting with ``asyncio.sleep`` between retries."""

    def __init__(self, http: httpx.AsyncClient, config: Config) -> None:
        self.http = http
        self.config = config

    async def request(self, call: Call[T]) -> HttpInfo[T]:
        """Send ``call``: its data, status code and headers, or an ApiError."""
        steps: Exchange[T] = exchange(call, self.config)
        try:
            step: Send | Sleep = next(steps)
            while True:
                if isinstance(step, Sleep):
                    await asyncio.sleep(step.seconds)
                    step = steps.send(None)
                    continue
                try:
                    outcome: httpx.Response | httpx.TransportError = await self.http.send(
                        step.request
                    )
                except httpx.TransportError as exc:
                    outcome = exc
                step = steps.send(outcome)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def method(self, build: Callable[P, Call[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        """``build`` as a coroutine method answering the call's data."""

        @functools.wraps(build)
        async def call(*args: P.args, **kwargs: P.kwargs) -> T:
            return (await self.request(build(*args, **kwargs)))[0]

        return call

    def method_with_http_info(
        self, build: Callable[P, Call[T]]
    ) -> Callable[P, Coroutine[Any, Any, HttpInfo[T]]]:
        """``build`` as a coroutine method answering ``(data, status_code, headers)``."""

        @functools.wraps(build)
        async def call(*args: P.args, **kwargs: P.kwargs) -> HttpInfo[T]:
            return await self.request(build(*args, **kwargs))

        return call

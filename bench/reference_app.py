"""The reference: a minimal ASGI app doing one SQLite INSERT per request (WAL, NORMAL sync).

Run: uvicorn bench.reference_app:app  (REFERENCE_DB names the file). It is the floor any
real service on this machine is measured against: HTTP parsing, one durable write, a JSON reply.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from typing import Any

_db = sqlite3.connect(os.environ.get("REFERENCE_DB", "reference.db"), isolation_level=None)
_db.execute("PRAGMA journal_mode=WAL")
_db.execute("PRAGMA synchronous=NORMAL")
_db.execute("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, body BLOB, created_at INTEGER)")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    item_id = uuid.uuid4().hex
    _db.execute("INSERT INTO items VALUES (?, ?, ?)", (item_id, body, int(time.time() * 1000)))
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"id":"' + item_id.encode() + b'"}'})

"""Create and revoke throughput of `tessera serve` (SQLite, 1 worker) beside the reference.

Run from the project root:  python -m bench.bench_api [--seconds 10]

Prints one table: requests/s, the ratio to the reference measured in the same run, p50/p99.
Needs wrk (apt-get install -y wrk). Loopback only.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

import httpx

from bench.common import (
    Result,
    free_port,
    post_script,
    reference,
    report,
    tessera,
    walking_script,
    wrk,
)
from tessera.keys import new_secret_key

REVOKE_REQUEST = '  return wrk.format(nil, "/v1/sign_in_tokens/" .. item .. "/revoke")'


def run(seconds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    db, key, port = folder / "bench.db", new_secret_key(), free_port()
    results: list[Result] = []
    with reference(free_port()) as ref_url:
        ref = wrk(
            "reference: raw ASGI + 1 SQLite INSERT",
            ref_url,
            post_script("/", "{}"),
            seconds=seconds,
        )
    results.append(ref)
    env = {"TESSERA_DATABASE_URL": f"sqlite:///{db}", "TESSERA_SECRET_KEY": key}
    with tessera(env, port) as base:
        user = httpx.post(f"{base}/v1/users", json={}, headers={"authorization": f"Bearer {key}"})
        body = f'{{"user_id": "{user.json()["id"]}", "expires_in_seconds": 600}}'
        create = post_script("/v1/sign_in_tokens", body, key)
        results.append(wrk("tessera create (SQLite, 1 worker)", base, create, seconds=seconds))
        ids_file = folder / "ids.txt"
        with sqlite3.connect(db) as conn:
            ids = [
                r[0] for r in conn.execute("SELECT id FROM sign_in_tokens WHERE status = 'pending'")
            ]
        ids_file.write_text("\n".join(ids) + "\n")
        results.append(
            wrk(
                "tessera revoke (SQLite, 1 worker)",
                base,
                walking_script(
                    "TOKEN_IDS", REVOKE_REQUEST, f'wrk.headers["Authorization"] = "Bearer {key}"'
                ),
                seconds=min(seconds, 5),
                env={"TOKEN_IDS": str(ids_file)},
            )
        )
    report(results, ref.rps)
    print(f"\n{len(ids)} tokens created; revoke cycles through them (a non-2xx is a repeat).")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    run(parser.parse_args().seconds)

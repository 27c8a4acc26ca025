"""Create and revoke throughput of `tessera serve` (SQLite, 1 worker) beside the reference.

Run from the project root:  python -m bench.bench_api [--seconds 8] [--rounds 5]

The reference and create are measured in turns, ``--rounds`` times (a new, empty reference
each round; Tessera's store keeps growing), and each row shows its median round, so that the
machine's drift over the minute weighs on both alike. Prints one table: requests/s, the ratio
to the reference, p50/p99.
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
    median_of,
    post_script,
    reference,
    report,
    tessera,
    walking_script,
    wrk,
)
from tessera.keys import new_secret_key

REVOKE_REQUEST = '  return wrk.format(nil, "/v1/sign_in_tokens/" .. item .. "/revoke")'


def run(seconds: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    db, key, port = folder / "bench.db", new_secret_key(), free_port()
    env = {"TESSERA_DATABASE_URL": f"sqlite:///{db}", "TESSERA_SECRET_KEY": key}
    refs: list[Result] = []
    creates: list[Result] = []
    with tessera(env, port) as base:
        user = httpx.post(f"{base}/v1/users", json={}, headers={"authorization": f"Bearer {key}"})
        body = f'{{"user_id": "{user.json()["id"]}", "expires_in_seconds": 600}}'
        create = post_script("/v1/sign_in_tokens", body, key)
        for number in range(1, rounds + 1):
            with reference(free_port()) as ref_url:  # a new, empty reference each round
                refs.append(
                    wrk(
                        "reference: raw ASGI + 1 SQLite INSERT",
                        ref_url,
                        post_script("/", "{}"),
                        seconds=seconds,
                    )
                )
            creates.append(wrk("tessera create (SQLite, 1 worker)", base, create, seconds=seconds))
            print(
                f"round {number}: reference {refs[-1].rps:.0f} req/s, create "
                f"{creates[-1].rps:.0f} req/s ({creates[-1].rps / refs[-1].rps:.2f} x ref)",
                flush=True,
            )
        ref = median_of(refs)
        results: list[Result] = [ref, median_of(creates)]
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
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.seconds, args.rounds)

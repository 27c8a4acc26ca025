"""Schemathesis against a live server: every answer is one the document describes.

`st run` generates requests from `GET /v1/openapi.json` (examples, boundary values, random
and invalid data, and chains of calls through the document's links) and applies every check
it has: no 5xx, every status code, content type, header and body as documented, invalid data
refused, valid data accepted, `Allow` on a 405, … The run is bounded (a fixed number of cases
per operation, one worker, a fixed seed: the same cases every run) and takes well under a
minute. On a failure the test prints schemathesis's report, each failure with a curl line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import make_user
from servers import Running

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 4  # cases per operation in the random phases; the boundary cases come on top
SEED = 20261201


@pytest.mark.slow
# What the document says and the server answers does not depend on the database: SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_answer_is_one_the_document_describes(server: Running, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "schemathesis.cli",  # `st`, from this Python's packages
        "--config-file", str(CONFIG), "--no-color", "run",
        f"{server.base_url}/v1/openapi.json",
        "--header", f"Authorization: Bearer {server.secret_key}",
        "--checks", "all",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--request-timeout", "10",
        "--generation-database", "none",
        # Health checks judge the data generator (too slow, too much filtering), not the
        # server's answers: on a busy machine they would fail runs the checks passed.
        "--suppress-health-check", "all",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    report = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(
            f"schemathesis found answers the document does not describe (exit "
            f"{done.returncode}); its report:\n\n{report}",
            pytrace=False,
        )
    assert "No issues found" in report or " passed" in report, report


# Regressions schemathesis found: each was a 500.


@pytest.mark.parametrize("url", ["http://[/x", "https://a:b:c]/x", "http://[::1/"])
def test_a_url_that_does_not_parse_is_a_422_not_a_500(api: httpx.Client, url: str) -> None:
    """urlsplit raises on a malformed IPv6 host; every URL setting answers 422 in Clerk's
    shape, and a token's redirect_url too."""
    for body in (
        {"sign_in_url": url},
        {"after_sign_in_url": url},
        {"allowed_redirect_urls": [url]},
    ):
        response = api.patch("/v1/instance", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == "form_param_value_invalid"
    user = make_user(api)
    response = api.post("/v1/sign_in_tokens", json={"user_id": user["id"], "redirect_url": url})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["meta"] == {"param_name": "redirect_url"}

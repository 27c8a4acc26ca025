"""Extract the Backend API operations Tessera shares with Clerk, with every schema they use.

Usage: python scripts/extract_clerk_openapi.py PATH/TO/clerk-bapi.yml

Writes src/tessera/api/clerk_openapi.json: {"paths": {...}, "components": {...}} where paths are
Clerk's (relative to /v1) and components holds only what those paths reference, transitively.
Rerun it when Tessera starts sharing another operation (add it to OPERATIONS).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

OPERATIONS = {
    "/sign_in_tokens": ["post"],
    "/sign_in_tokens/{sign_in_token_id}/revoke": ["post"],
    "/users": ["get", "post"],
    "/users/count": ["get"],
    "/users/{user_id}": ["get", "patch", "delete"],
    "/users/{user_id}/ban": ["post"],
    "/users/{user_id}/unban": ["post"],
    "/sessions": ["get"],
    "/sessions/{session_id}": ["get"],
    "/sessions/{session_id}/revoke": ["post"],
    "/jwks": ["get"],
}
OUT = Path(__file__).resolve().parent.parent / "src/tessera/api/clerk_openapi.json"


def refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def main(spec_path: str) -> None:
    spec = yaml.safe_load(Path(spec_path).read_text())
    paths = {
        path: {method: spec["paths"][path][method] for method in methods}
        for path, methods in OPERATIONS.items()
    }
    components: dict[str, dict[str, Any]] = {}
    pending, seen = refs(paths), set()
    while pending:
        ref = pending.pop()
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        pending |= refs(node) - seen
    components["securitySchemes"] = spec["components"]["securitySchemes"]
    OUT.write_text(json.dumps({"paths": paths, "components": components}, indent=1, sort_keys=True))
    print(f"wrote {OUT} ({len(paths)} paths, {sum(map(len, components.values()))} components)")


if __name__ == "__main__":
    main(sys.argv[1])

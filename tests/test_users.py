"""/v1/users over raw HTTP: the Clerk-compatible subset."""

from __future__ import annotations

import httpx
import pytest

from conftest import make_user
from servers import ManualClock


def test_list_is_newest_first_pages_and_filters_by_email_and_external_id(
    api: httpx.Client, clock: ManualClock
) -> None:
    """GET /v1/users answers a JSON array; limit, offset and filters apply."""
    made = []
    for n in range(3):
        clock.advance(1)
        made.append(make_user(api, email_address=[f"u{n}@example.com"], external_id=f"x{n}")["id"])
    assert [u["id"] for u in api.get("/v1/users").json()] == made[::-1]
    assert [u["id"] for u in api.get("/v1/users?limit=1&offset=1").json()] == [made[1]]
    found = api.get(
        "/v1/users",
        params=[("email_address", "U0@example.com"), ("email_address", "u2@example.com")],
    )
    assert [u["id"] for u in found.json()] == [made[2], made[0]]
    assert [u["id"] for u in api.get("/v1/users?external_id=x1").json()] == [made[1]]


@pytest.mark.parametrize("field", ["external_id", "username"])
def test_duplicate_identifiers_are_422_form_identifier_exists(
    api: httpx.Client, field: str
) -> None:
    """external_id and username are unique within an instance, on create and on update."""
    make_user(api, **{field: "taken"})
    response = api.post("/v1/users", json={field: "taken"})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "code": "form_identifier_exists",
        "message": "already exists",
        "long_message": f"That {field} is taken. Please try another.",
        "meta": {"param_name": field},
    }
    other = make_user(api)
    response = api.patch(f"/v1/users/{other['id']}", json={field: "taken"})
    assert response.status_code == 422
    assert api.get(f"/v1/users/{other['id']}").json()[field] is None


def test_patch_changes_only_what_it_names_and_null_clears(
    api: httpx.Client, clock: ManualClock
) -> None:
    """PATCH sets the given fields; null clears a string; metadata is replaced whole."""
    user = make_user(api, first_name="Ann", last_name="Lee", public_metadata={"a": 1})
    clock.advance(5)
    patched = api.patch(
        f"/v1/users/{user['id']}", json={"last_name": None, "public_metadata": {"b": 2}}
    ).json()
    assert (patched["first_name"], patched["last_name"]) == ("Ann", None)
    assert patched["public_metadata"] == {"b": 2}
    assert patched["updated_at"] == user["updated_at"] + 5000
    assert patched["created_at"] == user["created_at"]


def test_deleted_users_are_gone_and_their_email_is_free_again(api: httpx.Client) -> None:
    """DELETE answers Clerk's DeletedObject; the user is then 404 and its email reusable."""
    user = make_user(api, email_address=["gone@example.com"])
    assert api.delete(f"/v1/users/{user['id']}").json() == {
        "object": "user",
        "id": user["id"],
        "deleted": True,
    }
    assert api.get(f"/v1/users/{user['id']}").status_code == 404
    assert api.delete(f"/v1/users/{user['id']}").status_code == 404
    make_user(api, email_address=["gone@example.com"])


def test_a_user_matching_several_emails_is_listed_once(api: httpx.Client) -> None:
    """Filtering by two addresses of one user finds that user once."""
    user = make_user(api, email_address=["one@example.com", "two@example.com"])
    query = [("email_address", "one@example.com"), ("email_address", "two@example.com")]
    assert [u["id"] for u in api.get("/v1/users", params=query).json()] == [user["id"]]
    assert user["primary_email_address_id"] == user["email_addresses"][0]["id"]

"""Clerk's official Python SDK (clerk-backend-api) against a real Tessera, unchanged."""

from __future__ import annotations

import json

import pytest
from clerk_backend_api import Clerk, models

from conftest import NO_RETRIES
from servers import Running


@pytest.fixture
def user_id(clerk: Clerk) -> str:
    return clerk.users.create(email_address=["sdk@example.com"]).id


def test_create_defaults_to_thirty_days_and_returns_a_link(
    clerk: Clerk, user_id: str, server: Running
) -> None:
    """The SDK sends expires_in_seconds=2592000 by default; the token is pending with a url."""
    token = clerk.sign_in_tokens.create(request={"user_id": user_id})
    assert token.status == models.SignInTokenStatus.PENDING
    assert token.user_id == user_id
    assert token.url == f"{server.base_url}/v1/tickets/accept?ticket={token.token}"


@pytest.mark.parametrize("expires", [None, 1, 600])
def test_create_with_null_or_explicit_expiry(
    clerk: Clerk, user_id: str, expires: int | None
) -> None:
    """Null and explicit lifetimes are both accepted."""
    token = clerk.sign_in_tokens.create(request={"user_id": user_id, "expires_in_seconds": expires})
    assert token.status == models.SignInTokenStatus.PENDING


def test_revoke_then_revoke_again_is_refused_with_the_contract_code(
    clerk: Clerk, user_id: str
) -> None:
    """A pending token revokes once; a second revoke is 400 sign_in_token_cannot_be_revoked_code."""
    token = clerk.sign_in_tokens.create(request={"user_id": user_id})
    revoked = clerk.sign_in_tokens.revoke(sign_in_token_id=token.id)
    assert revoked.status == models.SignInTokenStatus.REVOKED
    assert revoked.token is None
    with pytest.raises(models.ClerkErrors) as caught:
        clerk.sign_in_tokens.revoke(sign_in_token_id=token.id)
    assert caught.value.raw_response.status_code == 400
    assert caught.value.data.errors[0].code == "sign_in_token_cannot_be_revoked_code"
    assert "revoked" in caught.value.data.errors[0].long_message


def test_unknown_token_and_unknown_user_are_404(clerk: Clerk) -> None:
    """Revoking a token or creating one for a user that does not exist is resource_not_found."""
    with pytest.raises(models.ClerkErrors) as caught:
        clerk.sign_in_tokens.revoke(sign_in_token_id="sit_" + "0" * 27)
    assert caught.value.raw_response.status_code == 404
    assert caught.value.data.errors[0].code == "resource_not_found"
    with pytest.raises(models.ClerkErrors) as caught:
        clerk.sign_in_tokens.create(request={"user_id": "user_" + "0" * 27})
    assert caught.value.raw_response.status_code == 404
    assert caught.value.data.errors[0].long_message == f"No user was found with id user_{'0' * 27}"


@pytest.mark.parametrize("key", ["sk_test_wrong", None])
def test_bad_or_missing_key_is_401(server: Running, key: str | None) -> None:
    """A wrong key is clerk_key_invalid; no key at all is authorization_header_format_invalid."""
    sdk = Clerk(bearer_auth=key, server_url=server.api_url, retry_config=NO_RETRIES)
    # The SDK models 401 for users but not for sign-in tokens: it raises its base error.
    with sdk, pytest.raises(models.ClerkBaseError) as caught:
        sdk.sign_in_tokens.create(request={"user_id": "user_" + "0" * 27})
    assert caught.value.status_code == 401
    expected = "clerk_key_invalid" if key else "authorization_header_format_invalid"
    assert json.loads(caught.value.body)["errors"][0]["code"] == expected


def test_users_crud_through_the_sdk(clerk: Clerk) -> None:
    """Create, get, list by email, update, ban, unban and delete a user, all parsed by the SDK."""
    created = clerk.users.create(
        email_address=["Crud@Example.com"],
        external_id="ext-1",
        first_name="Ada",
        last_name="Lovelace",
        username="ada",
        public_metadata={"plan": "pro"},
        private_metadata={"note": 1},
    )
    assert created.email_addresses[0].email_address == "crud@example.com"
    assert created.primary_email_address_id == created.email_addresses[0].id
    assert clerk.users.get(user_id=created.id).username == "ada"
    listed = clerk.users.list(request={"email_address": ["crud@example.com"]})
    assert [u.id for u in listed] == [created.id]
    updated = clerk.users.update(user_id=created.id, first_name="Augusta")
    assert (updated.first_name, updated.last_name) == ("Augusta", "Lovelace")
    assert clerk.users.ban(user_id=created.id).banned is True
    assert clerk.users.unban(user_id=created.id).banned is False
    deleted = clerk.users.delete(user_id=created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(models.ClerkErrors) as caught:
        clerk.users.get(user_id=created.id)
    assert caught.value.raw_response.status_code == 404


def test_duplicate_email_is_refused_with_form_identifier_exists(clerk: Clerk, user_id: str) -> None:
    """A second user with the same email address (in any case) is a 422."""
    with pytest.raises(models.ClerkErrors) as caught:
        clerk.users.create(email_address=["SDK@example.com"])
    assert caught.value.raw_response.status_code == 422
    error = caught.value.data.errors[0]
    assert (error.code, error.meta) == ("form_identifier_exists", {"param_name": "email_address"})

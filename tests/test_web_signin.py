"""Sign-in codes on both stores: bound to an agency token, expiring, revocable, unforgeable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from engine.api.auth import Caller, Role, issue_token, revoke_token
from engine.store.database import Store
from engine.web.signin import (
    LINK_LIFETIME,
    SignInError,
    agency_credential,
    csrf_matches,
    csrf_token,
    digest_links,
    make_code,
    read_code,
)
from tests.test_message_render import DIGEST
from tests.test_sweep_support import clean_escalation_tables, register_seed

NOW = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)
DIRECTORY = "hanoi-2024"


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


def test_a_digest_link_signs_in_its_recipient_only_until_it_expires(seeded: Store) -> None:
    with seeded.transaction() as tx:
        links = digest_links(tx, DIGEST, directory=DIRECTORY, public_url="https://x.example.org",
                             now=NOW)
    code = links.page.split("ma=", 1)[1]
    assert links.expires == NOW + LINK_LIFETIME
    assert set(links.instances) == {i.instance_id for i in DIGEST.items
                                    if i.agency == DIGEST.recipient.agency}
    with seeded.transaction() as tx:
        caller = read_code(tx, code, purpose="link", now=NOW + dt.timedelta(days=13))
        assert (caller.role, caller.agency_id) == (Role.AGENCY, DIGEST.recipient.agency)
        with pytest.raises(SignInError) as expired:
            read_code(tx, code, purpose="link", now=NOW + LINK_LIFETIME + dt.timedelta(1))
        assert expired.value.reason == "expired"
        with pytest.raises(SignInError) as other_use:  # a link is no session cookie
            read_code(tx, code, purpose="session", now=NOW)
        assert other_use.value.reason == "invalid"


def test_a_forged_code_is_invalid_even_when_it_names_a_real_token(seeded: Store) -> None:
    with seeded.transaction() as tx:
        token_id, secret = agency_credential(tx, directory=DIRECTORY, agency="so-y-te", now=NOW)
        real = make_code(token_id, secret, purpose="link", expires=NOW + LINK_LIFETIME)
        later = make_code(token_id, "not-the-secret", purpose="link",
                          expires=NOW + 10 * LINK_LIFETIME)
        for forged in (later, real.replace(real.split(".")[1], str(int(
                (NOW + 10 * LINK_LIFETIME).timestamp()))), "tok_1.2.3", ""):
            with pytest.raises(SignInError) as refused:
                read_code(tx, forged, purpose="link", now=NOW)
            assert refused.value.reason == "invalid"


def test_revoking_the_token_refuses_its_links_and_the_next_digest_gets_a_new_one(
        seeded: Store) -> None:
    with seeded.transaction() as tx:
        own = issue_token(tx, role=Role.AGENCY, directory_id=DIRECTORY, agency_id="so-y-te",
                          now=NOW)
        token_id, secret = agency_credential(tx, directory=DIRECTORY, agency="so-y-te", now=NOW)
        assert token_id == own.id  # bound to the agency's own live token, none added
        code = make_code(token_id, secret, purpose="link", expires=NOW + LINK_LIFETIME)
        revoke_token(tx, own.id, now=NOW)
        with pytest.raises(SignInError) as revoked:
            read_code(tx, code, purpose="link", now=NOW)
        assert revoked.value.reason == "revoked"
        fresh, _ = agency_credential(tx, directory=DIRECTORY, agency="so-y-te", now=NOW)
        assert fresh != own.id


def test_a_session_csrf_token_belongs_to_its_session() -> None:
    caller = Caller("tok_1", Role.AGENCY, DIRECTORY, "so-y-te", "khsig_secret", False)
    token = csrf_token(caller, "session-a")
    assert csrf_matches(caller, "session-a", token)
    assert not csrf_matches(caller, "session-b", token)
    assert not csrf_matches(caller, "session-a", None)

"""The Supabase calls of a cache miss (/auth/v1/user, the subscriptions table) and failures."""

from __future__ import annotations

import pytest
import requests

from cl3_common.auth.remote import SupabaseUserCheck
from cl3_common.auth.subscriptions import (
    SubscriptionTable,
    SupabaseTierResolver,
    claim_tier,
    highest_tier,
)
from cl3_common.auth.supabase_http import supabase_get
from cl3_common.errors import Unauthorized, Unavailable
from cl3_sandbox.supabase.tokens import build_claims
from tests.unit.auth.fakes import ANON, SERVICE, FakeSession, response


def no_sleep(_: float) -> None:
    pass


# -- /auth/v1/user -----------------------------------------------------------------------------
def test_a_live_session_passes_and_a_revoked_one_is_unauthorized(stub):
    check = SupabaseUserCheck(stub.url, ANON, requests.Session(), sleep=no_sleep)
    token = stub.mint("user-1", "pro", session_id="s-1")
    check.check(token)
    stub.revoke_session("s-1")
    with pytest.raises(Unauthorized, match="session has ended"):
        check.check(token)
    assert stub.calls["user"] == 2


def test_a_refused_apikey_is_our_misconfiguration_not_the_callers(stub):
    check = SupabaseUserCheck(stub.url, "wrong-key", requests.Session(), sleep=no_sleep)
    with pytest.raises(Unavailable, match="API key"):
        check.check(stub.mint("user-1"))


def test_supabase_auth_down_is_unavailable(stub):
    url = stub.url
    stub.stop()
    check = SupabaseUserCheck(url, ANON, requests.Session(), sleep=no_sleep)
    with pytest.raises(Unavailable) as err:
        check.check("any-token")
    assert err.value.system == "supabase"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (response(500, {"message": "boom"}), Unavailable),
        (response(429, {"code": 429, "error_code": "over_request_rate_limit"}), Unavailable),
        (response(401, b"<html>gateway</html>"), Unavailable),
        (response(403, {"code": 403, "error_code": "user_not_found", "msg": "gone"}), Unauthorized),
        (response(401, {"code": 401, "error_code": "bad_jwt", "msg": "invalid JWT"}), Unauthorized),
        (requests.Timeout("read timed out"), Unavailable),
    ],
)
def test_user_check_outcomes(answer, error):
    check = SupabaseUserCheck("https://x", ANON, FakeSession(answer), sleep=no_sleep)
    with pytest.raises(error):
        check.check("token")


def test_the_user_check_sends_the_apikey_and_the_callers_token():
    session = FakeSession(response(200, {"id": "user-1"}))
    SupabaseUserCheck("https://proj.supabase.co/", ANON, session, sleep=no_sleep).check("tok")
    (call,) = session.calls
    assert call["url"] == "https://proj.supabase.co/auth/v1/user"
    assert call["headers"]["apikey"] == ANON and call["headers"]["Authorization"] == "Bearer tok"
    assert call["timeout"]  # never an unbounded wait


# -- retries at the boundary ---------------------------------------------------------------------
def test_one_quick_retry_on_a_gateway_error_or_a_dropped_connection():
    slept: list[float] = []
    session = FakeSession(response(502, {}), response(200, {"ok": True}))
    answer = supabase_get(session, "https://x", what="t", sleep=slept.append)
    assert answer.status_code == 200 and len(session.calls) == 2 and slept == [0.1]
    session = FakeSession(requests.ConnectionError("reset"), response(200, {}))
    assert supabase_get(session, "https://x", what="t", sleep=no_sleep).status_code == 200


def test_a_timeout_is_not_retried():
    session = FakeSession(requests.ReadTimeout("slow"), response(200, {}))
    with pytest.raises(Unavailable, match="timed out"):
        supabase_get(session, "https://x", what="t", sleep=no_sleep)
    assert len(session.calls) == 1


# -- tiers -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("claims", "tier"),
    [
        ({"app_metadata": {"subscription_tier": "pro"}}, "pro"),
        ({"app_metadata": {"subscription_tier": "free"}}, "free"),
        ({"app_metadata": {"subscription_tier": "platinum"}}, None),
        ({"app_metadata": {"subscription_tier": ["enterprise"]}}, None),
        ({"app_metadata": "enterprise"}, None),
        ({"app_metadata": {}}, None),
        ({"user_metadata": {"subscription_tier": "enterprise"}}, None),
        ({"subscription_tier": "enterprise"}, None),
        ({}, None),
    ],
)
def test_only_the_app_metadata_claim_counts(claims, tier):
    assert claim_tier(claims) == tier


def test_the_highest_live_tier_wins():
    rows = [
        {"tier": "pro", "status": "active"},
        {"tier": "enterprise", "status": "canceled"},
        {"tier": "enterprise", "status": "past_due"},
        {"tier": "platinum", "status": "active"},
        {"status": "active"},
        "junk",
    ]
    assert highest_tier(rows) == "pro"
    assert highest_tier([*rows, {"tier": "enterprise", "status": "trialing"}]) == "enterprise"
    assert highest_tier([]) == "free"


def test_the_table_is_read_with_the_service_key_for_that_user_only(stub):
    stub.set_subscriptions(
        "user-1", [{"tier": "pro"}, {"tier": "enterprise", "status": "canceled"}]
    )
    stub.set_subscriptions("user-2", [{"tier": "enterprise", "status": "active"}])
    table = SubscriptionTable(stub.url, SERVICE, requests.Session(), sleep=no_sleep)
    assert table.tier_of("user-1") == "pro"
    assert table.tier_of("user-2") == "enterprise"
    assert table.tier_of("user-3") == "free"
    assert table.tier_of("a&b=c,d)") == "free"  # PostgREST-significant characters stay data
    assert stub.calls["subscriptions"] == 4


def test_a_refused_service_key_is_unavailable_never_a_silent_free(stub):
    stub.set_subscriptions("user-1", [{"tier": "pro"}])
    table = SubscriptionTable(stub.url, "wrong-key", requests.Session(), sleep=no_sleep)
    with pytest.raises(Unavailable):
        table.tier_of("user-1")


@pytest.mark.parametrize(
    "answer",
    [
        response(404, {"code": "PGRST205", "message": "Could not find the table"}),
        response(500, {"message": "boom"}),
        response(200, {"not": "rows"}),
        response(200, b"not json"),
        requests.ConnectionError("refused"),
    ],
)
def test_table_failures_are_unavailable(answer):
    table = SubscriptionTable("https://x", SERVICE, FakeSession(answer), sleep=no_sleep)
    with pytest.raises(Unavailable):
        table.tier_of("user-1")


def test_the_claim_wins_and_costs_no_table_call(stub):
    stub.set_subscriptions("user-1", [{"tier": "enterprise"}])
    resolver = SupabaseTierResolver(
        SubscriptionTable(stub.url, SERVICE, requests.Session(), sleep=no_sleep)
    )
    assert resolver.tier_for(build_claims("user-1", "pro")) == "pro"
    assert stub.calls["subscriptions"] == 0
    assert resolver.tier_for(build_claims("user-1", None)) == "enterprise"
    assert stub.calls["subscriptions"] == 1


def test_user_metadata_cannot_raise_a_tier():
    claims = build_claims("user-1", None, user_metadata={"subscription_tier": "enterprise"})
    claims["user_metadata"]["app_metadata"] = {"subscription_tier": "enterprise"}
    assert SupabaseTierResolver(None).tier_for(claims) == "free"

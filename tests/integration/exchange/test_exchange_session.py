"""ExchangeSession reads the environment once per host, and still obeys it: proxies, NO_PROXY
and a CA bundle, checked against a real local proxy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cl3_common.exchange.session import exchange_session


class _Proxy(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        _Proxy.seen.append(self.path)  # a proxy is sent the absolute URL
        body = b'{"via": "proxy"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Proxy.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_requests_go_through_the_environment_proxy(
    proxy_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = exchange_session(4, "test")
    for page in range(3):
        answer = session.get(f"http://exchange.invalid/api/v3/klines?page={page}", timeout=5)
        assert answer.json() == {"via": "proxy"}
    assert _Proxy.seen == [f"http://exchange.invalid/api/v3/klines?page={p}" for p in range(3)]


def test_no_proxy_hosts_are_reached_directly(
    proxy_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens: would fail
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    answer = exchange_session(4, "test").get(proxy_url + "/direct", timeout=5)
    assert answer.status_code == 200
    assert _Proxy.seen == ["/direct"]  # origin-form: no proxy in between


def test_ca_bundle_and_explicit_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/cl3/ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = exchange_session(4, "test")
    url = "https://api.binance.com/api/v3/klines"
    found = session.merge_environment_settings(url, {}, None, None, None)
    assert found["verify"] == "/etc/cl3/ca.pem"
    assert found["proxies"]["https"] == "http://proxy.invalid:3128"
    chosen = session.merge_environment_settings(url, {"https": "http://mine:1"}, None, False, None)
    assert chosen["verify"] is False
    assert chosen["proxies"]["https"] == "http://mine:1"


def test_the_environment_is_read_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://first.invalid:3128")
    session = exchange_session(4, "test")
    url = "https://api.binance.com/api/v3/klines"
    assert session.merge_environment_settings(url, {}, None, None, None)["proxies"]["https"] == (
        "http://first.invalid:3128"
    )
    monkeypatch.setenv("HTTPS_PROXY", "http://second.invalid:3128")
    again = session.merge_environment_settings(url + "?symbol=ETHUSDT", {}, None, None, None)
    assert again["proxies"]["https"] == "http://first.invalid:3128"  # kept for the host
    other = session.merge_environment_settings("https://fapi.binance.com/x", {}, None, None, None)
    assert other["proxies"]["https"] == "http://second.invalid:3128"  # a new host reads anew

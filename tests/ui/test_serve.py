"""`serve(settings)`: warm-up, host, auth and the warning for an open address, without starting a server."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.ui]


class _FakeAssistant:
    def __init__(self):
        self.warmed = self.closed = False

    def warm_up(self):
        self.warmed = True

    def documents(self):
        return []

    def close(self):
        self.closed = True


class _FakeDemo:
    def __init__(self):
        self.launched = None

    def queue(self, **kwargs):
        return self

    def launch(self, **kwargs):
        self.launched = kwargs


@pytest.fixture()
def fakes(monkeypatch):
    import app
    import assistant.core

    made = {"assistant": _FakeAssistant(), "demo": _FakeDemo()}
    monkeypatch.setattr(assistant.core, "build_assistant", lambda settings: made["assistant"])
    monkeypatch.setattr(app, "build_app", lambda a, s: made["demo"])
    return made


def _settings(**overrides):
    from assistant.settings import Settings

    base = dict(store="unused-store", llm=None, auth=None, host="127.0.0.1", port=7999)
    base.update(overrides)
    return Settings(**base)


def test_serve_warms_up_and_launches_on_loopback_by_default(fakes, capsys):
    import app

    assert app.serve(_settings()) == 0
    launched = fakes["demo"].launched
    assert fakes["assistant"].warmed and fakes["assistant"].closed
    assert launched["server_name"] == "127.0.0.1" and launched["server_port"] == 7999
    assert launched["auth"] is None and launched["css"] and launched["allowed_paths"] == []
    assert "warning" not in capsys.readouterr().err


def test_serve_warns_when_open_without_auth(fakes, capsys):
    import app

    assert app.serve(_settings(host="0.0.0.0")) == 0
    assert "warning: serving on 0.0.0.0 without a login" in capsys.readouterr().err


def test_serve_passes_auth_and_does_not_warn(fakes, capsys):
    import app

    assert app.serve(_settings(host="0.0.0.0", auth="ann:secret")) == 0
    guard = fakes["demo"].launched["auth"]
    guard.sleep = lambda seconds: None
    assert guard("ann", "secret") and not guard("ann", "wrong")
    assert "warning" not in capsys.readouterr().err


def test_serve_refuses_malformed_auth(fakes, capsys):
    import app

    assert app.serve(_settings(auth="no-colon")) == 2
    assert "USER:PASS" in capsys.readouterr().err
    assert fakes["demo"].launched is None


def test_ipv6_loopback_and_wildcard_work_like_their_ipv4_forms(fakes, capsys):
    import app

    assert app.serve(_settings(host="::1")) == 0
    assert fakes["demo"].launched["server_name"] == "[::1]"
    assert "warning" not in capsys.readouterr().err
    assert app.serve(_settings(host="::")) == 0
    assert fakes["demo"].launched["server_name"] == "[::]"
    assert "warning: serving on :: without a login" in capsys.readouterr().err


def test_a_real_server_on_the_ipv6_loopback_answers(tmp_path):
    """Gradio itself, on ::1: it builds its URLs from the address, which must be bracketed."""
    import socket
    import urllib.request

    import gradio as gr

    import app

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
        port = probe.getsockname()[1]
    with gr.Blocks() as demo:
        gr.Markdown("policyqa")
    demo.launch(server_name=app.bind_address("::1"), server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        with urllib.request.urlopen(f"http://[::1]:{port}/config", timeout=10) as response:
            assert response.status == 200
    finally:
        demo.close()


def test_wrong_logins_are_slowed_and_then_locked_out():
    import app

    now, slept = [1000.0], []
    guard = app.LoginGuard("ann", "secret", max_failures=5, window=300, lockout=60, delay=0.5,
                           clock=lambda: now[0], sleep=slept.append)
    assert guard("ann", "secret") and slept == []
    for _ in range(4):
        assert not guard("ann", "guess")
    assert guard("ann", "secret"), "fewer than five wrong tries lock nothing"
    for _ in range(5):
        assert not guard("ann", "guess")
    assert slept == [0.5] * 9, "every wrong try waits"
    assert not guard("ann", "secret"), "locked: the right password is refused too"
    now[0] += 61
    assert guard("ann", "secret"), "the lockout ends"

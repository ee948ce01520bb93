"""API keys of a home: the demo's keys (file mode 0600, reused on a second run), `closedloop keys create`,
and which key the simulated users send."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from cli.simulate import _client_key
from closedloop.serving.keys import configured_keys, ensure_keys, find_key, key_file
from closedloop.settings import Settings
from tests.kernel.test_cli import run_cli


def test_the_demo_keys_are_private_to_their_home_and_reused(tmp_path: Path):
    settings = Settings(home=tmp_path / "home")
    client, admin = ensure_keys(settings)
    path = key_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (client.role, client.trust, admin.role) == ("client", "trusted", "admin")
    assert ensure_keys(settings) == (client, admin)  # a second `closedloop demo` keeps its keys
    assert client.secret not in client.id and len(client.secret) >= 40
    assert _client_key(settings) == client.secret  # what the demo's replay sends
    keys = configured_keys(settings)
    assert find_key(keys, client.secret, role="client") == client
    assert find_key(keys, client.secret, role="admin") is None


def test_keys_create_writes_an_untrusted_key_and_list_shows_no_secret(tmp_path: Path):
    home = tmp_path / "home"
    made = run_cli("keys", "create", "--untrusted", "--json", home=home)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert (key["role"], key["trust"]) == ("client", "untrusted")
    listed = run_cli("keys", "list", "--json", home=home)
    assert json.loads(listed.stdout) == [{"id": key["id"], "role": "client", "trust": "untrusted"}]
    assert key["secret"] not in listed.stdout
    assert stat.S_IMODE((home / "api-keys.json").stat().st_mode) == 0o600

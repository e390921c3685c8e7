"""The copyable example client against the live endpoint over real HTTP (pytest-django's live_server)."""
import json
import os
import subprocess
import sys
import threading
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from platforms import client_example
from records.hours.models import PlatformRecord
from records.hours.selectors import credited_hours
from tests.platforms.helpers import issue, record_for

CLIENT = Path(client_example.__file__)

# transactional: the live server thread must see committed data (tests/conftest.py restores reference data).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen")]


def run_client(*args, token: str) -> subprocess.CompletedProcess:
    # -I -S: no site-packages and no project on the path, so the client proves it needs only the stdlib.
    return subprocess.run(
        [sys.executable, "-I", "-S", str(CLIENT), *args], capture_output=True, text=True, timeout=60,
        env={"CE_PLATFORM_TOKEN": token, "PATH": os.environ.get("PATH", "")},
    )


def test_the_client_sends_a_file_and_prints_each_result(live_server, tmp_path, alice, public_platform):
    token = issue(public_platform)
    records = [record_for(alice, 1), record_for(alice, 2, hours="2.5"), record_for(alice, 3, name="别人")]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    first = run_client("--url", live_server.url, str(path), token=token)
    again = run_client("--url", live_server.url, str(path), token=token)

    assert first.returncode == 1, first.stderr  # one record was rejected
    lines = first.stdout.splitlines()
    assert lines[0] == "0\tEXT-1\tcreated"
    assert lines[2].startswith("2\tEXT-3\trejected\tname_mismatch\t")
    assert lines[-1] == "created 2, duplicate 0, rejected 1"
    assert again.stdout.splitlines()[-1] == "created 0, duplicate 2, rejected 1"
    assert PlatformRecord.objects.count() == 2
    assert credited_hours(alice.pk, 2025) == (D("4.5"), D("0"))


def test_a_refused_batch_exits_2_with_the_portals_reason(live_server, tmp_path, alice, public_platform):
    issue(public_platform)
    path = tmp_path / "records.json"
    path.write_text(json.dumps([record_for(alice)]), encoding="utf-8")

    result = run_client("--url", live_server.url, str(path), token="cep_wrong")

    assert result.returncode == 2
    assert "HTTP 401 invalid_token" in result.stderr
    assert not PlatformRecord.objects.exists()


def test_demo_mode_generates_records_the_portal_accepts(live_server, monkeypatch, capsys, alice, public_platform):
    monkeypatch.setenv("CE_PLATFORM_TOKEN", issue(public_platform))

    code = client_example.main(["--url", live_server.url, "--demo", "3", "--id-number", alice.id_number,
                                "--name", alice.name])

    assert code == 0
    assert capsys.readouterr().out.splitlines()[-1] == "created 3, duplicate 0, rejected 0"
    assert credited_hours(alice.pk, 2025) == (D("4.5"), D("0"))


def test_a_network_failure_is_retried_and_then_given_up(monkeypatch, db):
    # Nothing listens on port 9 (discard) on loopback: every attempt fails to connect, quickly.
    monkeypatch.setattr(client_example, "RETRY_PAUSES", (0, 0))
    with pytest.raises(ConnectionError, match="after 3 attempts"):
        client_example.post_batch("http://127.0.0.1:9", "cep_x", [{}], timeout=2)


def test_a_503_is_retried_and_the_next_answer_used(monkeypatch, db):
    answers = [(503, b"busy"), (200, b'{"received": 0, "created": 0, "duplicate": 0, "rejected": 0, "results": []}')]

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            status, body = answers.pop(0)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(client_example, "RETRY_PAUSES", (0,))
    try:
        answer = client_example.post_batch(f"http://127.0.0.1:{server.server_port}", "cep_x", [{}])
    finally:
        server.shutdown()
    assert answer["received"] == 0
    assert answers == []

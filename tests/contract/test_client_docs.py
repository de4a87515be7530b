"""The examples in docs/clients.md are the tested ones: each fenced sh and python block runs, in
the order written, against a live server. A block that fails (curl --fail, jq -e, an assert)
fails the test, so the guide cannot drift from the server."""

import os
import re
import subprocess
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "clients.md"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.M | re.S)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(GUIDE.read_text("utf-8"))]


def test_the_guide_has_shell_and_python_examples_for_each_topic():
    kinds = [kind for kind, _code in _blocks()]
    assert kinds.count("sh") >= 3 and kinds.count("python") >= 6
    text = GUIDE.read_text("utf-8")
    for topic in ("client_credentials", "refresh_token", "Idempotency-Key", "If-None-Match",
                  "If-Match", "next_cursor", "/api/v1/changes"):
        assert topic in text


def test_every_example_in_the_guide_runs_against_a_live_server(live):
    names = {"BASE_URL": live.base_url, "USERNAME": live.username, "PASSWORD": live.password,
             "CLIENT_ID": live.client_id, "CLIENT_SECRET": live.client_secret}
    namespace: dict[str, object] = dict(names)
    for number, (kind, code) in enumerate(_blocks(), start=1):
        if kind == "python":
            exec(compile(code, f"docs/clients.md block {number}", "exec"), namespace)  # noqa: S102
            continue
        # The guide's own text, run as a reader would paste it into a shell.
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code],  # noqa: S603,S607
                              env={**os.environ, **names}, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, f"block {number} failed:\n{code}\n{done.stdout}{done.stderr}"

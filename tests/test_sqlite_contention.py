"""On the embedded default (SQLite), two people acting on one claim at once get the same answers as on
PostgreSQL: one wins, the other is told the claim was already decided; never a "database is locked" 500."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_races_on_sqlite_end_in_one_winner_and_a_clear_refusal(tmp_path):
    finished = subprocess.run([sys.executable, "-m", "tests.processes.sqlite_race", str(tmp_path / "race.sqlite3")],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(finished.stdout.strip().splitlines()[-1])
    assert results.pop("two_pushes") == [["ok", "ok"]] * 8
    # Each batch is registered once: one push creates its three records, the other finds them there.
    pushed = results.pop("pushed")
    assert sorted(map(tuple, pushed)) == sorted([("created",) * 3, ("duplicate",) * 3] * 8)
    for race, rounds in results.items():
        for outcome in rounds:
            assert sorted(outcome) == ["already_decided", "ok"] or (
                race == "withdraw_and_approve" and sorted(outcome) == ["invalid_transition", "ok"]), (race, rounds)

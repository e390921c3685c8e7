#!/usr/bin/env python3
"""学习平台推送学时 —— 示例客户端 (example client for the ce-portal platform ingestion API).

Copy this one file: it needs nothing but Python 3.9+ and its standard library.

    export CE_PLATFORM_TOKEN=cep_…        # 市人社局在管理后台签发，只显示一次
    python3 client_example.py --url https://portal.example records.json
    python3 client_example.py --url http://127.0.0.1:8000 --demo 3 --id-number 41040019650101903X --name 张三

records.json is a JSON array of records (or {"records": [...]}), each with external_id, id_number, name,
course_title, category ("public" | "professional"), hours and completed_at (ISO 8601, e.g.
2025-05-01T10:30:00+08:00). They are sent in batches of 1,000. A batch that fails on the network, or gets
429 or a 5xx, is sent again after a pause: that is safe, because a record the portal already has comes back
as `duplicate` and is not counted twice.

Prints one line per record (index, external_id, status, code, message) and a summary. Exit status: 0 when
no record was rejected, 1 when some were, 2 when a whole batch was refused (bad token, malformed body…).
"""
import argparse
import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.request

API_PATH = "/api/v1/platform/records/"
BATCH_SIZE = 1000
RETRY_PAUSES = (1, 4, 15)  # seconds before the 2nd, 3rd and 4th attempt


class BatchRefused(Exception):
    """The portal refused the whole batch (4xx); nothing of it was registered."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"HTTP {status} {body.get('code')}: {body.get('message')}")
        self.status = status
        self.body = body


def post_batch(base_url: str, token: str, records: list, *, timeout: float = 60.0) -> dict:
    """POST one batch; return the portal's answer {received, created, duplicate, rejected, results}."""
    body = json.dumps({"records": records}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        base_url.rstrip("/") + API_PATH, data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    for attempt, pause in enumerate((*RETRY_PAUSES, None)):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code != 429 and error.code < 500:
                raise BatchRefused(error.code, _json_or_text(error.read())) from None
            problem = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            problem = str(getattr(error, "reason", error))
        if pause is None:
            raise ConnectionError(f"giving up after {attempt + 1} attempts: {problem}")
        print(f"  attempt {attempt + 1} failed ({problem}); retrying in {pause} s", file=sys.stderr)
        time.sleep(pause)


def _json_or_text(raw: bytes) -> dict:
    try:
        return json.loads(raw)
    except ValueError:
        return {"code": None, "message": raw.decode("utf-8", "replace")[:500]}


def demo_records(count: int, *, id_number: str, name: str, category: str) -> list:
    """`count` completed courses of one learner, finished in the last hours (ids unique per run)."""
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    stamp = now.strftime("%Y%m%d%H%M%S")
    return [
        {
            "external_id": f"DEMO-{stamp}-{n}",
            "id_number": id_number,
            "name": name,
            "course_title": f"示例课程 {n}",
            "category": category,
            "hours": "1.5",
            "completed_at": (now - dt.timedelta(hours=count - n)).isoformat(timespec="seconds"),
        }
        for n in range(1, count + 1)
    ]


def load_records(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["records"] if isinstance(data, dict) else data


def send(base_url: str, token: str, records: list, out=sys.stdout) -> dict:
    """Send every record in batches; print one line per record; return the summed counts."""
    totals = {"created": 0, "duplicate": 0, "rejected": 0}
    for start in range(0, len(records), BATCH_SIZE):
        answer = post_batch(base_url, token, records[start:start + BATCH_SIZE])
        for result in answer["results"]:
            detail = f"\t{result['code']}\t{result['message']}" if result["status"] == "rejected" else ""
            print(f"{start + result['index']}\t{result['external_id']}\t{result['status']}{detail}", file=out)
        for key in totals:
            totals[key] += answer[key]
    return totals


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Push completed learning records to ce-portal.")
    parser.add_argument("--url", required=True, help="portal base URL, e.g. https://portal.example")
    parser.add_argument("file", nargs="?", help="JSON file with the records (omit with --demo)")
    parser.add_argument("--demo", type=int, metavar="N", help="send N generated records instead of a file")
    parser.add_argument("--id-number", help="learner's ID number for --demo")
    parser.add_argument("--name", help="learner's name for --demo")
    parser.add_argument("--category", default="public", choices=["public", "professional"])
    args = parser.parse_args(argv)

    token = os.environ.get("CE_PLATFORM_TOKEN")
    if not token:
        parser.error("set CE_PLATFORM_TOKEN to the token the city HR bureau issued")
    if args.demo:
        if not (args.id_number and args.name):
            parser.error("--demo needs --id-number and --name of a registered professional")
        records = demo_records(args.demo, id_number=args.id_number, name=args.name, category=args.category)
    elif args.file:
        records = load_records(args.file)
    else:
        parser.error("give a JSON file or --demo N")

    try:
        totals = send(args.url, token, records)
    except BatchRefused as refused:
        print(f"batch refused: {refused}", file=sys.stderr)
        return 2
    print(f"created {totals['created']}, duplicate {totals['duplicate']}, rejected {totals['rejected']}")
    return 1 if totals["rejected"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""The locustfile of bench/load.py: the city's users as locust user classes. Not run on its own: load.py
writes the plan (accounts with their session keys, the platform tokens, how many users of each kind, where
to log what they did) and names it in CE_LOAD_PLAN.

- Professional: this year's page (with the person's own name), last year's page, a claim's page, and filing
  a claim through the real form: GET the form (CSRF token), POST it with a small PDF as a draft, open the
  draft, submit it from there, and see it 待单位审核.
- Reviewer (one unit each, so that no two reviewers race for a claim): the queue, a claim's review page,
  its evidence (the must-view rule: approval passes only after this reviewer opened every file), then
  approval with the version the page showed.
- Platform: batches of records for the bench's professionals through POST /api/v1/platform/records/, each
  with an external id unique to the run; every record must come back `created`.
- County HR bureau: its overdue monitor, its compliance list (first page, a deeper page, the non-compliant
  filter) and its desk.

Every request is checked: its status, and a marker of the right page (a page of someone else, a login page
or an error page with status 200 counts as a failure). Requests are named by page, never by URL with ids.
What each user achieved (claims filed, decisions made, records created) is appended to the actions file as
one JSON line per act, written after the server confirmed it; load.py compares that with the database.
"""
import datetime as dt
import itertools
import json
import os
import random
import re
import uuid
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["CE_LOAD_PLAN"]).read_text(encoding="utf-8"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
THINK = between(*PLAN["think_seconds"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_actions = open(PLAN["actions"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (open for the run)


def did(kind: str, **facts) -> None:
    """One line per confirmed act; one process (gevent), so a line is written whole."""
    _actions.write(json.dumps({"kind": kind, "t": round(dt.datetime.now().timestamp(), 3), **facts},
                              ensure_ascii=False) + "\n")


# Every response by status class, and every 5xx, for load.py's "no 5xx" line (locust's failure table says
# why a request failed; this says what the server answered).
_status_counts: dict[str, int] = {}


@events.request.add_listener
def _count_status(name, response, exception, **_):
    status = getattr(response, "status_code", 0) or 0
    key = f"{status // 100}xx" if status else "no response"
    _status_counts[key] = _status_counts.get(key, 0) + 1
    if status >= 500:
        did("server_error", page=name, status=status)


@events.quitting.add_listener
def _write_final_figures(environment, **_):
    """Once every user has stopped: the status counts, and the per-page figures as locust's summary has them
    (its CSV files are written by a greenlet that the stop ends, so they may miss the last seconds)."""
    did("status_counts", counts=_status_counts)
    _actions.flush()
    stats = environment.runner.stats

    def figures(entry):
        return {"method": entry.method, "name": entry.name, "requests": entry.num_requests,
                "failures": entry.num_failures, "rps": entry.total_rps,
                "p50": entry.get_response_time_percentile(0.5), "p99": entry.get_response_time_percentile(0.99),
                "max": entry.max_response_time, "avg": entry.avg_response_time}

    Path(PLAN["figures"]).write_text(json.dumps({
        "pages": [figures(e) for e in stats.entries.values()], "total": figures(stats.total),
        "errors": [{"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
                   for e in stats.errors.values()],
    }, ensure_ascii=False, indent=1), encoding="utf-8")


class CheckedUser(HttpUser):
    abstract = True
    wait_time = THINK

    def check(self, method: str, path: str, name: str, *, status: int = 200, markers=(), location: str = "",
              **kwargs):
        """The response if it is the expected page (status, markers in the body, or the redirect's target
        matching `location`), else None with the request counted as a failure saying why."""
        with self.client.request(method, path, name=name, catch_response=True, allow_redirects=False,
                                 **kwargs) as response:
            problem = ""
            if response.status_code != status:
                problem = f"HTTP {response.status_code}, expected {status}"
                if response.status_code in (301, 302, 303):
                    problem += f" (to {response.headers.get('Location', '?')})"
            elif location and not re.fullmatch(location, response.headers.get("Location", "")):
                target = response.headers.get("Location", "")
                problem = f"redirected to {target!r}, expected {location!r}"
                if target.startswith("/"):  # a refusal: the notice on the page it sent us to says why
                    notices = re.findall(r'<li class="msg-[a-z ]+">(.*?)</li>',
                                         self.client.get(target, name=f"{name}, refused: the notice").text or "")
                    problem += f"; the page says: {'；'.join(notices) or '(nothing)'}"
            else:
                text = response.text or ""
                missing = [m for m in markers if m not in text]
                if missing:
                    problem = f"not the expected page: {missing[0]!r} missing"
                    notices = re.findall(r'<li class="msg-[a-z ]+">(.*?)</li>', text)
                    if notices:  # a refusal said why
                        problem += f"; the page says: {'；'.join(notices)}"
            if problem:
                response.failure(problem)
                return None
            response.success()
            return response


def _next_of(accounts):
    pool = itertools.cycle(accounts)
    return lambda: next(pool)


# --- professionals ---------------------------------------------------------------------------------------

_professional = _next_of(PLAN["professionals"])


def _pdf(token: str) -> bytes:
    """A one-page PDF unique to `token`: no two claims share a scan (screening flags shared scans)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        + f"% {token}\n".encode("ascii") + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


KINDS = ["face_to_face", "workshop", "lecture", "tech_promotion"]


class Professional(CheckedUser):
    fixed_count = PLAN["mix"]["professional"]

    def on_start(self):
        self.me = _professional()
        self.client.cookies.set("sessionid", self.me["session"])
        self.claims: list[int] = []

    @task(4)
    def this_year(self):
        self.check("GET", "/me/", "professional: this year (/me/)",
                   markers=('data-home="professional"', self.me["name"]))

    @task(1)
    def last_year(self):
        year = dt.datetime.now(SHANGHAI).year - 1
        self.check("GET", f"/me/years/{year}/", "professional: last year (/me/years/Y/)",
                   markers=(f"{year} 年度学时（只读）",))

    @task(1)
    def a_claim(self):
        if self.claims:
            self.check("GET", f"/me/claims/{random.choice(self.claims)}/", "professional: claim page",
                       markers=("data-status=",))

    @task(2)
    def file_claim(self):
        form = self.check("GET", "/me/claims/new/", "professional: claim form (GET)",
                          markers=("<h1>申报学时</h1>", "csrfmiddlewaretoken"))
        if form is None:
            return
        token = uuid.uuid4().hex[:12]
        today = dt.datetime.now(SHANGHAI).date()  # an activity of today: ended, and in an open year
        title = f"压测申报 {token}"
        saved = self.check(
            "POST", "/me/claims/new/", "professional: claim form (POST, with PDF)", status=302,
            location=r"/me/claims/\d+/",
            data={"csrfmiddlewaretoken": CSRF.search(form.text).group(1), "action": "draft",
                  "kind": random.choice(KINDS), "category": random.choice(("public", "professional")),
                  "title": title, "content": "压测：新技术专题讲座", "provider_base": "",
                  "provider_name": "平顶山市继续教育学会", "start_date": today.isoformat(),
                  "end_date": today.isoformat(), "hours": str(random.randrange(1, 9)), "result": "合格",
                  "external_certificate_no": ""},
            files={"evidence": (f"证书-{token}.pdf", _pdf(token), "application/pdf")},
        )
        if saved is None:
            return
        path = saved.headers["Location"]
        claim_id = int(re.search(r"/(\d+)/$", path).group(1))
        did("drafted", claim=claim_id, title=title, professional=self.me["professional"])
        self.claims.append(claim_id)
        draft = self.check("GET", path, "professional: claim page", markers=('data-status="draft"', title))
        if draft is None:
            return
        submitted = self.check("POST", f"{path}submit/", "professional: submit claim (POST)", status=302,
                               location=re.escape(path),
                               data={"csrfmiddlewaretoken": CSRF.search(draft.text).group(1)})
        if submitted is None:
            return
        # A refusal also lands on the claim's page: only the status there says whether it went through.
        if self.check("GET", path, "professional: claim page", markers=(title, 'data-status="submitted"')):
            did("submitted", claim=claim_id, professional=self.me["professional"])


# --- unit reviewers --------------------------------------------------------------------------------------

_reviewer = _next_of(PLAN["reviewers"])
QUEUE_ROW = re.compile(r'<tr data-claim="(\d+)"')
APPROVE_VERSION = re.compile(
    r'class="decision decision-approve">.*?name="version" value="(\d+)"', re.DOTALL)


class Reviewer(CheckedUser):
    fixed_count = PLAN["mix"]["reviewer"]

    def on_start(self):
        self.me = _reviewer()
        self.client.cookies.set("sessionid", self.me["session"])

    def queue(self) -> list[int]:
        page = self.check("GET", "/review/", "reviewer: queue (/review/)",
                          markers=("<h1>待审核申报</h1>", self.me["unit_name"]))
        return [int(pk) for pk in QUEUE_ROW.findall(page.text)] if page is not None else []

    @task(1)
    def look_at_queue(self):
        self.queue()

    @task(3)
    def review_one(self):
        waiting = self.queue()
        if not waiting:
            return
        claim_id = waiting[0]  # the earliest due, as the page lists them
        path = f"/review/claims/{claim_id}/"
        page = self.check("GET", path, "reviewer: claim review page",
                          markers=("申报审核：", "decision-approve", 'name="version"', "data-evidence="))
        if page is None:
            return
        version = int(APPROVE_VERSION.search(page.text).group(1))
        evidence = re.findall(r'data-evidence="(\d+)"', page.text)
        for evidence_id in evidence:  # what the page's frames load
            opened = self.check("GET", f"/evidence/{evidence_id}/?inline=1", "reviewer: evidence (PDF)",
                                markers=("%PDF-",))
            if opened is None:
                return
        decided = self.check(
            "POST", f"{path}decide/", "reviewer: approve (POST)", status=302, location="/review/",
            data={"csrfmiddlewaretoken": CSRF.search(page.text).group(1), "action": "approve", "reason": "",
                  "version": version},
        )
        if decided is None:
            return
        did("approved", claim=claim_id, reviewer=self.me["user"], version=version)


# --- learning platforms ----------------------------------------------------------------------------------

_platform = _next_of(PLAN["platforms"])
COURSES = {"public": "公需科目：专业技术人员创新能力建设（压测）", "professional": "专业科目：新技术新方法专题（压测）"}
_platform_numbers = itertools.count(1)


class Platform(HttpUser):
    fixed_count = PLAN["mix"]["platform"]
    wait_time = THINK

    def on_start(self):
        self.me = _platform()
        self.prefix = f"{PLAN['external_id_prefix']}{next(_platform_numbers)}-"
        self.sequence = itertools.count(1)
        self.headers = {"Authorization": f"Bearer {self.me['token']}", "Content-Type": "application/json"}

    @task
    def push_batch(self):
        now = dt.datetime.now(SHANGHAI)
        earliest = max(now - dt.timedelta(hours=6), now.replace(month=1, day=1, hour=0, minute=0, second=0))
        span = max(1, int((now - earliest).total_seconds()) - 60)
        records = []
        for _ in range(PLAN["batch"]):
            learner = random.choice(PLAN["learners"])
            records.append({
                "external_id": f"{self.prefix}{next(self.sequence)}",
                "id_number": learner["id_number"], "name": learner["name"],
                "course_title": COURSES[self.me["category"]], "category": self.me["category"],
                "hours": str(Decimal(random.randrange(1, 9)) / 2),
                "completed_at": (earliest + dt.timedelta(seconds=random.randrange(span))).isoformat(timespec="seconds"),
            })
        with self.client.post("/api/v1/platform/records/", data=json.dumps({"records": records}, ensure_ascii=False),
                              headers=self.headers, name="platform: push batch (API)", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}: {(r.text or '')[:200]}")
                return
            results = r.json().get("results", [])
            created = [res["external_id"] for res in results if res.get("status") == "created"]
            if len(created) != len(records):
                odd = next((res for res in results if res.get("status") != "created"), results[:1])
                r.failure(f"{len(created)} of {len(records)} created; e.g. {odd}")
            else:
                r.success()
            hours: dict[str, str] = {}
            done = set(created)
            for record in records:
                if record["external_id"] in done:
                    hours[record["category"]] = str(Decimal(hours.get(record["category"], "0"))
                                                    + Decimal(record["hours"]))
            if created:
                did("pushed", platform=self.me["platform"], ids=created, hours=hours)


# --- the county HR bureau --------------------------------------------------------------------------------

COUNTY = PLAN["county"]


class CountyBureau(CheckedUser):
    fixed_count = PLAN["mix"]["county"]

    def on_start(self):
        self.client.cookies.set("sessionid", COUNTY["session"])

    @task(3)
    def monitor(self):
        self.check("GET", f"/monitor/region/{COUNTY['region']}/", "county: overdue monitor",
                   markers=(f"{COUNTY['name']}逾期审核监控",))

    @task(3)
    def compliance_first_page(self):
        self.check("GET", "/compliance/", "county: compliance list, page 1",
                   markers=('id="compliance-rows"', COUNTY["name"]))

    @task(1)
    def compliance_deep_page(self):
        self.check("GET", f"/compliance/?page={random.randrange(2, COUNTY['pages'] + 1)}",
                   "county: compliance list, page N", markers=('id="compliance-rows"', COUNTY["name"]))

    @task(1)
    def compliance_not_compliant(self):
        self.check("GET", "/compliance/?compliant=no", "county: compliance list, not compliant",
                   markers=('id="compliance-rows"', COUNTY["name"]))

    @task(1)
    def desk(self):
        self.check("GET", "/county/", "county: desk (/county/)", markers=("县（市、区）人社局工作台",))

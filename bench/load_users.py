"""The simulated people of `bench/load.py`: each a thread browsing and tagging, its timings."""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field

import requests

USER_PASSWORD = "bench-user-password-1"
HX = {"HX-Request": "true"}

#: Scenario name -> weight: how often a user picks it.
SCENARIOS = {
    "licenses: first page": 3,
    "licenses: by tag": 2,
    "licenses: by tree node": 2,
    "licenses: by status": 2,
    "licenses: search": 2,
    "licenses: sort": 2,
    "licenses: paging": 2,
    "customers": 1,
    "computers": 1,
    "tag edit": 2,
}


@dataclass(frozen=True)
class Lookups:
    """Real values for the users' filters, picked from the database."""

    tags: list[str]
    nodes: list[int]
    licenses: list[int]
    terms: list[str]
    pages: int


def lookups(app, account_id: int) -> Lookups:
    """Sample tags, tree nodes, license ids and search terms of the account."""
    from sqlalchemy import select

    from mspweb.extensions import db
    from mspweb.models import Company, License, Tag

    rng = random.Random(7)
    with app.app_context():
        tags = list(db.session.scalars(select(Tag.name).order_by(Tag.id).limit(400)))
        nodes = list(
            db.session.scalars(
                select(Company.id).where(
                    Company.account_id == account_id, Company.in_license_tree.is_(True)
                )
            )
        )
        license_ids = list(
            db.session.scalars(select(License.id).where(License.account_id == account_id))
        )
        products = list(db.session.scalars(select(License.product_name).distinct()))
        count = len(license_ids)
    words = sorted({word for name in products + tags for word in re.findall(r"\w{4,}", name)})
    return Lookups(
        tags=rng.sample(tags, min(60, len(tags))),
        nodes=rng.sample(nodes, min(60, len(nodes))),
        licenses=rng.sample(license_ids, min(2000, len(license_ids))),
        terms=rng.sample(words, min(40, len(words))) + ["ESET", "Endpoint"],
        pages=max(1, count // 50),
    )


def sign_in(base: str, email: str) -> tuple[requests.Session, str]:
    """A session signed in through the login form, and its CSRF token from a page's meta."""
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=60).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    answer = session.post(
        f"{base}/login",
        timeout=60,
        allow_redirects=False,
        data={"email": email, "password": USER_PASSWORD, "csrf_token": token},
    )
    if answer.status_code != 302:
        raise SystemExit(f"sign-in of {email} failed: {answer.status_code}")
    page = session.get(f"{base}/licenses", timeout=120).text
    return session, re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


@dataclass
class Record:
    """One request: its scenario, latency, and whether it went right."""

    scenario: str
    ms: float
    ok: bool
    status: int | str


@dataclass
class User:
    """One person: a signed-in session, its own random choices, its tag edits in flight."""

    number: int
    base: str
    session: requests.Session
    csrf: str
    rng: random.Random
    pending_tags: list[tuple[int, str]] = field(default_factory=list)
    edits: int = 0

    def request(self, look: Lookups) -> Record:
        """Pick a scenario, send its request, and time it."""
        scenario = self.rng.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0]
        method, path, data, headers, marker = self._build(scenario, look)
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                f"{self.base}{path}",
                data=data,
                headers=headers,
                timeout=120,
                allow_redirects=False,
            )
            ok = response.status_code == 200 and marker in response.text
            status: int | str = response.status_code
        except requests.RequestException as error:
            ok, status = False, type(error).__name__
        return Record(scenario, (time.perf_counter() - started) * 1000, ok, status)

    def _build(self, scenario: str, look: Lookups):
        rng = self.rng
        table = 'id="license-table"'
        if scenario == "licenses: first page":
            return "GET", "/licenses", None, {}, table
        if scenario == "customers":
            return "GET", "/customers", None, {}, "<table"
        if scenario == "computers":
            return "GET", "/computers", None, {}, 'id="computers-tree"'
        if scenario == "tag edit":
            return self._tag_edit(look)
        query = {
            "licenses: by tag": lambda: {"tag": rng.choice(look.tags)},
            "licenses: by tree node": lambda: {"company": rng.choice(look.nodes)},
            "licenses: by status": lambda: {
                "status": rng.choice(
                    ["expired", "expiring", "overused", "trial", "suspended", "normal"]
                )
            },
            "licenses: search": lambda: {"q": rng.choice(look.terms)},
            "licenses: sort": lambda: {
                "sort": rng.choice(
                    ["product", "user", "units", "expiration", "status", "tags", "pool"]
                ),
                "dir": rng.choice(["asc", "desc"]),
            },
            "licenses: paging": lambda: {"page": rng.randint(2, look.pages)},
        }[scenario]()
        path = "/licenses?" + "&".join(
            f"{key}={requests.utils.quote(str(value))}" for key, value in query.items()
        )
        return "GET", path, None, HX, table

    def _tag_edit(self, look: Lookups):
        headers = {**HX, "X-CSRFToken": self.csrf}
        if self.pending_tags and self.rng.random() < 0.5:
            license_id, name = self.pending_tags.pop(0)
            return (
                "POST",
                "/licenses/tags",
                {"license": str(license_id), "name": name, "action": "remove"},
                headers,
                "Removed tag",
            )
        license_id = self.rng.choice(look.licenses)
        self.edits += 1
        name = f"bench-{self.number}-{self.edits % 7}"
        self.pending_tags.append((license_id, name))
        return "POST", f"/licenses/{license_id}/tags", {"name": name}, headers, name


def run_phase(users: list[User], look: Lookups, seconds: float) -> tuple[list[Record], float]:
    """Every user sends requests back to back for `seconds`; their records, and the start."""
    records: list[Record] = []
    lock = threading.Lock()
    started = time.time()
    stop_at = time.monotonic() + seconds

    def person(user: User) -> None:
        mine = []
        while time.monotonic() < stop_at:
            mine.append(user.request(look))
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=person, args=(user,), daemon=True) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 300)
    return records, started

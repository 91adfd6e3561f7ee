"""How fast the sandbox starts and serves a 100-license page of Search/Licenses.

Run: ``.venv/bin/python bench/sandbox_speed.py [--companies 2000] [--licenses 50000]``.
Prints the world build/start time and the median/p95 of a page over a keep-alive session.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from mspweb.sandbox import SandboxConfig, create_app  # noqa: E402
from mspweb.sandbox.server import run_in_thread  # noqa: E402
from mspweb.sandbox.world import MAIN_ACCOUNT  # noqa: E402


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def time_pages(
    session: requests.Session, url: str, headers: dict, total: int, rounds: int
) -> list[float]:
    """Seconds per ``Search/Licenses`` page of 100, at skips spread over the whole list."""
    samples = []
    for index in range(rounds):
        skip = (index * 9973) % max(1, total - 100)
        started = time.perf_counter()
        response = session.post(
            url,
            json={"keyword": "", "customerId": None, "skip": skip, "take": 100},
            headers=headers,
        )
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200 and len(response.json()["search"]) == 100
    return samples


def main() -> None:
    """Start the sandbox in-process and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    started = time.perf_counter()
    server = run_in_thread(
        create_app(SandboxConfig(companies=args.companies, licenses=args.licenses))
    )
    startup = time.perf_counter() - started
    try:
        session = requests.Session()
        base = f"{server.url}/msp"
        tokens = session.post(
            f"{base}/Token/Get",
            json={"username": MAIN_ACCOUNT.username, "password": MAIN_ACCOUNT.password},
        ).json()
        headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
        first_started = time.perf_counter()
        total = session.post(f"{base}/Search/Licenses", json={"take": 100}, headers=headers).json()[
            "totalCount"
        ]
        first = time.perf_counter() - first_started
        samples = time_pages(session, f"{base}/Search/Licenses", headers, total, args.rounds)
        fresh = [
            time_pages(requests.Session(), f"{base}/Search/Licenses", headers, total, 1)[0]
            for _ in range(30)
        ]
    finally:
        server.stop()

    print(f"world: {args.companies} companies, {args.licenses} licenses ({total} listable)")
    print(f"build + start:            {startup * 1000:8.1f} ms")
    print(f"first page (cold cache):  {first * 1000:8.1f} ms")
    print(
        f"page of 100, keep-alive:  median {statistics.median(samples) * 1000:.2f} ms, "
        f"p95 {percentile(samples, 0.95) * 1000:.2f} ms ({len(samples)} calls)"
    )
    print(
        f"page of 100, new socket:  median {statistics.median(fresh) * 1000:.2f} ms, "
        f"p95 {percentile(fresh, 0.95) * 1000:.2f} ms ({len(fresh)} calls)"
    )


if __name__ == "__main__":
    main()

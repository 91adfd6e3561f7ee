"""CSV export speed: rows per second and peak memory of /licenses/export.csv.

    .venv/bin/python bench/export.py --companies 8000 --licenses 200000
    DATABASE_URL=postgresql://... .venv/bin/python bench/export.py --licenses 200000

Uses the page benchmark's dataset (`bench/pages.py` builds it once, then reuses it), signs in
with the Flask test client and reads the streamed export chunk by chunk, never holding it whole.
A thread samples the process's resident memory every 5 ms: "peak" is the highest resident set
during the export minus the one before it, so a constant-memory stream shows the same peak at
50,000 and at 200,000 rows. Target: at least 50,000 rows per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import BENCH_EMAIL, BENCH_PASSWORD, make_app, prepare  # noqa: E402

TARGET_ROWS_PER_SECOND = 50_000
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


class PeakSampler(threading.Thread):
    """Samples the resident set until stopped; `peak` is the highest seen."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = resident_bytes()
        self.running = True

    def run(self) -> None:
        """Sample every 5 ms."""
        while self.running:
            self.peak = max(self.peak, resident_bytes())
            time.sleep(0.005)


def export_once(client, url: str) -> tuple[int, int, float, float, int]:
    """Stream one export: (data rows, bytes, seconds, CPU seconds of this process, peak
    resident growth in bytes). On a busy machine rows per CPU second shows the cost without
    the waiting (with PostgreSQL, the server's own work is not in it)."""
    before = resident_bytes()
    sampler = PeakSampler()
    sampler.start()
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url, buffered=False)
    lines = size = 0
    for chunk in response.response:
        lines += chunk.count(b"\n")
        size += len(chunk)
    response.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    sampler.running = False
    sampler.join()
    return lines - 1, size, seconds, cpu, sampler.peak - before


def main() -> None:
    """Build or reuse the dataset, then time the export `--repeat` times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", default="/licenses/export.csv")
    args = parser.parse_args()
    app = make_app(args.licenses)
    prepare(app, args.companies, args.licenses, rebuild=False)
    client = app.test_client()
    response = client.post("/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD})
    assert response.status_code == 302, response.text
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(
        f"\n{args.url} on {database}, load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"{'run':>4} {'rows':>9} {'MB':>7} {'seconds':>8} {'rows/s':>9} {'rows/cpu-s':>11} "
        f"{'peak MB':>8}"
    )
    rates = []
    for number in range(1, args.repeat + 1):
        rows, size, seconds, cpu, peak = export_once(client, args.url)
        rates.append(rows / seconds)
        print(
            f"{number:4} {rows:9,} {size / 1e6:7.1f} {seconds:8.2f} {rows / seconds:9,.0f} "
            f"{rows / cpu:11,.0f} {peak / 1e6:8.1f}"
        )
    best = max(rates)
    verdict = "met" if best >= TARGET_ROWS_PER_SECOND else "missed"
    print(f"best {best:,.0f} rows/s (target {TARGET_ROWS_PER_SECOND:,}: {verdict})")


if __name__ == "__main__":
    main()

"""The figures of `bench/load.py`: CPU per process group, percentiles, the machine."""

from __future__ import annotations

import os
import platform
from collections import defaultdict

from bench.load_users import Record


def _process_cpu(pid: int) -> float:
    """CPU seconds of a process and its reaped children (utime, stime, cutime, cstime)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _named(command: str) -> list[int]:
    """The processes whose command name is `command` (e.g. every PostgreSQL backend)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == command:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _machine_cpu() -> float:
    """CPU seconds the whole machine spent busy so far (every process, others' included)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far: this benchmark process ("bench client"), each named process group
    (a process and its children), PostgreSQL (every backend, exited ones via the postmaster)
    and the whole machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    snapshot = {"bench client": usage.ru_utime + usage.ru_stime}
    for name, pid in groups.items():
        snapshot[name] = _process_cpu(pid) + sum(_process_cpu(child) for child in _children(pid))
    snapshot["postgres"] = sum(_process_cpu(pid) for pid in _named("postgres"))
    snapshot["whole machine"] = _machine_cpu()
    return snapshot


def cpu_used(before: dict[str, float], after: dict[str, float]) -> str:
    """The CPU seconds each group used between two snapshots, in words."""
    return ", ".join(f"{name} {after[name] - before.get(name, 0.0):.0f} s" for name in after)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, -(-int(share * 100) * len(ordered) // 100) - 1)]


def summary(records: list[Record]) -> dict[str, tuple[int, int, float, float]]:
    """Per scenario and "overall": (requests, errors, p50 ms, p95 ms)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[record.scenario].append(record)
    groups["overall"] = records
    return {
        name: (
            len(group),
            sum(not r.ok for r in group),
            percentile([r.ms for r in group], 0.50),
            percentile([r.ms for r in group], 0.95),
        )
        for name, group in groups.items()
    }


def machine() -> str:
    """nproc, CPU model, RAM, OS and Python."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        kb = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
    return (
        f"{os.cpu_count()} CPUs ({model}), {kb / 1024 / 1024:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )

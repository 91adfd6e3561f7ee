"""The CPU budget of a benchmark step: who spent how much CPU while it ran.

`CpuBudget` measures, around a step run in a child process: this process's own CPU (the
benchmarks serve the sandbox portal from threads of it), the child's, and the rest of the
machine's busy time (`psutil.cpu_times`: the database server on PostgreSQL, and anything
else running, so it is meaningful on an otherwise quiet machine). `print_budget` prints them
with the shortest wall time that much work allows when every CPU is busy all the time.
"""

from __future__ import annotations

import os
import resource
from types import TracebackType


def _own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy (every process, every CPU) since boot."""
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class CpuBudget:
    """``with CpuBudget() as budget: run a child``; then ``budget.own`` (this process),
    ``budget.children`` (the child, whole) and ``budget.other`` (the rest of the machine)."""

    def __enter__(self) -> CpuBudget:
        self._start = (_own_seconds(), _children_seconds(), machine_busy_seconds())
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        own, children, machine = self._start
        self.own = _own_seconds() - own
        self.children = _children_seconds() - children
        self.other = max(0.0, machine_busy_seconds() - machine - self.own - self.children)


def print_budget(rows: list[tuple[str, dict, dict]]) -> None:
    """Print (name, result, its floor) rows: the step's own CPU (`cpu`), the sandbox's
    (`sandbox_cpu`), the rest's (`other_cpu`), and the wall time that work needs at best."""
    cpus = os.cpu_count() or 1
    print(
        f"\nCPU budget on {cpus} CPUs (CPU-seconds while each ran; db+rest: the rest of the "
        "machine, the database server on PostgreSQL):"
    )
    print(f"{'':24}{'sync':>8}{'sandbox':>9}{'db+rest':>9}{'total':>8}{'wall at best':>14}")
    for name, result, its_floor in rows:
        demand = result["cpu"] + result["sandbox_cpu"] + result["other_cpu"]
        best = demand / cpus  # every CPU busy all the time, nothing waiting
        print(
            f"{name:24}{result['cpu']:8.2f}{result['sandbox_cpu']:9.2f}"
            f"{result['other_cpu']:9.2f}{demand:8.2f}"
            f"{best:8.2f} s {best / its_floor['seconds']:.2f} x"
        )

"""A supervisor that adopts orphans and never reaps them, as some container inits do.

`python reaperless_supervisor.py CODE` runs `python -c CODE` beside a `sleep` in its own
process group, waits for the command, and prints one JSON line: the command's wait status,
whether the sibling survived, and when (``time.time()``) the command had exited. Then it reaps
everything.
Linux only (PR_SET_CHILD_SUBREAPER).
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    """Run the command under the non-reaping supervisor and report its outcome."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    sibling = subprocess.Popen(["sleep", "60"])
    command = subprocess.Popen([sys.executable, "-c", sys.argv[1]])
    _, status = os.waitpid(command.pid, 0)
    exited_at = time.time()
    alive = sibling.poll() is None
    outcome = {"status": status, "sibling_alive": alive, "exited_at": exited_at}
    print(json.dumps(outcome), flush=True)
    sibling.kill()
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break


if __name__ == "__main__":
    main()

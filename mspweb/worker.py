"""`python -m mspweb.worker`: an RQ worker for the console's queue, with the app loaded once.

It is a plain `rq.Worker` (forking a work horse per job) on the queue named by `RQ_QUEUE`, on
the Redis of `REDIS_URL` (or the embedded one). `rq worker --url $REDIS_URL mspweb` works too:
the jobs build the app themselves when they run outside one.
"""

from __future__ import annotations

import argparse

from rq import Worker

from mspweb import create_app


def main(argv: list[str] | None = None) -> None:
    """Run a worker until it is stopped (or, with --burst, until the queue is empty)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--name", help="the worker's name (default: RQ's)")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        worker = Worker([app.sync_queue], connection=app.redis, name=args.name)
        worker.work(burst=args.burst, with_scheduler=False, logging_level="INFO")


if __name__ == "__main__":
    main()

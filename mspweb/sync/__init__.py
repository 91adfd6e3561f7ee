"""The sync engine and its jobs: portal data in, database changes out.

- :mod:`.fetch` reads both portals into a compact :class:`~.fetch.Snapshot`;
- :mod:`.engine` applies a snapshot in one transaction (Core bulk statements, no Flask);
- :mod:`.service` requests, runs, watches and recovers sync runs, and removes pools;
- :mod:`.jobs` holds the RQ job functions (enqueued by dotted name: the web never imports it).
"""

from mspweb.sync import forksafe  # noqa: F401  (pool listeners: connections never cross a fork)

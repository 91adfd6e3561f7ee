"""The sync engine and its jobs: portal data in, database changes out.

- :mod:`.fetch` reads both portals into a compact :class:`~.fetch.Snapshot`;
- :mod:`.engine` applies a snapshot in one transaction (no Flask), through the domain rules
  of :mod:`.rules` and the generic bulk writer :mod:`.bulk`;
- :mod:`.lifecycle` owns every status change of a run; :mod:`.queueing` asks for a sync,
  :mod:`.runner` runs one, :mod:`.recovery` fails the stale, :mod:`.scheduling` the daily;
- :mod:`.progress` writes how far a run got and says it in words;
- :mod:`.jobs` holds the RQ job functions (enqueued by dotted name: the web never imports it).
"""

from mspweb.sync import forksafe  # noqa: F401  (pool listeners: connections never cross a fork)

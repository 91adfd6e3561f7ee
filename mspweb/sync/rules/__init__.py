"""The sync engine's domain rules, one module per kind of row, each a step of the apply.

:mod:`.companies` (R07, R08, R09, R18, R20), :mod:`.sites` (R05), :mod:`.licenses` (license
rows), :mod:`.pools` (R04, R05: pools and units), :mod:`.tags` (R06, R19). They share one
:class:`~.state.ApplyState` and write through one :class:`~mspweb.sync.bulk.Writer`.
"""

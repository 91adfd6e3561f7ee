"""The RQ job functions of webhooks (enqueued by dotted name), each in an app context."""

from __future__ import annotations

from mspweb.sync.jobs import _in_app_context


def sync_events(run_id: int) -> int:
    """Build and emit the events of a finished sync run (after it committed)."""
    from mspweb.webhooks.events import emit_sync_events

    return _in_app_context(lambda: emit_sync_events(run_id))


def setup_completed(company_id: int) -> int:
    """Emit customer.setup_completed for a company whose setup committed."""
    from mspweb.webhooks.customer_events import emit_setup_completed

    return _in_app_context(lambda: emit_setup_completed(company_id))


def deliver(delivery_id: int) -> str:
    """Make one delivery attempt."""
    from mspweb.webhooks.delivery import deliver as attempt

    return _in_app_context(lambda: attempt(delivery_id))


def retry_due_deliveries() -> int:
    """Queue the deliveries whose next attempt is due (run by the scheduler every minute)."""
    from mspweb.webhooks.delivery import due_deliveries, enqueue_deliveries

    def work() -> int:
        ids = due_deliveries()
        enqueue_deliveries(ids)
        return len(ids)

    return _in_app_context(work)

"""Emitting events: one delivery per subscribed, enabled endpoint, then their jobs.

The hooks the rest of the console calls (`after_sync_committed`, `after_sync_failed`,
`after_setup_completed`) only queue an RQ job: the payloads are built by that job, after the
sync or the setup committed, never in the request or the sync transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from mspweb.extensions import db
from mspweb.models import WebhookDelivery, WebhookEndpoint
from mspweb.models.base import utcnow
from mspweb.webhooks.delivery import enqueue_deliveries
from mspweb.webhooks.signing import new_message_id

log = logging.getLogger(__name__)

#: Every event an endpoint can subscribe to.
EVENTS = (
    "sync.succeeded",
    "sync.failed",
    "company.added",
    "company.renamed",
    "company.unlinked",
    "license.overused",
    "license.expiring",
    "license.expired",
    "customer.setup_completed",
)

#: The event a "Send test" delivers (to that endpoint only, whatever it subscribes to).
TEST_EVENT = "webhook.test"


def subscribers(event_type: str) -> list[WebhookEndpoint]:
    """The enabled endpoints that subscribe to `event_type`."""
    endpoints = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled))
    return [endpoint for endpoint in endpoints if event_type in (endpoint.events or [])]


def emit(
    events: list[tuple[str, dict[str, Any]]], endpoints: list[WebhookEndpoint] | None = None
) -> list[int]:
    """Record a delivery of each (type, data) for its subscribers (or for `endpoints`), commit,
    and queue them; returns the delivery ids."""
    if not events:
        return []
    now = utcnow()
    by_type: dict[str, list[WebhookEndpoint]] = {}
    deliveries = []
    for event_type, data in events:
        targets = endpoints
        if targets is None:
            if event_type not in by_type:
                by_type[event_type] = subscribers(event_type)
            targets = by_type[event_type]
        for endpoint in targets:
            deliveries.append(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    message_id=new_message_id(),
                    event_type=event_type,
                    payload={"type": event_type, "timestamp": now.isoformat(), "data": data},
                    status="pending",
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    db.session.add_all(deliveries)
    db.session.commit()
    ids = [delivery.id for delivery in deliveries]
    enqueue_deliveries(ids)
    return ids


def _any_endpoint() -> bool:
    """True when some endpoint is enabled (its own connection: the caller's session may be
    mid-failure). Without one there is nothing to build, and no job is queued."""
    try:
        with db.engine.connect() as connection:
            found = connection.scalar(
                select(WebhookEndpoint.id).where(WebhookEndpoint.enabled).limit(1)
            )
    except SQLAlchemyError:
        log.warning("could not look for webhook endpoints", exc_info=True)
        return False
    return found is not None


def _queue(function: str, *args: Any) -> None:
    """Queue a job that builds events; never fails the caller (the sync already committed)."""
    if not _any_endpoint():
        return
    try:
        queue = current_app.sync_queue  # type: ignore[attr-defined]
        queue.enqueue(function, *args, result_ttl=3600, failure_ttl=86400)
    except RedisError:
        log.warning("webhook events job %s%s could not be queued", function, args)


def after_sync_committed(run_id: int) -> None:
    """Called by the sync runner once a sync's changes committed: queue its events."""
    _queue("mspweb.webhooks.jobs.sync_events", run_id)


def after_sync_failed(run_id: int) -> None:
    """Called once a run was marked failed: queue its sync.failed event."""
    _queue("mspweb.webhooks.jobs.sync_events", run_id)


def after_setup_completed(company_id: int) -> None:
    """Called after a customer setup committed: queue its customer.setup_completed event."""
    _queue("mspweb.webhooks.jobs.setup_completed", company_id)

"""Delivering a webhook: claim it, check where it goes, sign, POST, record; retry with backoff.

An attempt is claimed with a conditional UPDATE (a lease), so a queued job and the retry sweep
never send the same delivery twice at once. A failed attempt is retried after 5 s, 1 min,
5 min, 30 min, 2 h, 5 h and 8 h twice (about a day in all), then the delivery is failed.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import requests
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import or_, select, update

from mspweb.crypto import decrypt_secret
from mspweb.extensions import db
from mspweb.models import WebhookDelivery
from mspweb.models.base import utcnow
from mspweb.webhooks.safety import UnsafeUrl, check_destination
from mspweb.webhooks.signing import signed_headers

log = logging.getLogger(__name__)

#: Waits after the 1st, 2nd... failed attempt.
BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=8),
    timedelta(hours=8),
)

#: How long a claimed attempt keeps others off it.
LEASE = timedelta(minutes=2)

#: The most of a response body that is read.
MAX_RESPONSE_BYTES = 64 * 1024

DELIVER_JOB = "mspweb.webhooks.jobs.deliver"


def _claim(delivery_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + LEASE)
    )
    db.session.commit()
    return getattr(result, "rowcount", 0) == 1


def deliver(delivery_id: int) -> str:
    """Make one attempt at a pending delivery; returns its status afterwards."""
    if not _claim(delivery_id):
        return "skipped"
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return "skipped"
    endpoint = delivery.endpoint
    now = utcnow()
    code, error = None, None
    if not endpoint.enabled:
        error = "The endpoint is disabled."
    else:
        code, error = _post(delivery, decrypt_secret(endpoint.secret_encrypted))
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = code
    delivery.last_error = error
    if error is None:
        delivery.status, delivery.next_attempt_at = "succeeded", None
    elif delivery.attempts > len(BACKOFF) or not endpoint.enabled:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    db.session.commit()
    return delivery.status


def _post(delivery: WebhookDelivery, secret: str) -> tuple[int | None, str | None]:
    """POST the signed payload: (response code, None) on a 2xx, else (code, why)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    headers = signed_headers(secret, delivery.message_id, utcnow(), body)
    timeout = current_app.config.get("WEBHOOK_TIMEOUT", 5.0)
    url = delivery.endpoint.url
    try:
        check_destination(url)
        with requests.post(
            url,
            data=body.encode(),
            headers=headers,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
        ) as response:
            response.raw.read(MAX_RESPONSE_BYTES, decode_content=False)
            code = response.status_code
    except UnsafeUrl as refusal:
        return None, str(refusal)
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {str(error)[:300]}"
    if 200 <= code < 300:
        return code, None
    if 300 <= code < 400:
        return code, f"Answered {code} (a redirect, not followed)."
    return code, f"Answered {code}."


def enqueue_deliveries(ids: list[int]) -> None:
    """Queue one delivery job per delivery (one Redis round trip); the sweep retries on loss."""
    if not ids:
        return
    queue = current_app.sync_queue  # type: ignore[attr-defined]
    try:
        queue.enqueue_many(
            [
                queue.prepare_data(
                    DELIVER_JOB, (delivery_id,), result_ttl=3600, failure_ttl=86400, timeout=60
                )
                for delivery_id in ids
            ]
        )
    except RedisError:
        log.warning("webhook deliveries %s could not be queued; the sweep retries", ids[:5])


def due_deliveries() -> list[int]:
    """Pending deliveries whose next attempt is due (the retry sweep queues them)."""
    return list(
        db.session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(1000)
        )
    )


def redeliver(delivery: WebhookDelivery) -> None:
    """Send a delivery again now, with a fresh round of retries (the same message id)."""
    delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at = utcnow()
    db.session.commit()
    enqueue_deliveries([delivery.id])

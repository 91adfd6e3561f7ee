"""Webhooks: the admin pages, Standard Webhooks signatures, retries, the SSRF guard, and the
events of real syncs against the sandbox, each delivered once to a real receiver."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from mspweb.crypto import decrypt_secret, encrypt_secret
from mspweb.extensions import db
from mspweb.models import (
    ChangeRecord,
    Company,
    SyncRun,
    WebhookDelivery,
    WebhookEndpoint,
)
from mspweb.models.base import utcnow
from mspweb.webhooks.delivery import BACKOFF, deliver
from mspweb.webhooks.dispatch import EVENTS, emit
from mspweb.webhooks.events import emit_sync_events
from mspweb.webhooks.safety import UnsafeUrl, check_destination, check_url
from mspweb.webhooks.signing import new_secret
from tests.conftest import run_worker
from tests.plugins.sync import sync_now
from tests.webhook_receiver import start_receiver


@pytest.fixture()
def receiver(app):
    """A receiver on loopback, allow-listed for the test."""
    receiver, server = start_receiver()
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    yield receiver
    app.config["WEBHOOK_ALLOWED_HOSTS"] = ""
    server.shutdown()


def _endpoint(url: str, events=EVENTS, expiring_days: int = 30) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        url=url,
        events=list(events),
        secret_encrypted=encrypt_secret(new_secret()),
        enabled=True,
        expiring_days=expiring_days,
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def test_ssrf_guard_refuses_plain_http_and_private_addresses_unless_allow_listed(app):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = ""
    for url, reason in (
        ("http://hooks.example.com/x", "allow-list"),
        ("ftp://hooks.example.com/x", "https"),
        ("https://user:pw@hooks.example.com/x", "password"),
        ("https://127.0.0.1/x", "private or local"),
        ("https://10.1.2.3/x", "private or local"),
        ("https://169.254.169.254/latest/meta-data", "private or local"),
        ("https://[::1]/x", "private or local"),
        ("https://[::ffff:127.0.0.1]/x", "private or local"),
        ("https://0.0.0.0/x", "private or local"),
        ("https://localhost/x", "private or local"),
    ):
        with pytest.raises(UnsafeUrl, match=reason):
            check_destination(url)
    check_destination("https://8.8.8.8/hook")  # public: allowed (nothing is sent here)
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1, localhost"
    check_destination("http://127.0.0.1:9/hook")
    check_destination("https://localhost/hook")
    assert check_url("http://LOCALHOST:8080/x") == ("localhost", 8080, True)


def test_admin_registers_an_endpoint_sends_a_signed_test_and_redelivers(
    app, admin_client, receiver
):
    refused = admin_client.post("/webhooks", data={"url": "http://evil.example/x"})
    assert refused.status_code == 422 and "allow-list" in refused.text
    response = admin_client.post(
        "/webhooks",
        data={"url": receiver.url, "events": ["sync.failed", "license.overused"]},
    )
    assert response.status_code == 302
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert endpoint.events == ["sync.failed", "license.overused"]
    secret = decrypt_secret(endpoint.secret_encrypted)
    page = admin_client.get(f"/webhooks/{endpoint.id}")
    assert secret in page.text and receiver.url in page.text
    assert admin_client.post(f"/webhooks/{endpoint.id}/test").status_code == 302
    assert receiver.requests == []  # queued, not sent in the request
    run_worker(app)
    assert receiver.events() == ["webhook.test"]
    got = receiver.requests[0]
    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["data"]["endpoint_id"] == endpoint.id
    assert re.fullmatch(r"v1,[A-Za-z0-9+/=]+", got.headers["webhook-signature"])
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("succeeded", 200, 1)
    log = admin_client.get(f"/webhooks/{endpoint.id}").text
    assert delivery.message_id in log and "succeeded" in log
    assert (
        admin_client.post(f"/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver").status_code
        == 302
    )
    run_worker(app)
    assert len(receiver.requests) == 2
    assert receiver.requests[1].headers["webhook-id"] == got.headers["webhook-id"]
    assert admin_client.post(f"/webhooks/{endpoint.id}/toggle").status_code == 302
    db.session.refresh(endpoint)
    assert endpoint.enabled is False
    assert admin_client.post(f"/webhooks/{endpoint.id}/test").status_code == 409


def test_failed_attempts_back_off_for_about_a_day_then_fail(app, receiver):
    endpoint = _endpoint(receiver.url)
    receiver.statuses = [500] * (len(BACKOFF) + 1)
    [delivery_id] = emit([("sync.failed", {"run_id": 1})], [endpoint])
    total = timedelta()
    for attempt in range(1, len(BACKOFF) + 2):
        before = utcnow()
        assert deliver(delivery_id) in ("pending", "failed")
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert delivery.attempts == attempt and delivery.response_code == 500
        if attempt <= len(BACKOFF):
            wait = delivery.next_attempt_at - before
            assert abs(wait - BACKOFF[attempt - 1]) < timedelta(seconds=5)
            total += BACKOFF[attempt - 1]
            assert deliver(delivery_id) == "skipped"  # not due yet
            delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert timedelta(hours=20) <= total <= timedelta(hours=30)
    assert len(receiver.requests) == len(BACKOFF) + 1


def test_redirects_are_not_followed_big_bodies_capped_slow_receivers_time_out(app, receiver):
    endpoint = _endpoint(receiver.url)
    receiver.statuses = [302]
    [redirected] = emit([("sync.failed", {"run_id": 1})], [endpoint])
    assert deliver(redirected) == "pending"
    assert len(receiver.requests) == 1  # the Location was not followed
    assert "redirect" in db.session.get(WebhookDelivery, redirected).last_error
    receiver.body_size = 5 * 1024 * 1024
    [big] = emit([("sync.failed", {"run_id": 2})], [endpoint])
    assert deliver(big) == "succeeded"
    receiver.body_size, receiver.delay = 2, 1.5
    app.config["WEBHOOK_TIMEOUT"] = 0.3
    try:
        [slow] = emit([("sync.failed", {"run_id": 3})], [endpoint])
        assert deliver(slow) == "pending"
        assert "Timeout" in db.session.get(WebhookDelivery, slow).last_error
    finally:
        app.config["WEBHOOK_TIMEOUT"] = 5.0


def test_company_events_come_from_the_runs_change_records(app, import_demo, receiver):
    account = import_demo("northwind")
    endpoint = _endpoint(receiver.url, events=["company.added", "company.renamed"])
    run = db.session.scalar(select(SyncRun).where(SyncRun.account_id == account.id))
    company = db.session.scalar(select(Company).where(Company.account_id == account.id))
    # the run's own records (the first sync adds every company) make way for the test's
    db.session.execute(ChangeRecord.__table__.delete().where(ChangeRecord.sync_run_id == run.id))
    for kind, field, old, new in (
        ("company.added", None, None, None),
        ("company.renamed", "name", "Old name", company.name),
        ("company.unlinked", None, None, None),  # not subscribed
        ("license.added", None, None, None),  # not a company event
    ):
        db.session.add(
            ChangeRecord(
                account_id=account.id,
                sync_run_id=run.id,
                kind=kind,
                company_id=company.id,
                company_portal_id=company.portal_id,
                field=field,
                old=old,
                new=new,
            )
        )
    db.session.commit()
    emit_sync_events(run.id)
    run_worker(app)
    assert sorted(receiver.events()) == ["company.added", "company.renamed"]
    renamed = next(json.loads(r.body) for r in receiver.requests if b"renamed" in r.body)
    assert (
        renamed["data"]["old"] == "Old name" and renamed["data"]["portal_id"] == company.portal_id
    )
    assert endpoint.id


def test_company_events_of_a_real_sync_after_a_rename_and_a_removal(
    app, import_demo, sandbox, receiver
):
    account = import_demo("northwind")
    _endpoint(receiver.url, events=["company.renamed", "company.unlinked", "company.added"])
    companies = {c["name"]: c for c in sandbox.control.companies("northwind")}
    renamed, gone = companies["Cedar Water KG"], companies["Ωmega ΑΕ"]
    sandbox.control.rename_company(renamed["id"], "Cedar Water Group")
    sandbox.control.remove_company(gone["id"])
    assert sync_now(account)["status"] == "succeeded"
    run_worker(app)
    assert sorted(receiver.events()) == ["company.renamed", "company.unlinked"]
    bodies = {json.loads(r.body)["type"]: json.loads(r.body) for r in receiver.requests}
    assert bodies["company.renamed"]["data"]["portal_id"] == renamed["id"]
    assert bodies["company.unlinked"]["data"]["portal_id"] == gone["id"]
    run_worker(app)  # nothing more: each event once
    assert len(receiver.requests) == 2


def test_license_events_from_real_syncs_fire_once_and_again_after_recovering(
    app, import_demo, sandbox, receiver
):
    account = import_demo("northwind")  # before any endpoint: no events
    assert app.sync_queue.count == 0
    _endpoint(
        receiver.url,
        events=["sync.succeeded", "license.overused", "license.expired", "license.expiring"],
        expiring_days=3650,
    )
    license = next(
        item
        for item in sandbox.control.licenses("northwind")
        if item["usage"] < item["quantity"] and not item.get("trial")
    )
    key = license["publicLicenseKey"]
    sandbox.control.set_license(key, usage=license["quantity"] + 5)
    assert sync_now(account)["status"] == "succeeded"
    run_worker(app)
    first = receiver.events()
    assert first[0] == "sync.succeeded"
    overused = [json.loads(r.body)["data"] for r in receiver.requests if b"overused" in r.body]
    assert key in [item["key"] for item in overused]
    assert "license.expiring" in first  # 10 years ahead: every license with an end date
    receiver.requests.clear()
    assert sync_now(account)["status"] == "succeeded"
    run_worker(app)
    assert receiver.events() == ["sync.succeeded"]  # the same overuse: not again
    sandbox.control.set_license(key, usage=0)
    assert sync_now(account)["status"] == "succeeded"
    run_worker(app)  # its events job sees the license back within its units: the state clears
    sandbox.control.set_license(key, usage=license["quantity"] + 1)
    receiver.requests.clear()
    assert sync_now(account)["status"] == "succeeded"
    run_worker(app)
    again = [json.loads(r.body)["data"]["key"] for r in receiver.requests if b"overused" in r.body]
    assert key in again


def test_sync_failed_and_setup_completed_are_delivered(app, import_demo, sandbox, receiver):
    account = import_demo("northwind")
    _endpoint(receiver.url, events=["sync.failed", "customer.setup_completed", "sync.succeeded"])
    sandbox.control.add_fault(kind="status", status=500, path="Search/Licenses")
    outcome = sync_now(account)
    assert outcome["status"] == "failed"
    run_worker(app)
    assert receiver.events() == ["sync.failed"]
    failed = json.loads(receiver.requests[0].body)["data"]
    assert failed["run_id"] == outcome["run_id"] and failed["error"]
    sandbox.control.clear_faults()
    from mspweb.customers.setup import SetupMode, set_up_customer
    from mspweb.webhooks.dispatch import after_setup_completed

    customer = db.session.scalars(
        select(Company).where(Company.account_id == account.id, Company.entity_type == 1007)
    ).first()
    set_up_customer(
        customer, SetupMode.CREATE, "new@customer.example", "password-12345", None, None
    )
    db.session.commit()
    after_setup_completed(customer.id)
    run_worker(app)
    assert receiver.events()[-1] == "customer.setup_completed"
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 2


def test_the_readme_signature_check_accepts_a_real_delivery_and_refuses_a_forgery(app, receiver):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    code = re.search(r"```python\n(import base64, hashlib, hmac.*?)```", readme, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102  (the README's own snippet, tested as written)
    endpoint = _endpoint(receiver.url)
    [delivery_id] = emit([("sync.failed", {"run_id": 7})], [endpoint])
    assert deliver(delivery_id) == "succeeded"
    got = receiver.requests[0]
    secret = decrypt_secret(endpoint.secret_encrypted)
    assert namespace["verify"](secret, got.headers, got.body)
    assert not namespace["verify"](secret, got.headers, got.body.replace(b"7", b"8"))
    assert not namespace["verify"](new_secret(), got.headers, got.body)

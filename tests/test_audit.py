"""The audit log: who imported, synchronized, removed pools, set up customers, created users and
edited tags, when and what; kept when the action fails; readable by administrators on /audit.

One story through the real pages, the sandbox and an RQ worker, then the log read back.
"""

from __future__ import annotations

from sqlalchemy import select

from mspweb.extensions import db
from mspweb.models import Account, AuditEntry, Company, License, SyncRun, Tag
from tests.conftest import ADMIN_EMAIL, login, make_user, run_worker
from tests.page_helpers import HX


def _entries() -> list[tuple[str, str, str]]:
    """(action, outcome, actor) of every entry, oldest first."""
    db.session.commit()
    return [
        tuple(row)
        for row in db.session.execute(
            select(AuditEntry.action, AuditEntry.outcome, AuditEntry.actor).order_by(AuditEntry.id)
        )
    ]


def _last(action: str) -> AuditEntry:
    db.session.commit()
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    ).first()


def test_every_audited_action_is_recorded_with_who_what_and_outcome_also_on_failure(
    fast_portal, sandbox, admin_client, app
):
    sandbox.control.reset(licenses=150)
    # Imports: a refused one (R01), then the real one with its first sync.
    distributor = sandbox.accounts["contoso"]
    refused = admin_client.post(
        "/accounts/new",
        headers=HX,
        data={
            "msp_url": sandbox.msp_url,
            "username": distributor.username,
            "password": distributor.password,
        },
    )
    assert refused.status_code == 422
    assert _last("account.import").outcome == "refused"
    admin_client.post(
        "/accounts/new",
        headers=HX,
        data={
            "msp_url": sandbox.msp_url,
            "username": sandbox.main.username,
            "password": sandbox.main.password,
        },
    )
    run_worker(fast_portal)
    account = db.session.scalars(select(Account)).one()
    finished = _last("sync.finish")
    assert (finished.outcome, finished.actor) == ("ok", ADMIN_EMAIL)
    assert finished.details["licenses_added"] == 150 and finished.target.startswith("account")

    # A sync that fails: the request and the failure are both kept, the data is not.
    sandbox.control.add_fault(kind="status", status=500, path="Search/Licenses")
    admin_client.post(f"/accounts/{account.id}/sync", headers=HX)
    run_worker(fast_portal)
    sandbox.control.clear_faults()
    failed = _last("sync.finish")
    assert (failed.outcome, failed.actor) == ("failed", ADMIN_EMAIL)
    assert "500" in failed.details["error"]
    assert (
        failed.details["run_id"]
        == db.session.scalars(select(SyncRun.id).order_by(SyncRun.id.desc())).first()
    )

    # Users: created, and refused (the same email again).
    data = {
        "email": "ops@msp.example",
        "password": "operator-pass-1",
        "role": "admin",
        "company_id": "0",
    }
    assert admin_client.post("/users", data=data).status_code == 303
    assert admin_client.post("/users", data=data, headers=HX).status_code == 422
    assert [
        (e.outcome, e.target)
        for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.create").order_by(AuditEntry.id)
        )
    ] == [("ok", "ops@msp.example"), ("refused", "ops@msp.example")]

    # Tags: add, remove, bulk, rename, delete, each naming the tag.
    licenses = db.session.scalars(select(License).order_by(License.id).limit(3)).all()
    admin_client.post(f"/licenses/{licenses[0].id}/tags", headers=HX, data={"name": "renewal <q3>"})
    assert _last("tag.add").details == {"tag": "renewal <q3>"}
    tag = db.session.scalar(select(Tag).where(Tag.name == "renewal <q3>"))
    admin_client.post(f"/licenses/{licenses[0].id}/tags/remove", headers=HX, data={"tag": tag.id})
    assert _last("tag.remove").target == f"license {licenses[0].public_key}"
    admin_client.post(
        "/licenses/tags",
        headers=HX,
        data={"license": [str(item.id) for item in licenses], "name": "vip", "action": "add"},
    )
    assert _last("tag.bulk_add").details["changed"] == 3
    vip = db.session.scalar(select(Tag).where(Tag.name == "vip"))
    admin_client.post(f"/tags/{vip.id}/rename", headers=HX, data={"name": "key accounts"})
    assert _last("tag.rename").details["to"] == "key accounts"
    admin_client.post(f"/tags/{vip.id}/delete", headers=HX)
    assert _last("tag.delete").details["licenses"] == 3

    # Customers: one set up, one skipped.
    customers = db.session.scalars(
        select(Company)
        .where(Company.entity_type == 1007, Company.unlinked_at.is_(None))
        .order_by(Company.id)
    ).all()
    setup = admin_client.post(
        f"/customers/{customers[0].id}/setup",
        data={
            "mode": "create",
            "email": "owner@customer.example",
            "group_name": f"Customers / {customers[0].name}",
        },
    )
    assert setup.status_code == 200, setup.text
    assert _last("customer.setup").outcome == "ok"
    admin_client.post(f"/customers/{customers[1].id}/skip-setup", headers=HX)
    assert _last("customer.skip_setup").outcome == "ok"

    # Pools: refused while a sync is queued-and-running, then removed.
    from mspweb.sync.heartbeat import Heartbeat

    admin_client.post(f"/accounts/{account.id}/sync", headers=HX)
    run = db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    db.session.execute(
        SyncRun.__table__.update().where(SyncRun.id == run.id).values(status="running")
    )
    db.session.commit()
    with Heartbeat(app.redis, run.id, 30):
        busy = admin_client.post(f"/accounts/{account.id}/remove-pools", headers=HX)
    assert busy.status_code == 409
    assert _last("pools.remove").outcome == "refused"
    db.session.execute(
        SyncRun.__table__.update().where(SyncRun.id == run.id).values(status="failed")
    )
    db.session.commit()
    removed = admin_client.post(f"/accounts/{account.id}/remove-pools", headers=HX)
    assert removed.status_code == 200, removed.text
    assert _last("pools.remove").details["licenses"] == 150

    actions = {(action, outcome) for action, outcome, _ in _entries()}
    assert actions >= {
        ("account.import", "refused"),
        ("account.import", "ok"),
        ("sync.request", "ok"),
        ("sync.finish", "ok"),
        ("sync.finish", "failed"),
        ("user.create", "ok"),
        ("user.create", "refused"),
        ("tag.add", "ok"),
        ("tag.remove", "ok"),
        ("tag.bulk_add", "ok"),
        ("tag.rename", "ok"),
        ("tag.delete", "ok"),
        ("customer.setup", "ok"),
        ("customer.skip_setup", "ok"),
        ("pools.remove", "refused"),
        ("pools.remove", "ok"),
    }
    assert {actor for _, _, actor in _entries()} == {ADMIN_EMAIL}

    # Administrators read it on /audit, filtered in the URL; others cannot.
    page = admin_client.get("/audit").text
    for action, _ in actions:
        assert (
            f"<code>{action}</code>" in page
            or action in admin_client.get(f"/audit?action={action}").text
        ), action
    failures = admin_client.get("/audit?outcome=failed").text
    assert "sync.finish" in failures and "500" in failures
    assert "renewal &lt;q3&gt;" in admin_client.get("/audit?action=tag.add").text
    make_user("operator@msp.example", "operator-pass-1", "operator", customers[0])
    operator = app.test_client()
    login(operator, "operator@msp.example", "operator-pass-1")
    assert operator.get("/audit").status_code == 403


def test_a_daily_sync_that_fails_is_audited_in_the_name_of_the_system(import_demo, sandbox, app):
    from datetime import UTC, datetime

    from mspweb.sync.jobs import schedule_daily_syncs

    import_demo()
    sandbox.control.add_fault(kind="status", status=503, path="Search/Licenses")
    assert schedule_daily_syncs(datetime(2031, 5, 6, 12, tzinfo=UTC)) == 1
    run_worker(app)
    entry = _last("sync.finish")
    assert (entry.outcome, entry.actor, entry.user_id) == ("failed", "system", None)
    assert "portal under maintenance" in entry.details["error"]

"""Webhook pages (administrators only): register endpoints, enable/disable, send a test,
read the delivery log and redeliver.

Operators get 403 and customer users 404 on every URL here, as on the Accounts pages.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from mspweb import audit
from mspweb.access import require_admin
from mspweb.crypto import decrypt_secret, encrypt_secret
from mspweb.extensions import db
from mspweb.htmx_utils import render
from mspweb.models import WebhookDelivery, WebhookEndpoint
from mspweb.params import MAX_INT
from mspweb.webhooks.delivery import redeliver as send_again
from mspweb.webhooks.dispatch import TEST_EVENT, emit
from mspweb.webhooks.forms import EndpointForm
from mspweb.webhooks.signing import new_secret

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

#: Deliveries shown in an endpoint's log.
LOG_SIZE = 50


@bp.before_request
@login_required
def _admins_only() -> None:
    """Every webhook URL is for administrators."""
    require_admin()


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) if endpoint_id <= MAX_INT else None
    if endpoint is None:
        abort(404)
    return endpoint


def _index(form: EndpointForm, status: int = 200) -> ResponseReturnValue:
    endpoints = list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    return render(
        "webhooks/index.html", "webhooks/_form.html", status, form=form, endpoints=endpoints
    )


@bp.get("")
def index() -> ResponseReturnValue:
    """The registered endpoints and the form to add one."""
    return _index(EndpointForm(formdata=None))


@bp.post("")
def create() -> ResponseReturnValue:
    """Register an endpoint (422 with the form on invalid input)."""
    form = EndpointForm()
    if not form.validate():
        return _index(form, 422)
    endpoint = WebhookEndpoint(
        url=form.url.data.strip(),
        description=(form.description.data or "").strip() or None,
        events=list(form.events.data),
        secret_encrypted=encrypt_secret((form.secret.data or "").strip() or new_secret()),
        enabled=True,
        expiring_days=form.expiring_days.data or 30,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        "webhook.create",
        endpoint.url,
        details={"endpoint_id": endpoint.id, "events": endpoint.events},
        user=current_user._get_current_object(),
    )
    db.session.commit()
    flash("Endpoint registered. Its signing secret is on this page.", "success")
    return redirect(url_for("webhooks.show", endpoint_id=endpoint.id))


@bp.get("/<int:endpoint_id>")
def show(endpoint_id: int) -> ResponseReturnValue:
    """One endpoint: settings, signing secret, and its delivery log (newest first)."""
    endpoint = _endpoint(endpoint_id)
    deliveries = list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(LOG_SIZE)
        )
    )
    return render(
        "webhooks/show.html",
        "webhooks/_deliveries.html",
        endpoint=endpoint,
        secret=decrypt_secret(endpoint.secret_encrypted),
        deliveries=deliveries,
    )


@bp.post("/<int:endpoint_id>/toggle")
def toggle(endpoint_id: int) -> ResponseReturnValue:
    """Enable or disable an endpoint."""
    endpoint = _endpoint(endpoint_id)
    endpoint.enabled = not endpoint.enabled
    audit.record(
        "webhook.enable" if endpoint.enabled else "webhook.disable",
        endpoint.url,
        details={"endpoint_id": endpoint.id},
        user=current_user._get_current_object(),
    )
    db.session.commit()
    flash(f"Endpoint {'enabled' if endpoint.enabled else 'disabled'}.", "success")
    return redirect(url_for("webhooks.show", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/test")
def test(endpoint_id: int) -> ResponseReturnValue:
    """Queue a test delivery (event webhook.test) to this endpoint."""
    endpoint = _endpoint(endpoint_id)
    if not endpoint.enabled:
        abort(409, description="The endpoint is disabled: enable it to send a test.")
    emit([(TEST_EVENT, {"endpoint_id": endpoint.id, "by": current_user.email})], [endpoint])
    flash("Test delivery queued; it appears in the log below.", "success")
    return redirect(url_for("webhooks.show", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
def redeliver(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    """Send one delivery again now (same message id, a fresh round of retries)."""
    endpoint = _endpoint(endpoint_id)
    delivery = db.session.get(WebhookDelivery, delivery_id) if delivery_id <= MAX_INT else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        abort(404)
    send_again(delivery)
    flash(f"Delivery {delivery.message_id} queued again.", "success")
    return redirect(url_for("webhooks.show", endpoint_id=endpoint.id))

"""customer.setup_completed: emitted by a job after the setup committed."""

from __future__ import annotations

from mspweb.extensions import db
from mspweb.models import Company
from mspweb.webhooks.dispatch import emit


def emit_setup_completed(company_id: int) -> int:
    """Emit the event for a company that is set up (nothing if it is not, or is gone)."""
    company = db.session.get(Company, company_id)
    if company is None or company.customer_status.value != "set_up":
        return 0
    data = {
        "account_id": company.account_id,
        "portal_id": company.portal_id,
        "name": company.name,
        "group_name": company.group_name,
        "setup_state": company.setup_state,
        "setup_at": company.setup_at.isoformat() if company.setup_at else None,
    }
    return len(emit([("customer.setup_completed", data)]))

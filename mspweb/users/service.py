"""Creating console users, shared by the CLI and the customer setup."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from mspweb.extensions import db
from mspweb.models import Company, Role, User

MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    """A user cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    """Validate `email` and return it in canonical form (lower-case)."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise UserError(f"{email!r} is not a valid email address: {error}") from None


def find_company_by_portal_id(portal_id: str) -> Company:
    """The company with this portal id (in any account); UserError when unknown."""
    company = db.session.scalars(
        select(Company).where(Company.portal_id == portal_id.strip()).order_by(Company.id)
    ).first()
    if company is None:
        raise UserError(f"No company with portal id {portal_id!r} has been imported.")
    return company


def create_user(
    email: str, password: str, role: str = Role.ADMIN.value, company: Company | None = None
) -> User:
    """Create a user (not committed). Operators and customers must name their company."""
    email = normalise_email(email)
    try:
        role = Role(role).value
    except ValueError:
        raise UserError(f"Unknown role {role!r}: use admin, operator or customer.") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if role != Role.ADMIN and company is None:
        raise UserError(f"A user with the role {role} must be confined to a company.")
    if role == Role.ADMIN and company is not None:
        raise UserError("An administrator sees everything and cannot be confined to a company.")
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise UserError(f"A user with the email {email} already exists.")
    user = User(email=email, role=role, company=company)
    user.set_password(password)
    db.session.add(user)
    return user

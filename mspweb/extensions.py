"""Flask extensions: created here once, bound to the app in `create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from flask import g
from flask_htmx import HTMX as _HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same way."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        #: Every model is mapped to a Table (SQLAlchemy types it as the wider FromClause).
        __table__: ClassVar[Table]


class HTMX(_HTMX):
    """flask-htmx's request helper; a view that asks whether htmx sent the request makes its
    response vary by `HX-Request` (the flag `mspweb.htmx_utils.add_vary` reads)."""

    def __bool__(self) -> bool:
        g.varies_by_hx_request = True
        return super().__bool__()


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # db.Model is built at run time (a subclass of Base); the type checker sees Base
    Model = Base
else:
    Model = db.Model
"""The base class of every model (`class Account(Model)`)."""

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

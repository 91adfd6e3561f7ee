"""Server-side sessions: every signed-in browser has a record in Redis that can be ended.

The signed cookie only carries a random session id (`sid`); the record under that id says
whose session it is, when it started, when it was last used, from which address and browser.
A request whose cookie names no live record is treated as signed out, so ending a record ends
the session at once, wherever the cookie is. Sign-out, deactivation, a password change and an
administrator's "sign out everywhere" end every record of the user (`end_all_sessions`).

Each record lives at most the role's absolute lifetime (Redis expiry); the idle lifetime is
checked by `mspweb.auth.idle`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, request, session
from flask_login import current_user, logout_user

from mspweb.broker import get_redis

SID_KEY = "sid"
_PREFIX = "mspweb:session:"
_USER_PREFIX = "mspweb:user-sessions:"
#: Last-seen times are written at most this often (seconds) per session.
TOUCH_EVERY = 15


@dataclass(frozen=True)
class SessionInfo:
    """One live session of a user, as shown on the sessions page."""

    sid: str
    created: float
    last_seen: float
    address: str
    device: str
    current: bool

    @property
    def started_at(self) -> datetime:
        """When the session began (UTC)."""
        return datetime.fromtimestamp(self.created, UTC)

    @property
    def seen_at(self) -> datetime:
        """When the session was last used (UTC, to within `TOUCH_EVERY` seconds)."""
        return datetime.fromtimestamp(self.last_seen, UTC)


def absolute_lifetime(user) -> int:
    """How long (seconds) a session of `user` may last at most, whatever its activity."""
    config = current_app.config
    hours = config["CUSTOMER_SESSION_HOURS"] if user.is_customer else config["STAFF_SESSION_HOURS"]
    return int(float(hours) * 3600)


def start_session(user) -> str:
    """Begin a new session for `user`: a fresh id in a fresh cookie (the old one is dropped)."""
    session.clear()  # rotation: nothing from before sign-in survives (session fixation)
    sid = secrets.token_urlsafe(32)
    now = time.time()
    lifetime = absolute_lifetime(user)
    redis = get_redis()
    pipe = redis.pipeline()
    pipe.hset(
        _PREFIX + sid,
        mapping={
            "user_id": str(user.id),
            "created": repr(now),
            "last_seen": repr(now),
            "address": (request.remote_addr or "")[:64],
            "device": (request.headers.get("User-Agent") or "")[:300],
        },
    )
    pipe.expire(_PREFIX + sid, lifetime)
    pipe.sadd(_USER_PREFIX + str(user.id), sid)
    pipe.expire(_USER_PREFIX + str(user.id), lifetime)
    pipe.execute()
    session[SID_KEY] = sid
    return sid


def rotate_session(user) -> str:
    """A new id for the current session (after a privilege change); the old id is ended."""
    old = session.get(SID_KEY)
    keep = dict(session)
    sid = start_session(user)
    for key, value in keep.items():
        if key not in (SID_KEY, "csrf_token"):
            session[key] = value
    if old:
        end_session(user.id, old)
    return sid


def end_session(user_id: int, sid: str) -> bool:
    """End one session of `user_id`; False when it was not (or no longer) theirs."""
    redis = get_redis()
    owner = redis.hget(_PREFIX + sid, "user_id")
    redis.srem(_USER_PREFIX + str(user_id), sid)
    if owner is None or _text(owner) != str(user_id):
        return False
    redis.delete(_PREFIX + sid)
    return True


def end_all_sessions(user_id: int) -> int:
    """End every session of `user_id` at once; returns how many there were."""
    redis = get_redis()
    members = [_text(sid) for sid in redis.smembers(_USER_PREFIX + str(user_id))]
    pipe = redis.pipeline()
    for sid in members:
        pipe.delete(_PREFIX + sid)
    pipe.delete(_USER_PREFIX + str(user_id))
    results = pipe.execute()
    return sum(1 for deleted in results[: len(members)] if deleted)


def list_sessions(user_id: int) -> list[SessionInfo]:
    """The user's live sessions, the most recently used first."""
    redis = get_redis()
    current = session.get(SID_KEY)
    found = []
    for raw in redis.smembers(_USER_PREFIX + str(user_id)):
        sid = _text(raw)
        record = {_text(k): _text(v) for k, v in redis.hgetall(_PREFIX + sid).items()}
        if record.get("user_id") != str(user_id):
            redis.srem(_USER_PREFIX + str(user_id), sid)  # expired meanwhile
            continue
        found.append(
            SessionInfo(
                sid=sid,
                created=float(record["created"]),
                last_seen=float(record["last_seen"]),
                address=record.get("address", ""),
                device=record.get("device", ""),
                current=sid == current,
            )
        )
    return sorted(found, key=lambda item: item.last_seen, reverse=True)


def enforce_server_session() -> None:
    """Before each request: a signed-in cookie without a live session record is signed out.

    Nothing is answered here: the view then sees an anonymous user, and its login guard sends
    the browser to the sign-in page (or answers an htmx request) as for any expired session.
    """
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    sid = session.get(SID_KEY)
    redis = get_redis()
    key = _PREFIX + sid if isinstance(sid, str) else None
    record = redis.hmget(key, "user_id", "last_seen") if key else [None, None]
    if record[0] is None or _text(record[0]) != str(current_user.get_id()):
        logout_user()
        session.clear()
        return None
    now = time.time()
    if key is not None and now - float(_text(record[1])) >= TOUCH_EVERY:
        redis.hset(key, "last_seen", repr(now))
    return None


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

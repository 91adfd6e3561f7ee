"""The arrows between the parts that are not allowed, checked on the source (ast, no import).

- The portal client (``mspweb/portal``) is a plain HTTP client: no Flask, no database.
- The sync engine (the modules listed in :data:`ENGINE`: reading the portals, applying a
  snapshot, the domain rules, the bulk writer) runs on a SQLAlchemy connection and knows no
  Flask. The Flask-facing side of the sync is the rest of ``mspweb/sync``: ``lifecycle``,
  ``queueing``, ``runner``, ``transaction``, ``recovery``, ``scheduling``, ``progress``,
  ``jobs``, ``service``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYNC = ROOT / "mspweb" / "sync"

ENGINE = (
    "bulk.py",
    "changes.py",
    "counts.py",
    "engine.py",
    "fetch.py",
    "forksafe.py",
    "gcpause.py",
    "heartbeat.py",
    "license_user.py",
    "listener.py",
    "prefetch.py",
    "preload.py",
    "rules",
    "snapshot.py",
    "statistics.py",
)
"""The engine's modules (files, or folders whose every module is the engine's)."""

FLASK_FACING = (
    "jobs.py",
    "lifecycle.py",
    "progress.py",
    "queueing.py",
    "recovery.py",
    "runner.py",
    "scheduling.py",
    "service.py",
    "transaction.py",
)
"""The sync's Flask-facing side: they may use Flask, the session and the app's config."""


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Every module `path` imports (``import a.b`` and ``from a.b import c`` give ``a.b``;
    relative imports are resolved against its package, by default the one it lies in)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _is(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(f"{forbidden}.")


def _python_files(where: Path) -> list[Path]:
    return sorted(where.rglob("*.py")) if where.is_dir() else [where]


def engine_files() -> list[Path]:
    """The engine's source files."""
    return [path for name in ENGINE for path in _python_files(SYNC / name)]


def test_every_sync_module_is_either_engine_or_flask_facing():
    known = {path for path in engine_files()} | {SYNC / name for name in FLASK_FACING}
    unknown = [
        str(path.relative_to(ROOT))
        for path in SYNC.rglob("*.py")
        if path not in known and path.name != "__init__.py"
    ]
    assert unknown == [], "classify each new sync module in tests/test_architecture.py"


@pytest.mark.parametrize("path", sorted((ROOT / "mspweb" / "portal").rglob("*.py")), ids=str)
def test_the_portal_client_imports_neither_flask_nor_the_database(path: Path):
    forbidden = ("flask", "sqlalchemy", "mspweb.models", "mspweb.extensions", "flask_sqlalchemy")
    bad = sorted(
        module
        for module in imported_modules(path)
        if module.startswith("flask_") or any(_is(module, name) for name in forbidden)
    )
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("path", engine_files(), ids=str)
def test_the_sync_engine_imports_no_flask(path: Path):
    bad = sorted(
        module
        for module in imported_modules(path)
        if _is(module, "flask") or module.startswith("flask_") or _is(module, "mspweb.extensions")
    )
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_the_import_check_sees_flask_where_it_is(tmp_path: Path):
    """The checker itself: a file that imports Flask three ways is caught each way."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import flask\nfrom flask_login import current_user\nfrom ..extensions import db\n"
    )
    found = imported_modules(sample, package="mspweb.sync")
    assert {"flask", "flask_login", "mspweb.extensions"} <= found

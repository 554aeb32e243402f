"""The layout's rules, read off the source of `app/` (no app is started): who may look at a
caller's scope, and which way the packages import."""

import ast
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def _sources(folder: Path) -> Iterator[tuple[str, ast.Module]]:
    """(path such as `app/core/db.py`, syntax tree) of each module under `folder`."""
    for path in sorted(folder.rglob("*.py")):
        yield path.relative_to(APP.parent).as_posix(), ast.parse(path.read_text(), str(path))


def _named(node: ast.expr) -> str:
    """What an expression is called: `caller` for `caller` and for `self.caller`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_caller(node: ast.expr) -> bool:
    return _named(node).lower().endswith(("caller", "principal"))


def _is_class_or_columns(node: ast.expr) -> bool:
    named = _named(node)
    return named.lstrip("_")[:1].isupper() or (
        isinstance(node, ast.Attribute) and named in ("c", "columns")
    )


def _prefix_pattern(node: ast.expr) -> bool:
    """A string built as "<code>." and more: `scope + "."`, `f"{scope}.%"`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        tail = node.right
    elif isinstance(node, ast.JoinedStr) and node.values:
        tail = node.values[-1]
    else:
        return False
    return isinstance(tail, ast.Constant) and str(tail.value).startswith(".")


def _scope_reads(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in sorted(ast.walk(tree), key=lambda node: getattr(node, "lineno", 0)):
        if isinstance(node, ast.Attribute):
            if node.attr in ("region_scope", "cooperative_id") and _is_caller(node.value):
                yield node.lineno, f"reads the caller's {node.attr} ({ast.unparse(node)})"
            elif node.attr == "region_scope" and _is_class_or_columns(node.value):
                yield node.lineno, f"a condition on a region_scope column ({ast.unparse(node)})"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "like", "ilike")
            and node.args
            and _prefix_pattern(node.args[0])
        ):
            yield node.lineno, f"a region prefix test of its own ({ast.unparse(node)})"


def test_region_scope_is_read_only_in_app_access():
    """Only `app/access/` (in practice `app/access/scope.py`) turns a caller into a yes/no on a
    region code or into row conditions; `app/models/` declares the columns. Anywhere else in
    `app/`, the test fails on:

    - an attribute `region_scope` or `cooperative_id` read from an expression named `caller`,
      `principal`, or ending so (`caller.region_scope`, `self.caller.cooperative_id`,
      `caller.principal.region_scope`): the caller's scope, or its cooperative binding;
    - an attribute `region_scope` of a capitalised name (a class, or a constant such as
      `_COLUMNS`) or of a table's column collection (`UserAccount.region_scope`,
      `ApiKey.region_scope`, `UserAccount.__table__.c.region_scope`): a
      condition on a stored account's or key's scope column ("accounts within my scope");
    - a call `.startswith(...)`, `.like(...)` or `.ilike(...)` whose first argument is a
      string built to end in a dot and more (`code + "."`, `f"{region}.%"`): a region prefix
      test of its own, where `scope.lies_within` or `scope.code_in_region` says it once.

    A stored account's or key's scope read as data (`user.region_scope` into an audit event, a
    token claim or a response) is not the caller's and passes.
    """
    found = [
        f"{path}:{line}: {what}"
        for path, tree in _sources(APP)
        if not path.startswith(("app/access/", "app/models/"))
        for line, what in _scope_reads(tree)
    ]
    assert not found, "region scope outside app/access/scope.py:\n" + "\n".join(found)


def _imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import, at any depth; `from a.b import x` also as
    `a.b.x`, which is a module when x is one."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, "app/ imports absolutely"
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _imports_from(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path}:{line}: imports {module}"
        for path, tree in _sources(APP / package)
        for line, module in _imports(tree)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]


def test_core_imports_no_access_http_or_services():
    """`app/core` is database and file plumbing: it knows nothing of callers, requests,
    services, routes or the demo generator."""
    forbidden = ("app.access", "app.http", "app.services", "app.routers", "app.seed")
    assert _imports_from("core", forbidden) == []


def test_access_imports_no_services():
    """`app/access` says who is calling and what they reach; the services, routes, request
    plumbing and demo generator build on it, never the other way round."""
    forbidden = ("app.services", "app.routers", "app.http", "app.seed")
    assert _imports_from("access", forbidden) == []


# An aggregate's module that builds on another's, and the module it builds on, which must not
# import it back: what both need lives in the one below.
BUILDS_ON = [
    ("follow_ups", "consultations"),
    ("roster", "trainings"),
    ("refocusings", "ledger"),
    ("budget", "ledger"),
]


def test_services_that_build_on_another_are_not_imported_by_it():
    found = []
    for upper, lower in BUILDS_ON:
        tree = ast.parse((APP / "services" / f"{lower}.py").read_text())
        for line, module in _imports(tree):
            if module == f"app.services.{upper}":
                found.append(f"app/services/{lower}.py:{line}: imports {module}")
    assert found == []


# The writes that commit a session of their own, not through the write handle, and why.
OWN_COMMITS = {
    # Stamps an API key's last use while authenticating, before the route has a writer.
    ("app/access/auth.py", "_from_api_key"),
    # The Idempotency-Key claim must be visible to a concurrent retry before the write runs,
    # and a failed write must free it; expired keys are purged by the command line.
    ("app/http/idempotency.py", "_claim"),
    ("app/http/idempotency.py", "_release"),
    ("app/http/idempotency.py", "purge_expired"),
    # Sign-in writes before anyone is known: the refresh token, the audit of a failed login,
    # the end of a login.
    ("app/services/accounts.py", "_issue"),
    ("app/services/accounts.py", "login"),
    ("app/services/accounts.py", "_end_login"),
    # The first administrator and the demo accounts, made by the command line.
    ("app/services/accounts.py", "create_account"),
    # The bulk loaders of reference and demo data.
    ("app/services/regions.py", "load_regions"),
    ("app/seed/demo.py", "load_demo"),
}


def _commits(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(function, what it commits) for every `<x>.commit()` call in a module."""
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "commit"
                ):
                    yield function.name, ast.unparse(node.func.value)


def test_only_the_write_handle_commits():
    """Services commit with `writer.commit()`; the writer itself commits its session. Any other
    commit must be one of OWN_COMMITS, with its reason."""
    stray = [
        f"{path}: {function} commits {committed}"
        for path, tree in _sources(APP)
        for function, committed in _commits(tree)
        if committed != "writer"
        and (path, function) not in OWN_COMMITS
        and (path, function) != ("app/http/idempotency.py", "commit")
    ]
    assert not stray, "commits outside the write handle:\n  " + "\n  ".join(stray)

"""Imports run one way (DESIGN.md): core and accounts below every app, then registry → policies → onestop.

Every module is parsed with `ast`, so an import inside a function (a lazy import to dodge a cycle) counts
exactly as one at the top of the module does: it is the same dependency, only hidden.
"""

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "rencai"

# The apps above core and accounts, including the ones DESIGN.md plans and that do not exist yet.
APPS = ("registry", "policies", "onestop", "evaluation", "recruitment", "analytics", "coordination")

# package -> the apps it must never import. Registry holds the facts everything else reads; the policy
# engine reads the registry and feeds the one-stop services; analytics reads them all.
FORBIDDEN = {
    "core": APPS,
    "accounts": APPS,
    "registry": tuple(app for app in APPS if app != "registry"),
    "policies": ("onestop", "analytics"),
}

# Known violations, each with the reason it is tolerated and what removes it: (module, imported module).
# Empty: an entry here is a debt to pay, not a permission.
ALLOWED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a `from … import` reads from, relative imports included."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth; `from a import b` yields a and a.b."""
    module = _module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node, module, path.name == "__init__.py")
            found.append((node.lineno, source))
            found += [(node.lineno, f"{source}.{alias.name}") for alias in node.names]
    return found


def _names(imported: str, app: str) -> bool:
    target = f"rencai.{app}"
    return imported == target or imported.startswith(target + ".")


def violations(package: str) -> list[str]:
    found = []
    for path in sorted((SOURCE / package).rglob("*.py")):
        module = _module_name(path)
        for line, imported in imported_modules(path):
            for app in FORBIDDEN[package]:
                if _names(imported, app) and (module, imported) not in ALLOWED:
                    found.append(f"{path.relative_to(SOURCE.parent)}:{line} imports {imported}")
    return sorted(set(found))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_above_it(package):
    assert (SOURCE / package).is_dir()
    assert violations(package) == []


def test_function_level_and_relative_imports_are_seen(tmp_path, monkeypatch):
    core = tmp_path / "rencai" / "core"
    core.mkdir(parents=True)
    (core / "sample.py").write_text(
        "def lazy():\n    from ..onestop import verification\n    import rencai.policies.engine\n"
        "from rencai import registry\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(f"{__name__}.SOURCE", tmp_path / "rencai")

    assert violations("core") == [
        "rencai/core/sample.py:2 imports rencai.onestop",
        "rencai/core/sample.py:2 imports rencai.onestop.verification",
        "rencai/core/sample.py:3 imports rencai.policies.engine",
        "rencai/core/sample.py:4 imports rencai.registry",
    ]


def test_allowed_exceptions_are_still_needed():
    """An allow-list entry whose import has gone is removed, so the list never hides a new violation."""
    seen = {
        (_module_name(path), imported)
        for package in FORBIDDEN
        for path in (SOURCE / package).rglob("*.py")
        for _, imported in imported_modules(path)
    }
    assert ALLOWED - seen == set()

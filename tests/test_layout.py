"""The workspace keeps the design's shape: members, declared dependencies, import arrows."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from tests.support.processes import ROOT

MEMBERS = {
    "core": ("packages/core", set()),
    "scrapers": ("packages/scrapers", {"core"}),
    "db": ("packages/db", {"core"}),
    "pipeline": ("packages/pipeline", {"core", "scrapers", "db"}),
    "worker": ("apps/worker", {"core", "pipeline"}),
    "api": ("apps/api", {"core", "db"}),
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("almanac.") and "." in n}
    return found


@pytest.mark.parametrize("member", sorted(MEMBERS))
def test_member_imports_only_what_the_design_allows(member: str) -> None:
    folder, allowed = MEMBERS[member]
    sources = list((ROOT / folder / "src" / "almanac" / member).rglob("*.py"))
    assert sources
    used = set().union(*(_imports(p) for p in sources)) - {member}
    assert used <= allowed, f"{member} imports {sorted(used - allowed)}"


@pytest.mark.parametrize("member", sorted(MEMBERS))
def test_member_declares_its_workspace_dependencies(member: str) -> None:
    folder, allowed = MEMBERS[member]
    project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())
    dependencies = {d for d in project["project"]["dependencies"] if d.startswith("almanac-")}
    assert dependencies == {f"almanac-{m}" for m in allowed}
    sources = project.get("tool", {}).get("uv", {}).get("sources", {})
    assert all(sources[d] == {"workspace": True} for d in dependencies)
    assert (ROOT / folder / "tests").is_dir()


def test_top_level_files_are_present() -> None:
    for name in (
        "compose.dev.yml",
        "Dockerfile",
        "Makefile",
        "Procfile",
        "README.md",
        ".env.example",
        ".ci/run",
        "uv.lock",
        "sources.yaml",
    ):
        assert (ROOT / name).is_file(), name

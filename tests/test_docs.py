"""The docs stay true to the tree: every module and test they name exists, and nothing points outside the
repository (a person who clones it has nothing else)."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Landed migrations are never edited, whatever they say.
SOURCES = [p for p in ROOT.glob("**/*") if p.suffix in {".py", ".md", ".html", ".toml", ".yml", ".js", ".css"}
           and not {".venv", "var", "node_modules", ".git", "migrations"} & set(p.relative_to(ROOT).parts)]


def _mentions(pattern: str) -> list[tuple[str, str]]:
    return [(doc.name, match) for doc in DOCS for match in re.findall(pattern, doc.read_text())]


@pytest.mark.parametrize("doc, path", _mentions(r"`((?:ce_portal|records|audits|platforms|tests|bench|docs|scripts)"
                                                 r"/[\w/]+\.(?:py|md))`"))
def test_every_file_the_docs_name_exists(doc, path):
    assert (ROOT / path).is_file(), f"{doc} names {path}"


@pytest.mark.parametrize("doc, reference", _mentions(r"(tests/[\w/]+\.py::\w+)"))
def test_every_test_the_docs_name_exists(doc, reference):
    path, name = reference.split("::")
    tree = ast.parse((ROOT / path).read_text())
    assert name in {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}, f"{doc}: {reference}"


def test_nothing_points_outside_the_repository():
    outside = re.compile(r"\.\./shared|\b(?:DESIGN|BASELINE|STYLE)\.md")
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in SOURCES if p != Path(__file__)
            for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if outside.search(line)]
    assert hits == []

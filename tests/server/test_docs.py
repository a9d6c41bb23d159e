"""The documents in the repository: in step with the code, and self-contained.

``docs/openapi.json`` must be what the server serves, ``docs/api.md`` must name every
operation of it, every link of the README and of ``docs/`` must lead to a file of the
repository (a newcomer reading a checkout, or an archive of it, never lands outside),
and the README's two commands must be the ones the scripts and CI run.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from plaudit_server import create_app

ROOT = Path(__file__).resolve().parents[2]
OPENAPI_JSON = ROOT / "docs" / "openapi.json"
API_MD = ROOT / "docs" / "api.md"
REGENERATE = (
    "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))') "
    ".venv/bin/plaudit openapi write docs/openapi.json"
)
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def documents() -> list[Path]:
    return [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted(ROOT.glob("docs/*.md"))]


# ---------------------------------------------------------------- the API documents


@pytest.fixture
def served_spec(tmp_path: Path, base_config: dict[str, Any]) -> dict[str, Any]:
    """The document the server serves (no database is needed to build it)."""
    app = create_app({**base_config, "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3"})
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_docs_openapi_json_is_what_the_server_serves(served_spec: dict[str, Any]) -> None:
    committed = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))
    assert committed == served_spec, f"docs/openapi.json is out of date: run `{REGENERATE}`"


def operations(spec: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_api_md_documents_every_operation_of_the_document() -> None:
    spec = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))
    text = API_MD.read_text(encoding="utf-8")
    missing = sorted(op for op in operations(spec) if f"`{op}`" not in text)
    assert not missing, f"docs/api.md does not document: {missing}"


def test_api_md_documents_no_operation_the_document_lacks() -> None:
    spec = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))
    named = set(re.findall(r"`((?:GET|PUT|POST|DELETE|PATCH) /api/[^`\s?]*)", API_MD.read_text()))
    assert named, "the pattern found no operation at all"
    unknown = named - operations(spec) - {"GET /api/v1/openapi.json"}  # the document itself
    assert not unknown, f"docs/api.md names operations the server does not serve: {unknown}"


# ---------------------------------------------------------------- links

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
BARE_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>)\]]+", re.IGNORECASE)
HTML_ATTRIBUTE = re.compile(r"\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def prose(markdown: str) -> str:
    """The text a reader sees as text: code blocks and code spans are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def links(markdown: str) -> list[str]:
    """Every link target: inline, reference, autolink, HTML, then bare URLs in the rest."""
    text = prose(markdown)
    found: list[str] = []
    for pattern in (INLINE_LINK, REFERENCE_DEFINITION, AUTOLINK, HTML_ATTRIBUTE):
        found += pattern.findall(text)
        text = pattern.sub(" ", text)
    return found + BARE_URL.findall(text)


def anchors(markdown: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, and a
    ``-1``, ``-2``... suffix on repeats."""
    seen: dict[str, int] = {}
    result = set()
    for title in HEADING.findall(FENCE.sub("", markdown)):
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", plain.lower().replace("`", "")).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def link_problems(document: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with each link of ``document``: outside the repository, or to a
    file or heading that does not exist."""
    problems = []
    for target in links(document.read_text(encoding="utf-8")):
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//|www\.", target, re.IGNORECASE):
            problems.append(f"{target}: leads outside the repository")
            continue
        path, _, fragment = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.is_relative_to(root.resolve()):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif (
            fragment
            and resolved.suffix == ".md"
            and fragment not in anchors(resolved.read_text(encoding="utf-8"))
        ):
            problems.append(f"{target}: no such heading in {resolved.name}")
    return problems


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_of_the_repository(document: Path) -> None:
    assert document.exists()
    assert not link_problems(document)


def test_link_check_is_not_vacuous(tmp_path: Path) -> None:
    """Each kind of bad link is caught; code is not taken for a link."""
    (tmp_path / "there.md").write_text("# A heading\n", encoding="utf-8")
    document = tmp_path / "doc.md"
    document.write_text(
        "# Title\n\n"
        "[ok](there.md) [ok too](there.md#a-heading) [self](#title) `<https://in.code>`\n"
        "```sh\ncurl https://in.a.block/\n```\n"
        "[out](https://example.com/) <http://127.0.0.1:5000/> see www.example.com\n"
        "[gone](missing.md) [no heading](there.md#nothing) [up](../../etc/passwd)\n"
        "[ref]: https://example.org/ref\n"
        '<a href="https://example.net/">html</a>\n',
        encoding="utf-8",
    )
    problems = link_problems(document, root=tmp_path)
    flagged = sorted(problem.partition(":")[0] for problem in problems)
    assert len(problems) == 8, problems
    assert "missing.md" in flagged
    assert "there.md#nothing" in flagged
    assert "../../etc/passwd" in flagged


# ---------------------------------------------------------------- the README's commands


def first_command(section: str) -> str:
    """The first fenced code block under the README's ``## {section}``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    assert body, f"the README has no '## {section}' section"
    block = re.search(r"^```\w*\n(.*?)^```", body.group(1), re.M | re.S)
    assert block, f"'## {section}' has no code block"
    return block.group(1).strip()


def test_the_readme_demo_command_is_the_demo_script() -> None:
    assert first_command("Try it") == "scripts/demo"
    assert os.access(ROOT / "scripts" / "demo", os.X_OK)


def test_the_readme_test_command_is_what_ci_runs() -> None:
    assert first_command("Run the tests") == "scripts/test"
    assert os.access(ROOT / "scripts" / "test", os.X_OK)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1].strip() == "scripts/test"

"""Compiled templates are kept on disk and shared by a host's workers (Jinja's bytecode
cache, see ``init_template_cache``): the first worker compiles, the others load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from flask import Flask

PAGE = "/admin/login"  # rendered by the admin page's app, from two templates


def render(app: Flask) -> str:
    response = app.test_client().get(PAGE)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def refuse_to_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    def compile(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled a template the cache holds")

    monkeypatch.setattr(jinja2.Environment, "compile", compile)


def test_a_compiled_template_is_loaded_not_compiled_again(
    app_factory: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = render(app_factory(TEMPLATE_CACHE_DIR=str(tmp_path)))
    assert len(list(tmp_path.glob("*.cache"))) == 2  # the login page and its base
    refuse_to_compile(monkeypatch)
    # A new app is a new worker: nothing compiled in memory, all of it on disk.
    assert render(app_factory(TEMPLATE_CACHE_DIR=str(tmp_path))) == first
    with pytest.raises(AssertionError, match="compiled a template"):
        render(app_factory(TEMPLATE_CACHE_DIR=False))


def test_a_changed_template_is_compiled_again(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    app = app_factory(TEMPLATE_CACHE_DIR=str(tmp_path))
    env = app.jinja_env
    env.loader = jinja2.DictLoader({"page.html": "one"})
    assert env.get_template("page.html").render() == "one"
    other = app_factory(TEMPLATE_CACHE_DIR=str(tmp_path)).jinja_env
    other.loader = jinja2.DictLoader({"page.html": "two"})  # same name, new source
    assert other.get_template("page.html").render() == "two"


def test_off_keeps_nothing(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(TEMPLATE_CACHE_DIR=False)
    assert app.jinja_env.bytecode_cache is None
    assert "Sign in" in render(app)


def test_a_damaged_cache_costs_a_compile_not_the_page(
    app_factory: Callable[..., Flask], tmp_path: Path
) -> None:
    first = render(app_factory(TEMPLATE_CACHE_DIR=str(tmp_path)))
    kept = list(tmp_path.glob("*.cache"))
    assert kept
    for path in kept:  # the header survives, the marshalled code is cut short
        path.write_bytes(path.read_bytes()[:60])
    assert render(app_factory(TEMPLATE_CACHE_DIR=str(tmp_path))) == first


def test_a_disk_that_cannot_keep_them_costs_a_compile_not_the_page(
    app_factory: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    assert "Sign in" in render(app_factory(TEMPLATE_CACHE_DIR=str(not_a_directory)))
    assert "could not keep a compiled template" in caplog.text

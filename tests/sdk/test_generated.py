"""The sync SDK is generated from the async one by sdk/scripts/unasync.py: the committed
sync files must be what the script makes from the async source now."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).parents[2] / "sdk" / "scripts" / "unasync.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plaudit_unasync", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sync_files_are_generated_from_the_async_ones():
    stale = _script().stale()
    assert stale == [], f"regenerate with: python {SCRIPT.relative_to(SCRIPT.parents[2])}"


def test_the_rules_take_out_async():
    source = '''
import anyio
from collections.abc import AsyncIterator, Awaitable, Callable


class AsyncThing(AsyncBase):
    """>>> await AsyncThing().get()"""

    def __init__(self, fetch: Callable[[str], Awaitable[Self]]) -> None:
        self._http = httpx.AsyncClient()

    async def __aenter__(self) -> Self:
        return self

    async def get(self) -> AsyncIterator[int]:
        await anyio.sleep(1)
        async with self._http as http:
            async for page in self.pages():
                yield (await page.first())
        await self._http.aclose()
'''
    expected = '''
import time
from collections.abc import Iterator, Awaitable, Callable


class Thing(Base):
    """>>> Thing().get()"""

    def __init__(self, fetch: Callable[[str], Self]) -> None:
        self._http = httpx.Client()

    def __enter__(self) -> Self:
        return self

    def get(self) -> Iterator[int]:
        time.sleep(1)
        with self._http as http:
            for page in self.pages():
                yield (page.first())
        self._http.close()
'''
    assert _script().unasync(source) == expected

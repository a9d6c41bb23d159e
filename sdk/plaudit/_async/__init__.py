"""The SDK's I/O code, written once: async here, and generated from here for sync.

Why generated: the sync and async clients must do exactly the same thing (the same
requests, retries, backoff, Idempotency-Keys, error mapping and paging), and the only
difference between them is where one ``await``\\s. Kept by hand, two copies drift; a
sans-I/O core would still need two hand-kept copies of every resource method's
signature and body around it. So, like httpcore, urllib3 and elasticsearch-py, the
async code in this package is the one source, and ``sdk/scripts/unasync.py`` writes
:mod:`plaudit._sync` from it by taking out ``async``/``await`` and ``Async`` prefixes
(``AsyncPlaudit`` becomes ``Plaudit``, ``anyio.sleep`` becomes ``time.sleep``). The
generated files are committed, so the package needs no build step, and a test fails
when they are not what the script makes from this package now.

Edit the files here, then run ``python sdk/scripts/unasync.py``. What needs no I/O
(building requests, deciding retries, parsing, paging helpers) lives outside both
packages, in :mod:`plaudit._base_client`, :mod:`plaudit._retry` and
:mod:`plaudit._base_resource`; the one difference on purpose (a sync ``list()``
returns its first page, an async one a paginator) is ``_pages`` there.
"""

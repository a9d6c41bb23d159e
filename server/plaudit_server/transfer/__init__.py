"""Moving in and out: imports from other review tools, and the open export format.

``formats/`` read a source file into :mod:`records` (one module per tool, each a
generator, so a file of any size streams through in constant memory); ``loader.py``
writes records to a site (idempotent by source id, counters exact afterwards);
``export.py`` writes a site as JSON Lines (``schema.json`` describes it).
"""

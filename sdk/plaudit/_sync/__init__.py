"""The sync client, resources and pages: generated from :mod:`plaudit._async` by
``sdk/scripts/unasync.py``; do not edit them, edit the async source and run the script."""

"""Signed webhooks: Plaudit tells the shop's own systems what happened (issue #15)."""

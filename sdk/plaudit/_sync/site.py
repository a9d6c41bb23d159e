# Generated from plaudit/_async/site.py by sdk/scripts/unasync.py: do not edit;
# edit that file and run the script.
"""``client.site``: the API key's own site and its settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._base_client import NOT_GIVEN, NotGiven
from .._base_resource import APIResource
from .._models import Locale, Moderation, Site

__all__ = ["SiteResource"]


def _site_changes(
    name: str | NotGiven,
    allowed_origins: Iterable[str] | NotGiven,
    moderation: Moderation | str | NotGiven,
    blocked_words: Iterable[str] | NotGiven,
    **settings: Any,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if not isinstance(name, NotGiven):
        changes["name"] = name
    if not isinstance(allowed_origins, NotGiven):
        changes["allowed_origins"] = list(allowed_origins)
    if not isinstance(moderation, NotGiven):
        changes["moderation"] = moderation
    if not isinstance(blocked_words, NotGiven):
        changes["blocked_words"] = list(blocked_words)
    changes.update({k: v for k, v in settings.items() if not isinstance(v, NotGiven)})
    return changes


class SiteResource(APIResource):
    """``client.site.get()`` and ``client.site.update(...)``."""

    def get(self) -> Site:
        """The site this API key belongs to (its ``id`` is the public slug)."""
        site = Site.from_dict(self._client.request("GET", "admin/site"))
        self._client._site_id = site.id
        return site

    def update(
        self,
        *,
        name: str | NotGiven = NOT_GIVEN,
        allowed_origins: Iterable[str] | NotGiven = NOT_GIVEN,
        moderation: Moderation | str | NotGiven = NOT_GIVEN,
        blocked_words: Iterable[str] | NotGiven = NOT_GIVEN,
        locale: Locale | str | NotGiven = NOT_GIVEN,
        invite_delay_days: int | NotGiven = NOT_GIVEN,
        invite_reminder_days: int | NotGiven = NOT_GIVEN,
        invite_ttl_days: int | NotGiven = NOT_GIVEN,
        report_threshold: int | NotGiven = NOT_GIVEN,
        guidelines: str | NotGiven | None = NOT_GIVEN,
        idempotency_key: str | None = None,
    ) -> Site:
        """Change any of the site's settings; the ones not given stay as they are.

        ``moderation="pre"`` holds every new review and comment for approval. ``locale``
        (``en``, ``de``, ``fr``, ``es``) is the language of messages to people whose own
        is not known. Invitations go out ``invite_delay_days`` (0-365) after they are
        created unless they say when, are reminded ``invite_reminder_days`` (0-365; 0
        for no reminder) later, and their links last ``invite_ttl_days`` (1-730).
        ``report_threshold`` open reports send a published item back to pending until
        you decide (0: reports never hold an item). ``guidelines`` is the text of the
        site's public moderation guidelines; None restores the default one.

        >>> site = client.site.update(locale="de", invite_reminder_days=0)
        >>> site.locale, site.invite_delay_days, site.invite_reminder_days
        ('de', 0, 0)
        """
        body = _site_changes(
            name,
            allowed_origins,
            moderation,
            blocked_words,
            locale=locale,
            invite_delay_days=invite_delay_days,
            invite_reminder_days=invite_reminder_days,
            invite_ttl_days=invite_ttl_days,
            report_threshold=report_threshold,
            guidelines=guidelines,
        )
        data = self._client.request(
            "PATCH", "admin/site", json=body, idempotency_key=idempotency_key
        )
        return Site.from_dict(data)

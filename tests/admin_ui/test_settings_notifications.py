"""The settings page's Notifications form: how often the shop hears of items waiting for
moderation (off, instantly, one daily digest) and at which address (empty: the owner's
sign-in address). Saved as ``PATCH /api/v1/admin/site``'s ``notifications`` is, and read
back through that API; bad input is refused next to its field with nothing changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

from flask import Flask

from conftest import Api

ADMIN = "/admin"


def notifications(api: Any) -> dict[str, Any]:
    response = api.admin("GET", "/site")
    assert response.status_code == 200
    return response.get_json()["notifications"]  # type: ignore[no-any-return]


def checked_choice(html: str) -> str:
    found = re.findall(r'<input type="radio" name="new_items" value="(\w+)" checked>', html)
    assert len(found) == 1, found
    return found[0]


def address_in_use(html: str) -> str:
    found = re.search(r'<strong id="notify-address">([^<]*)</strong>', html)
    assert found
    return unescape(found.group(1))


def test_defaults_are_a_daily_digest_to_the_owner(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    html = client.get(f"{ADMIN}/{site.slug}/settings").get_data(as_text=True)
    assert "Notify me of new items waiting for moderation" in html
    assert checked_choice(html) == "daily"
    assert address_in_use(html) == site.owner_email
    assert 'id="notify-owner_email" name="owner_email" type="email" value=""' in html
    assert notifications(api) == {"owner_email": site.owner_email, "new_items": "daily"}


def test_save_instant_to_another_address_then_back_to_the_owner(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    path = f"{ADMIN}/{site.slug}/settings/notifications"
    saved = client.post(path, data={"new_items": "instant", "owner_email": " team@acme.test "})
    assert saved.status_code == 302
    assert saved.headers["Location"] == f"{ADMIN}/{site.slug}/settings#notifications"
    assert notifications(api) == {"owner_email": "team@acme.test", "new_items": "instant"}
    html = client.get(f"{ADMIN}/{site.slug}/settings").get_data(as_text=True)
    assert "Notification settings saved." in html
    assert checked_choice(html) == "instant"
    assert address_in_use(html) == "team@acme.test"
    assert 'name="owner_email" type="email" value="team@acme.test"' in html
    assert re.search(r'settings"\s+aria-current="page">Settings</a>', html)

    off = client.post(path, data={"new_items": "off", "owner_email": ""})
    assert off.status_code == 302
    assert notifications(api) == {"owner_email": site.owner_email, "new_items": "off"}
    html = client.get(f"{ADMIN}/{site.slug}/settings").get_data(as_text=True)
    assert checked_choice(html) == "off" and address_in_use(html) == site.owner_email


def test_bad_input_is_refused_and_nothing_changes(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    before = api.admin("GET", "/site").get_json()
    path = f"{ADMIN}/{site.slug}/settings/notifications"
    bad_address = client.post(path, data={"new_items": "instant", "owner_email": "not-an-address"})
    assert bad_address.status_code == 422
    html = bad_address.get_data(as_text=True)
    assert re.search(
        r'<p class="field-error" id="notify-owner_email-error">Not a valid email address.</p>', html
    )
    assert 'value="not-an-address"' in html and checked_choice(html) == "instant"
    assert 'aria-invalid="true"' in html
    bad_choice = client.post(path, data={"new_items": "hourly", "owner_email": ""})
    assert bad_choice.status_code == 422
    assert 'id="notify-new_items-error">Must be one of: off, instant, daily.' in (
        bad_choice.get_data(as_text=True)
    )
    assert api.admin("GET", "/site").get_json() == before


def test_the_other_settings_stay_as_they_were(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    before = api.admin("GET", "/site").get_json()
    response = client.post(
        f"{ADMIN}/{site.slug}/settings/notifications",
        data={"new_items": "instant", "owner_email": "<b>x</b>@acme.test"},
    )
    assert response.status_code == 422  # not an address; and escaped on the page
    assert "<b>x</b>" not in response.get_data(as_text=True)
    client.post(f"{ADMIN}/{site.slug}/settings/notifications", data={"new_items": "instant"})
    after = api.admin("GET", "/site").get_json()
    assert after["notifications"]["new_items"] == "instant"
    assert {k: v for k, v in after.items() if k not in {"notifications", "updated_at"}} == {
        k: v for k, v in before.items() if k not in {"notifications", "updated_at"}
    }


def test_another_sites_settings_are_404(
    app: Flask, make_site: Callable[..., Any], site: Any, signed_in: Callable[[Any], Any]
) -> None:
    other = make_site(slug="other-shop")
    client = signed_in(site)
    response = client.post(
        f"{ADMIN}/{other.slug}/settings/notifications", data={"new_items": "off"}
    )
    assert response.status_code == 404
    assert notifications(Api(app.test_client(), other))["new_items"] == "daily"

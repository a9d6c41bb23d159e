"""The admin page's Webhooks section, through the Flask test client, on both databases.

Add (the secret shown once), edit, enable and disable, delete after a confirmation,
rotate the secret, send a test event and send a delivery again, all to a real local
receiver (``hook_sink``), with signatures checked by the ``standardwebhooks`` package;
the deliveries' list with its paging and filter; bad input refused with the service's
own message next to the field and nothing changed; another site's ids are 404; typed
text is escaped. What the page did is read back through the admin API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
import standardwebhooks
from flask import Flask

from hooksink import HookSink
from plaudit_server.extensions import db
from plaudit_server.models import Delivery, Webhook
from plaudit_server.services import sites
from plaudit_server.services import webhooks as webhook_service

from .helpers import browser, sign_in

ADMIN = "/admin"


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """Webhooks may go to the loopback receiver; failed attempts are retried soon."""
    return app_factory(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOK_RETRY_SECONDS=[30, 30])


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return response


def text_of(response: Any) -> str:
    """The page's text with tags removed and entities decoded, spaces collapsed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def field_error(response: Any, form: str, name: str) -> str:
    """The error shown next to field ``name`` of form ``form`` ("new" or "edit")."""
    found = re.search(
        rf'<p class="field-error" id="{form}-{name}-error">(.*?)</p>', response.get_data(True)
    )
    assert found, f"no error next to {form}-{name}"
    return unescape(found.group(1))


def listed(api: Any) -> list[dict[str, Any]]:
    response = ok(api.admin("GET", "/webhooks?limit=100"))
    return response.get_json()["webhooks"]  # type: ignore[no-any-return]


def deliveries(api: Any, webhook_id: str) -> list[dict[str, Any]]:
    response = ok(api.admin("GET", f"/webhooks/{webhook_id}/deliveries?limit=100"))
    return response.get_json()["deliveries"]  # type: ignore[no-any-return]


def add(client: Any, slug: str, url: str, events: list[str] | None = None, **form: Any) -> Any:
    data = {"url": url, "events": ["*"] if events is None else events, **form}
    return client.post(f"{ADMIN}/{slug}/webhooks", data=data)


def secret_on(response: Any) -> str:
    found = re.search(r'<input id="new-secret" value="(whsec_[^"]+)"', response.get_data(True))
    assert found, "no secret on the page"
    return found.group(1)


def added(client: Any, slug: str, url: str, **kwargs: Any) -> tuple[str, str]:
    """Add a webhook through the form; returns its id and its secret."""
    response = ok(add(client, slug, url, **kwargs), 201)
    found = re.search(r'/webhooks/(wh_[0-9A-Za-z]+)/test"', response.get_data(True))
    assert found
    return found.group(1), secret_on(response)


def delivery_rows(html: str) -> dict[str, str]:
    """The deliveries table: delivery id -> the row's text."""
    rows = re.findall(r'<tr id="dlv-(dlv_[0-9A-Za-z]+)"[^>]*>(.*?)</tr>', html, re.S)
    return {
        delivery_id: re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()
        for delivery_id, body in rows
    }


def flashes(client: Any, path: str) -> str:
    """The flash messages of the page at ``path``."""
    html = ok(client.get(path)).get_data(as_text=True)
    found = re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', html, re.S)
    return " | ".join(f"{kind}: {unescape(text)}" for kind, text in found)


# ---------------------------------------------------------------- the section


def test_webhooks_section_is_in_the_navigation(site: Any, signed_in: Callable[[Any], Any]) -> None:
    client = signed_in(site)
    queue = ok(client.get(f"{ADMIN}/{site.slug}/reviews")).get_data(as_text=True)
    assert f'href="{ADMIN}/{site.slug}/webhooks"' in queue
    page = ok(client.get(f"{ADMIN}/{site.slug}/webhooks"))
    html = page.get_data(as_text=True)
    assert re.search(r'webhooks"\s+aria-current="page">Webhooks</a>', html)
    assert "No webhooks yet." in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script>" not in html and " style=" not in html


def test_the_section_needs_a_session(client: Any, site: Any) -> None:
    response = client.get(f"{ADMIN}/{site.slug}/webhooks")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    refused = client.post(f"{ADMIN}/{site.slug}/webhooks", data={"url": "http://x.test/"})
    assert refused.status_code == 302 and "/admin/login" in refused.headers["Location"]


def test_add_shows_the_secret_once_and_it_signs_the_test_event(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    response = ok(
        add(
            client,
            site.slug,
            hook_sink.url,
            ["review.created", "comment.created"],
            description="Help desk",
        ),
        201,
    )
    text = text_of(response)
    assert "Copy it now: it is shown this once and never again." in text
    secret = secret_on(response)
    (made,) = listed(api)
    assert made["url"] == hook_sink.url and made["description"] == "Help desk"
    assert made["events"] == ["review.created", "comment.created"] and made["enabled"]
    # Never again: not on the list, not on the webhook's own page.
    listing = ok(client.get(f"{ADMIN}/{site.slug}/webhooks")).get_data(as_text=True)
    assert secret not in listing and "Help desk" in listing
    assert "review.created, comment.created" in listing
    detail = ok(client.get(f"{ADMIN}/{site.slug}/webhooks/{made['id']}")).get_data(True)
    assert secret not in detail and 'id="new-secret"' not in detail
    assert "No deliveries yet." in detail

    sent = client.post(f"{ADMIN}/{site.slug}/webhooks/{made['id']}/test")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("#deliveries")
    assert flashes(client, sent.headers["Location"]) == (
        "success: Test event delivered: the receiver answered 200."
    )
    (received,) = hook_sink.wait_for(1)
    event = standardwebhooks.Webhook(secret).verify(received.body, received.headers)
    assert event["type"] == "ping" and event["data"]["webhook_id"] == made["id"]
    (logged,) = deliveries(api, made["id"])
    assert logged["status"] == "succeeded" and logged["response_status"] == 200
    rows = delivery_rows(
        ok(client.get(f"{ADMIN}/{site.slug}/webhooks/{made['id']}")).get_data(True)
    )
    assert re.fullmatch(
        rf"ping {logged['event_id']} Succeeded 1 200 \S+ \S+ UTC - Send again the ping event .*",
        rows[logged["id"]].replace("\N{EN DASH}", "-"),
    ), rows


def test_all_events_wins_over_single_ones(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    added(client, site.slug, hook_sink.url, events=["review.created", "*"])
    assert listed(api)[0]["events"] == ["*"]
    listing = ok(client.get(f"{ADMIN}/{site.slug}/webhooks")).get_data(as_text=True)
    assert '<td class="events">all events</td>' in listing


@pytest.mark.parametrize(
    ("url", "events", "field", "message"),
    [
        ("ftp://example.com/hooks", ["*"], "url", "The URL must use http or https."),
        ("https://user:pw@example.com/", ["*"], "url", "must not contain a user name or password"),
        ("not a url", ["*"], "url", "The URL must not contain spaces or control characters."),
        ("", ["*"], "url", "Length must be between 1 and 2000."),
        ("http://127.0.0.1:9/x", ["review.exploded"], "events", "Unknown event type"),
        ("http://127.0.0.1:9/x", [], "events", "Choose at least one event, or all events."),
    ],
)
def test_bad_input_is_refused_next_to_the_field(
    api: Any,
    site: Any,
    signed_in: Callable[[Any], Any],
    url: str,
    events: list[str],
    field: str,
    message: str,
) -> None:
    client = signed_in(site)
    response = add(client, site.slug, url, events, description="kept as typed")
    assert response.status_code == 422
    assert message in field_error(response, "new", field)
    assert 'role="alert">Nothing was saved' in response.get_data(True)
    assert 'value="kept as typed"' in response.get_data(True)  # the form is kept
    assert listed(api) == []


def test_a_private_address_is_refused_unless_allowed(
    app_factory: Callable[..., Flask], site: Any, api: Any
) -> None:
    strict = app_factory()  # WEBHOOKS_ALLOW_PRIVATE off, as in production
    client = browser(strict)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    for url, message in [
        ("https://10.1.2.3/hooks", "10.1.2.3 is a private address"),
        ("https://169.254.169.254/latest", "169.254.169.254 is a"),
        ("http://example.com/hooks", "The URL must use https."),
    ]:
        response = add(client, site.slug, url)
        assert response.status_code == 422
        assert message in field_error(response, "new", "url")
    assert listed(api) == []


def test_at_most_twenty_webhooks(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    for n in range(webhook_service.MAX_PER_SITE):
        ok(add(client, site.slug, f"{hook_sink.url}?n={n}"), 201)
    response = add(client, site.slug, f"{hook_sink.url}?n=21")
    assert response.status_code == 422
    assert field_error(response, "new", "url") == "At most 20 webhooks per site."
    assert "This site has 20 webhooks, the most it can have" in text_of(response)
    assert len(listed(api)) == 20


# ---------------------------------------------------------------- edit, enable, delete


def test_edit_changes_url_events_and_description(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, _ = added(client, site.slug, hook_sink.url, description="Old")
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    saved = client.post(
        page, data={"url": hook_sink.url + "/v2", "events": ["review.deleted"], "description": ""}
    )
    assert saved.status_code == 302 and saved.headers["Location"] == page
    assert flashes(client, page) == "success: Webhook saved."
    (now,) = listed(api)
    assert now["url"] == hook_sink.url + "/v2" and now["events"] == ["review.deleted"]
    assert now["description"] is None

    refused = client.post(
        page, data={"url": "ftp://example.com/", "events": ["review.created"], "description": "x"}
    )
    assert refused.status_code == 422
    assert field_error(refused, "edit", "url") == "The URL must use http or https."
    assert 'id="edit-url" name="url" type="url" value="ftp://example.com/"' in refused.get_data(
        True
    )
    assert listed(api) == [now]  # nothing changed


def test_disable_and_enable(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, _ = added(client, site.slug, hook_sink.url)
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    off = client.post(f"{page}/enabled", data={"enabled": "no"})
    assert off.status_code == 302
    assert "disabled: it receives nothing" in flashes(client, page)
    assert listed(api)[0]["enabled"] is False
    html = ok(client.get(page)).get_data(as_text=True)
    assert "Disabled" in html and "by hand" in html
    assert "Send a test event" not in html and ">Enable</button>" in html
    # A test event is not sent (nor recorded) while disabled.
    refused = client.post(f"{page}/test")
    assert refused.status_code == 302
    assert "enable it before sending a test event" in flashes(client, page)
    assert deliveries(api, webhook_id) == [] and hook_sink.received == []

    on = client.post(f"{page}/enabled", data={"enabled": "yes"})
    assert on.status_code == 302
    assert "enabled: it receives events again" in flashes(client, page)
    assert listed(api)[0]["enabled"] is True
    assert "Send a test event" in ok(client.get(page)).get_data(as_text=True)


def test_a_410_disables_it_and_the_page_says_why(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, _ = added(client, site.slug, hook_sink.url)
    hook_sink.answers = [410]
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    client.post(f"{page}/test")
    message = flashes(client, page)
    assert message == (
        "error: Test event not delivered. The receiver answered 410 Gone: the webhook was "
        "disabled. No more attempts."
    )
    listing = text_of(ok(client.get(f"{ADMIN}/{site.slug}/webhooks")))
    assert "Disabled The receiver answered 410 Gone: the webhook was disabled." in listing
    assert listed(api)[0]["enabled"] is False


def test_delete_asks_first(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, _ = added(client, site.slug, hook_sink.url)
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    asked = ok(client.post(f"{page}/delete"))
    assert "Delete this webhook for good?" in text_of(asked)
    assert 'name="confirmed" value="yes"' in asked.get_data(True)
    assert len(listed(api)) == 1
    done = client.post(f"{page}/delete", data={"confirmed": "yes"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"{ADMIN}/{site.slug}/webhooks"
    assert flashes(client, done.headers["Location"]) == (
        f"success: Webhook to {hook_sink.url} deleted, with its delivery log."
    )
    assert listed(api) == []
    assert client.get(page).status_code == 404


# ---------------------------------------------------------------- secrets, tests, retries


def test_rotate_shows_the_new_secret_once_and_both_sign_for_a_day(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, first = added(client, site.slug, hook_sink.url)
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    rotated = ok(client.post(f"{page}/rotate-secret"))
    second = secret_on(rotated)
    assert second != first
    text = text_of(rotated)
    assert "New signing secret" in text and "(24 hours)" in text
    assert "every delivery carries two signatures, one by each secret" in text
    later = ok(client.get(page)).get_data(as_text=True)
    assert second not in later and "The secret was rotated" in later
    client.post(f"{page}/test")
    (received,) = hook_sink.wait_for(1)
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    for secret in (first, second):
        event = standardwebhooks.Webhook(secret).verify(received.body, received.headers)
        assert event["type"] == "ping"


def test_a_failed_test_event_is_sent_again(
    api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, _ = added(client, site.slug, hook_sink.url, events=["review.created"])
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    hook_sink.answers = [502, 200]
    client.post(f"{page}/test")
    message = flashes(client, page)
    assert re.fullmatch(
        r"error: Test event not delivered\. The receiver answered 502\. It is tried again at "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.",
        message,
    ), message
    (failed,) = deliveries(api, webhook_id)
    assert failed["status"] == "pending" and failed["attempts"] == 1
    row = delivery_rows(ok(client.get(page)).get_data(True))[failed["id"]]
    assert "Pending 1 502 The receiver answered 502." in row

    listing = f"{page}?status=pending"
    again = client.post(
        f"{page}/deliveries/{failed['id']}/retry", data={"next": listing + "#deliveries"}
    )
    assert again.status_code == 302 and again.headers["Location"] == listing + "#deliveries"
    assert flashes(client, listing) == "success: Event ping delivered: the receiver answered 200."
    (done,) = deliveries(api, webhook_id)
    assert done["status"] == "succeeded" and done["attempts"] == 2
    first, second = hook_sink.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == done["event_id"]
    # Nothing pending is left: the filtered list says so.
    assert "No deliveries match this filter." in text_of(ok(client.get(listing)))


def test_send_again_while_disabled_says_why(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, _ = added(client, site.slug, hook_sink.url)
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    client.post(f"{page}/test")
    (sent,) = deliveries(api, webhook_id)
    client.post(f"{page}/enabled", data={"enabled": "no"})
    flashes(client, page)  # read the "disabled" message
    html = ok(client.get(page)).get_data(as_text=True)
    assert "Send again" not in html
    response = client.post(f"{page}/deliveries/{sent['id']}/retry")
    assert response.status_code == 302
    assert "is disabled: enable it before sending again." in flashes(client, page)
    assert len(hook_sink.received) == 1


def test_deliveries_page_by_page_and_by_status(
    app: Flask, api: Any, site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    webhook_id, _ = added(client, site.slug, hook_sink.url)
    with app.app_context():
        shop = sites.site_by_slug(db.session, site.slug)
        for _ in range(30):
            webhook_service.ping(db.session, shop, webhook_id)
        # Written pending and due later: nothing delivers them during the test.
        db.session.execute(sa.update(Delivery).values(next_attempt_at=sa.null()))
        db.session.commit()
    page = f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"
    first = ok(client.get(page)).get_data(as_text=True)
    first_rows = delivery_rows(first)
    assert len(first_rows) == 25
    found = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert found
    second = ok(client.get(unescape(found.group(1)).split("#")[0])).get_data(as_text=True)
    second_rows = delivery_rows(second)
    assert len(second_rows) == 5 and not set(first_rows) & set(second_rows)
    assert 'rel="next"' not in second and ">First page</a>" in second
    assert set(first_rows) | set(second_rows) == {d["id"] for d in deliveries(api, webhook_id)}
    assert "No deliveries match this filter." in text_of(ok(client.get(f"{page}?status=failed")))
    assert len(delivery_rows(ok(client.get(f"{page}?status=pending")).get_data(True))) == 25
    # A mangled cursor or status: the first page, and a note of what was ignored.
    mangled = ok(client.get(f"{page}?cursor=nonsense&status=lost"))
    assert "Some filters were ignored: status, cursor." in text_of(mangled)
    assert set(delivery_rows(mangled.get_data(True))) == set(first_rows)


# ---------------------------------------------------------------- tenancy, escaping, origin


def test_another_sites_webhook_and_delivery_are_404(
    app: Flask,
    api: Any,
    make_site: Callable[..., Any],
    site: Any,
    signed_in: Callable[[Any], Any],
    hook_sink: HookSink,
) -> None:
    other = make_site(slug="other-shop")
    theirs, _ = added(signed_in(other), other.slug, hook_sink.url)
    client = signed_in(site)
    mine, _ = added(client, site.slug, hook_sink.url)
    with app.app_context():
        shop = sites.site_by_slug(db.session, other.slug)
        their_delivery = webhook_service.ping(db.session, shop, theirs).id
        db.session.commit()
    base = f"{ADMIN}/{site.slug}/webhooks"
    form = {"url": hook_sink.url + "/mine", "events": ["*"], "enabled": "no", "confirmed": "yes"}
    for method, path in [
        ("GET", f"{base}/{theirs}"),
        ("POST", f"{base}/{theirs}"),
        ("POST", f"{base}/{theirs}/enabled"),
        ("POST", f"{base}/{theirs}/delete"),
        ("POST", f"{base}/{theirs}/rotate-secret"),
        ("POST", f"{base}/{theirs}/test"),
        ("POST", f"{base}/{theirs}/deliveries/{their_delivery}/retry"),
        ("POST", f"{base}/{mine}/deliveries/{their_delivery}/retry"),
        ("GET", f"{base}/wh_nope"),
        ("GET", f"{ADMIN}/{other.slug}/webhooks"),  # their site's section
        ("POST", f"{ADMIN}/{other.slug}/webhooks/{theirs}/delete"),
    ]:
        response = client.open(path, method=method, data=form if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.status_code)
    with app.app_context():
        hook = db.session.get(Webhook, theirs)
        assert hook is not None and hook.enabled and hook.url == hook_sink.url
        assert hook.previous_secret is None
        (delivery,) = db.session.scalars(sa.select(Delivery).where(Delivery.webhook_id == theirs))
        assert delivery.id == their_delivery and delivery.attempts <= 1


def test_typed_text_is_escaped(
    site: Any, signed_in: Callable[[Any], Any], hook_sink: HookSink
) -> None:
    client = signed_in(site)
    evil = '<img src=x onerror="alert(1)">'
    webhook_id, _ = added(client, site.slug, f'{hook_sink.url}?q="><b>x</b>', description=evil)
    for path in (f"{ADMIN}/{site.slug}/webhooks", f"{ADMIN}/{site.slug}/webhooks/{webhook_id}"):
        html = ok(client.get(path)).get_data(as_text=True)
        assert evil not in html and "<b>x</b>" not in html
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    refused = add(client, site.slug, "ftp://<script>alert(1)</script>", description=evil)
    assert refused.status_code == 422
    assert "<script>alert(1)</script>" not in refused.get_data(as_text=True)


def test_forms_from_another_origin_are_refused(
    app: Flask, api: Any, site: Any, hook_sink: HookSink
) -> None:
    client = browser(app)
    assert sign_in(client, site.owner_email, site.password).status_code == 302
    response = client.post(
        f"{ADMIN}/{site.slug}/webhooks",
        data={"url": hook_sink.url, "events": ["*"]},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert listed(api) == []

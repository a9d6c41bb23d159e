"""The admin page's Invitations section and store reviews, through the Flask test client.

Create one (validated as the API validates), a CSV of orders (each row taken or refused
with its line and reason), cancel, the invitation settings, filters and paging, the
conversion figure, tenancy and the same-origin check; the shop's own reviews in the
queue (filter, card) and on the insight page. Everything the page does is checked
through the admin API, where the shop's back end would see it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from html import unescape
from io import BytesIO
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mailsink import MailSink
from plaudit_server.extensions import db
from plaudit_server.models import STORE, Invitation, InvitationStatus
from plaudit_server.services import suppressions
from plaudit_server.services.sites import site_by_slug
from plaudit_server.timeutil import utcnow

from .helpers import browser, seed_reviews, sign_in

ADMIN = "/admin"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def text_of(response: Any) -> str:
    """The page's text with tags removed and entities decoded, spaces collapsed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def listed(api: Any, **query: Any) -> list[dict[str, Any]]:
    """Every invitation of the site through the admin API, newest first."""
    params = "&".join(f"{k}={v}" for k, v in {"limit": 100, **query}.items())
    return ok(api.admin("GET", f"/invitations?{params}")).get_json()["invitations"]


def invite(api: Any, order_id: str, **fields: Any) -> dict[str, Any]:
    body = {"order_id": order_id, "email": f"buyer{order_id}@example.com", "products": ["sku-1"]}
    response = api.admin("POST", "/invitations", json={**body, **fields})
    return ok(response, 201).get_json()["invitation"]


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr id="inv-(inv_[0-9A-Z]+)"', html)


def set_invitation(app: Flask, invitation_id: str, **values: Any) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Invitation).where(Invitation.id == invitation_id).values(**values)
        )
        db.session.commit()


def upload(client: Any, slug: str, data: bytes, filename: str = "orders.csv", **form: Any) -> Any:
    """Post a file as the upload form does. The body is encoded here, in memory: the test
    client's own encoder spools bodies over 500 KB to a temporary file it never closes."""
    file = FileStorage(BytesIO(data), filename=filename, content_type="text/csv")
    boundary, body = encode_multipart({"file": file, "store_review": "yes", **form})
    return client.post(
        f"{ADMIN}/{slug}/invitations/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def refused_rows(html: str) -> dict[int, str]:
    """The upload report's refused rows: line number -> the row's text."""
    rows = re.findall(r'<tr data-line="(\d+)">(.*?)</tr>', html, re.S)
    return {
        int(line): re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()
        for line, body in rows
    }


CREATE = {
    "order_id": "1001",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "products": "sku-1, sku-2 | sku-3",
    "locale": "de",
    "send_at": "",
}


# ---------------------------------------------------------------- the section


def test_invitations_section_is_in_the_navigation(
    site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    queue = ok(client.get(f"{ADMIN}/{site.slug}/reviews")).get_data(as_text=True)
    assert f'href="{ADMIN}/{site.slug}/invitations"' in queue
    page = ok(client.get(f"{ADMIN}/{site.slug}/invitations"))
    html = page.get_data(as_text=True)
    assert re.search(r'invitations"\s+aria-current="page">Invitations</a>', html)
    assert "No invitations yet." in html
    assert '<dd id="invitations-conversion">\N{EN DASH}</dd>' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script>" not in html and " style=" not in html


def test_create_one_appears_in_the_list_and_on_the_api(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    response = client.post(f"{ADMIN}/{site.slug}/invitations", data=CREATE)  # no store_review
    assert response.status_code == 302
    (created,) = listed(api)
    assert created["order_id"] == "1001"
    assert created["email"] == "ada@example.com"
    assert created["name"] == "Ada Lovelace"
    assert created["products"] == ["sku-1", "sku-2", "sku-3"]
    assert created["locale"] == "de"
    assert created["store_review"] is False  # the box was not ticked
    assert created["status"] == "scheduled"
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "Invitation for order 1001 created" in html
    assert row_ids(html) == [created["id"]]
    assert f'value="{created["url"]}"' in html  # the link to copy is the API's
    assert ">Scheduled</span>" in html
    assert f'/invitations/{created["id"]}/cancel"' in html


def test_send_at_and_store_review_are_taken(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    when = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    form = {**CREATE, "send_at": when.strftime("%Y-%m-%dT%H:%M"), "store_review": "yes"}
    ok(client.post(f"{ADMIN}/{site.slug}/invitations", data=form), 302)
    (created,) = listed(api)
    assert datetime.fromisoformat(created["send_at"]) == when
    assert created["store_review"] is True


def test_invalid_fields_are_refused_with_the_apis_messages_and_the_form_kept(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    products = [f"sku-{n}" for n in range(21)]
    form = {**CREATE, "email": "not an address", "products": "|".join(products), "order_id": " "}
    response = client.post(f"{ADMIN}/{site.slug}/invitations", data=form)
    assert response.status_code == 422
    body = {"order_id": " ", "email": "not an address", "products": products}
    api_errors = api.admin("POST", "/invitations", json=body).get_json()["errors"]
    html = response.get_data(as_text=True)
    for field in ("order_id", "email", "products"):
        (message,) = api_errors[field]
        assert f'<p class="field-error" id="inv-{field}-error">{message}</p>' in unescape(html)
        assert f'id="inv-{field}"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="not an address"' in html  # kept as typed
    bad_product = client.post(
        f"{ADMIN}/{site.slug}/invitations", data={**CREATE, "products": "ok, <b>bad"}
    )
    assert bad_product.status_code == 422
    assert "&#39;&lt;b&gt;bad&#39;: " in bad_product.get_data(as_text=True)  # named, escaped
    far = (utcnow() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    too_late = client.post(f"{ADMIN}/{site.slug}/invitations", data={**CREATE, "send_at": far})
    assert too_late.status_code == 422
    assert "Must be at most a year ahead." in too_late.get_data(as_text=True)
    assert listed(api) == []


def test_a_second_invitation_for_an_order_names_the_first(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    first = invite(api, "1001")
    client = signed_in(site)
    response = client.post(f"{ADMIN}/{site.slug}/invitations", data=CREATE)
    assert response.status_code == 409
    text = text_of(response)
    assert f"Order '1001' already has an invitation ({first['id']})." in text
    assert f'{ADMIN}/{site.slug}/invitations?order_id=1001">Show it' in response.get_data(
        as_text=True
    )
    assert [i["id"] for i in listed(api)] == [first["id"]]


def test_a_suppressed_address_is_recorded_as_unsubscribed(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    with app.app_context():
        site_row = site_by_slug(db.session, site.slug)
        suppressions.suppress(db.session, site_row.id, "invitations", "ADA@example.com")
        db.session.commit()
    client = signed_in(site)
    response = client.post(f"{ADMIN}/{site.slug}/invitations", data=CREATE)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "asked for no more review requests: nothing will be sent" in page
    assert ">Unsubscribed, not mailed</span>" in page
    assert listed(api)[0]["status"] == "unsubscribed"


def test_invitations_due_now_are_mailed_right_after_the_request(
    app_factory: Callable[..., Flask], smtp_sink: MailSink, api: Any, site: Any
) -> None:
    """Without Redis, as from the API: due mail goes out once the page has answered."""
    mail_app = app_factory(**smtp_sink.config)
    try:
        client = browser(mail_app)
        assert sign_in(client, site.owner_email, site.password).status_code == 302
        # The test client runs what the server runs once the response is sent (the WSGI
        # server's close()) when the response is closed.
        ok(client.post(f"{ADMIN}/{site.slug}/invitations", data=CREATE), 302).close()
        [arrived] = smtp_sink.wait_for(1)
        assert arrived.rcpt_tos == ["ada@example.com"]
        later = (utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        csv_text = (
            "order_id,email,products,send_at\n"
            f"2,bo@example.com,sku-1,\n3,cy@example.com,sku-1,{later}\n"
        )
        ok(upload(client, site.slug, csv_text.encode())).close()
        arrived = smtp_sink.wait_for(2)
        assert [m.rcpt_tos for m in arrived] == [["ada@example.com"], ["bo@example.com"]]
        statuses = {i["order_id"]: i["status"] for i in listed(api)}
        assert statuses == {"1001": "sent", "2": "sent", "3": "scheduled"}
    finally:
        mail_app.extensions["plaudit_mail"].close()


# ---------------------------------------------------------------- CSV upload


def test_csv_rows_are_taken_or_refused_each_with_line_and_reason(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    existing = invite(api, "A-1")
    csv_text = (
        "Order_ID,email,name,products,channel\r\n"  # header names in any case; extra column
        "A-2,ada@example.com,Ada Lovelace,sku-1|sku-2,web\r\n"
        "A-3,not-an-address,Bob,sku-1,web\r\n"
        "\r\n"  # blank lines are skipped, and still counted as lines
        "A-1,eve@example.com,Eve,sku-1,web\r\n"
        '"A-4","grace@example.com","Hopper, Grace\nsecond line",sku-3,web\r\n'
        "A-2,again@example.com,Again,sku-1,web\r\n"  # the same order twice in the file
        "A-5,x@example.com,,,web\r\n"
        "A-6,y@example.com,Short row\r\n"
        "A-7,zoë@example.com,Zoë,sku-1|sku 2,web\r\n"
        "A-8,z@example.com,,sku-8,web"  # no line break at the end, no name
    )
    client = signed_in(site)
    response = upload(client, site.slug, b"\xef\xbb\xbf" + csv_text.encode())
    ok(response)
    html = response.get_data(as_text=True)
    assert "Upload report: orders.csv" in html
    summary = text_of(response)
    assert "3 invitations created, 6 rows refused, of 9 rows." in summary
    assert "Columns ignored: channel." in summary
    refused = refused_rows(html)
    assert sorted(refused) == [3, 5, 8, 9, 10, 11]
    assert refused[3].startswith("3 A-3 email: Not a valid email address.")
    assert f"already has an invitation ({existing['id']})" in refused[5]
    assert "Show the existing invitation" in refused[5]
    created = {i["order_id"]: i for i in listed(api)}
    assert f"already has an invitation ({created['A-2']['id']})" in refused[8]
    assert "products: Give 1-20 products." in refused[9]
    assert "Has 3 fields where the first line names 5." in refused[10]
    assert "products: 'sku 2': " in refused[11]
    assert sorted(created) == ["A-1", "A-2", "A-4", "A-8"]
    assert created["A-2"]["products"] == ["sku-1", "sku-2"]
    assert created["A-2"]["name"] == "Ada Lovelace"
    assert created["A-4"]["name"] == "Hopper, Grace\nsecond line"
    assert created["A-8"]["name"] is None
    assert created["A-2"]["store_review"] is True
    assert created["A-1"]["email"] == "buyerA-1@example.com"  # the first one is untouched
    again = upload(client, site.slug, csv_text.encode(), store_review="")
    assert "0 invitations created, 9 rows refused" in text_of(again)  # nobody invited twice


def test_csv_with_semicolons_optional_columns_and_without_shop_review(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    """What Excel writes where the comma is the decimal separator; locale and send_at."""
    when = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    csv_text = (
        "order_id;email;name;products;locale;send_at\n"
        f"B-1;b@example.com;Bea;sku-1|sku-2;fr-CA;{when.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        "B-2;c@example.com;;sku-3;;\n"
        "B-3;d@example.com;;sku-3;klingon!;\n"
    )
    client = signed_in(site)
    response = upload(client, site.slug, csv_text.encode(), filename="export.csv", store_review="")
    assert "2 invitations created, 1 row refused, of 3 rows." in text_of(response)
    assert "locale: Not a language tag" in refused_rows(response.get_data(as_text=True))[4]
    created = {i["order_id"]: i for i in listed(api)}
    assert created["B-1"]["locale"] == "fr"
    assert datetime.fromisoformat(created["B-1"]["send_at"]) == when
    assert created["B-2"]["locale"] == "en"  # the shop's
    assert created["B-1"]["store_review"] is False


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", 422, "The file is empty."),
        (b"order,mail,items\n1,a@example.com,sku-1\n", 422, "missing: order_id, email, products"),
        (b"order_id,email,products,email\n", 422, "names a column twice: email"),
        (b"order_id,email,products\n1,a@example.com,sku\xe9\n", 422, "Line 2 is not UTF-8"),
        (
            b"order_id,email,products\n" + b"1,a@example.com,sku-1\n" * 5001,
            422,
            "more than 5,000 rows",
        ),
        (b"order_id,email,products\n" + b"x" * (2 * 1024 * 1024), 413, "larger than 2 MB"),
        (b"order_id,email,products\n" + b"x" * (3 * 1024 * 1024), 413, "larger than 2 MB"),
        (
            b'order_id,email,products\n1,"a@example.com,sku-1\n',
            422,
            "Line 2 cannot be read: a quoted field is never closed.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    api: Any, site: Any, signed_in: Callable[[Any], Any], data: bytes, status: int, message: str
) -> None:
    client = signed_in(site)
    response = upload(client, site.slug, data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert 'id="upload-error" role="alert"' in html
    assert message in unescape(html)
    assert "Upload report" not in html
    assert listed(api) == []


def test_an_upload_without_a_file_asks_for_one(site: Any, signed_in: Callable[[Any], Any]) -> None:
    client = signed_in(site)
    response = client.post(
        f"{ADMIN}/{site.slug}/invitations/upload", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Choose a CSV file first." in response.get_data(as_text=True)


def test_5000_rows_in_one_upload(api: Any, site: Any, signed_in: Callable[[Any], Any]) -> None:
    rows = "".join(f"{n},buyer{n}@example.com,,sku-{n % 7}|sku-x\n" for n in range(5000))
    client = signed_in(site)
    response = upload(client, site.slug, ("order_id,email,name,products\n" + rows).encode())
    assert "5000 invitations created, 0 rows refused, of 5000 rows." in text_of(response)
    assert 'class="refused"' not in response.get_data(as_text=True)
    total = ok(api.admin("GET", "/invitations?limit=100&order_id=4999")).get_json()
    assert total["invitations"][0]["products"] == ["sku-1", "sku-x"]


# ---------------------------------------------------------------- cancel


def test_cancel_a_scheduled_invitation_but_not_a_sent_one(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    scheduled = invite(api, "1")
    sent = invite(api, "2")
    set_invitation(app, sent["id"], status=InvitationStatus.SENT, sent_at=utcnow())
    client = signed_in(site)
    html = ok(client.get(f"{ADMIN}/{site.slug}/invitations")).get_data(as_text=True)
    assert f'/invitations/{scheduled["id"]}/cancel"' in html
    assert f'/invitations/{sent["id"]}/cancel"' not in html  # no button once sent
    back = f"{ADMIN}/{site.slug}/invitations?status=scheduled"
    response = client.post(
        f"{ADMIN}/{site.slug}/invitations/{scheduled['id']}/cancel", data={"next": back}
    )
    assert response.status_code == 302 and response.headers["Location"] == back
    assert (
        ok(api.admin("GET", f"/invitations/{scheduled['id']}")).get_json()["invitation"]["status"]
        == "cancelled"
    )
    page = client.get(f"{ADMIN}/{site.slug}/invitations").get_data(as_text=True)
    assert "Invitation for order 1 cancelled" in page
    assert ">Cancelled</span>" in page
    refused = client.post(f"{ADMIN}/{site.slug}/invitations/{sent['id']}/cancel")
    assert refused.status_code == 302
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"Invitation {sent['id']} is sent: only a scheduled one can be cancelled." in page
    assert (
        ok(api.admin("GET", f"/invitations/{sent['id']}")).get_json()["invitation"]["status"]
        == "sent"
    )


# ---------------------------------------------------------------- list, filters, figures


def test_status_and_order_filters_and_cursor_paging(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    items = [
        {"order_id": f"o-{n}", "email": f"b{n}@example.com", "products": ["p"]} for n in range(60)
    ]
    result = ok(api.admin("POST", "/invitations/batch", json={"invitations": items})).get_json()
    ids = [i["id"] for i in result["created"]]
    for invitation_id in ids[:5]:
        set_invitation(app, invitation_id, status=InvitationStatus.SENT, sent_at=utcnow())
    client = signed_in(site)
    first = ok(client.get(f"{ADMIN}/{site.slug}/invitations")).get_data(as_text=True)
    page_one = row_ids(first)
    assert len(page_one) == 50
    next_link = unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
    second = ok(client.get(next_link)).get_data(as_text=True)
    assert "First page" in second
    assert set(page_one) | set(row_ids(second)) == set(ids)
    assert 'rel="next"' not in second
    sent_page = ok(client.get(f"{ADMIN}/{site.slug}/invitations?status=sent")).get_data(
        as_text=True
    )
    assert set(row_ids(sent_page)) == set(ids[:5])
    assert '<option value="sent" selected>Sent</option>' in sent_page
    one = ok(client.get(f"{ADMIN}/{site.slug}/invitations?order_id=o-7")).get_data(as_text=True)
    assert row_ids(one) == [ids[7]]
    none = client.get(f"{ADMIN}/{site.slug}/invitations?order_id=nope&status=reviewed")
    assert "No invitations match these filters." in none.get_data(as_text=True)
    bad = ok(client.get(f"{ADMIN}/{site.slug}/invitations?status=lost"))
    assert "Some filters were ignored: status." in bad.get_data(as_text=True)
    assert len(row_ids(bad.get_data(as_text=True))) == 50


def test_conversion_figure(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    made = [invite(api, str(n)) for n in range(8)]
    now = utcnow()
    for n, invitation in enumerate(made[:7]):  # 7 sent, 3 of them reviewed
        values = {"status": InvitationStatus.SENT, "sent_at": now}
        if n < 3:
            values.update(status=InvitationStatus.REVIEWED, reviewed_at=now)
        set_invitation(app, invitation["id"], **values)
    client = signed_in(site)
    html = ok(client.get(f"{ADMIN}/{site.slug}/invitations")).get_data(as_text=True)
    assert '<dd id="invitations-sent">7</dd>' in html
    assert '<dd id="invitations-reviewed">3</dd>' in html
    assert '<dd id="invitations-conversion">42.9 %</dd>' in html
    stats = ok(api.admin("GET", "/stats")).get_json()["invitations"]
    assert stats == {"sent": 7, "reviewed": 3, "conversion": 0.4286}


# ---------------------------------------------------------------- settings


def test_invitation_settings_are_saved_and_used(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    form = {
        "invite_delay_days": " 3",
        "invite_reminder_days": "0",
        "invite_ttl_days": "30",
        "locale": "es",
    }
    response = client.post(f"{ADMIN}/{site.slug}/invitations/settings", data=form)
    assert response.status_code == 302
    settings = ok(api.admin("GET", "/site")).get_json()
    assert settings["invite_delay_days"] == 3
    assert settings["invite_reminder_days"] == 0
    assert settings["invite_ttl_days"] == 30
    assert settings["locale"] == "es"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="invite_delay_days" type="number" min="0" max="365" value="3"' in page
    assert "Empty: in 3 days" in page
    ok(client.post(f"{ADMIN}/{site.slug}/invitations", data={**CREATE, "locale": ""}), 302)
    (created,) = listed(api)
    assert created["locale"] == "es"
    send_at = datetime.fromisoformat(created["send_at"])
    expires_at = datetime.fromisoformat(created["expires_at"])
    assert expires_at - send_at == timedelta(days=30)
    assert timedelta(days=2, hours=23) < send_at - utcnow() <= timedelta(days=3)


def test_invalid_invitation_settings_are_refused_with_the_form_kept(
    api: Any, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    client = signed_in(site)
    before = ok(api.admin("GET", "/site")).get_json()
    form = {
        "invite_delay_days": "soon",
        "invite_reminder_days": "400",
        "invite_ttl_days": "0",
        "locale": "xx",
    }
    response = client.post(f"{ADMIN}/{site.slug}/invitations/settings", data=form)
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert (
        '<p class="field-error" id="set-invite_delay_days-error">Not a valid integer.</p>' in html
    )
    assert (
        'id="set-invite_reminder_days-error">Must be greater than or equal to 0 and less '
        "than or equal to 365." in html
    )
    assert 'id="set-invite_ttl_days-error">' in html
    assert 'id="set-locale-error">Must be one of' in html
    assert 'value="soon"' in html
    assert ok(api.admin("GET", "/site")).get_json() == before


# ---------------------------------------------------------------- tenancy and origin


def test_another_sites_invitations_answer_404(
    app: Flask, make_site: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    victim = make_site()
    attacker = make_site()
    victim_client = signed_in(victim)
    ok(victim_client.post(f"{ADMIN}/{victim.slug}/invitations", data=CREATE), 302)
    with app.app_context():
        (victim_id,) = db.session.scalars(sa.select(Invitation.id))
    client = signed_in(attacker)
    mine = attacker.slug
    assert row_ids(ok(client.get(f"{ADMIN}/{mine}/invitations")).get_data(as_text=True)) == []
    assert client.get(f"{ADMIN}/{victim.slug}/invitations").status_code == 404
    writes: list[tuple[str, dict[str, Any]]] = [
        (f"/{mine}/invitations/{victim_id}/cancel", {}),
        (f"/{victim.slug}/invitations/{victim_id}/cancel", {}),
        (f"/{victim.slug}/invitations", {**CREATE, "order_id": "pwned"}),
        (
            f"/{victim.slug}/invitations/settings",
            {
                "invite_delay_days": "9",
                "invite_reminder_days": "9",
                "invite_ttl_days": "9",
                "locale": "de",
            },
        ),
        (
            f"/{victim.slug}/invitations/upload",
            {"file": (BytesIO(b"order_id,email,products\npwned,a@b.example,x\n"), "x.csv")},
        ),
    ]
    for path, data in writes:
        response = client.post(ADMIN + path, data=data, content_type="multipart/form-data")
        assert response.status_code == 404, path
    page = victim_client.get(f"{ADMIN}/{victim.slug}/invitations").get_data(as_text=True)
    assert row_ids(page) == [victim_id]
    assert ">Scheduled</span>" in page and "pwned" not in page
    assert 'name="invite_delay_days" type="number" min="0" max="365" value="0"' in page


def test_forms_from_another_origin_are_refused(
    api: Any, app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    scheduled = invite(api, "1")
    client = signed_in(site)
    del client.environ_base["HTTP_SEC_FETCH_SITE"]
    cross = {"Sec-Fetch-Site": "cross-site"}
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/invitations", {**CREATE, "order_id": "forged"}),
        (f"/invitations/{scheduled['id']}/cancel", {}),
        (
            "/invitations/settings",
            {
                "invite_delay_days": "9",
                "invite_reminder_days": "9",
                "invite_ttl_days": "9",
                "locale": "de",
            },
        ),
        (
            "/invitations/upload",
            {"file": (BytesIO(b"order_id,email,products\nforged2,a@b.example,x\n"), "x.csv")},
        ),
    ]
    for path, data in posts:
        for headers in (cross, {"Origin": "http://evil.test"}, {}):
            body = {
                k: (BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v
                for k, v in data.items()
            }
            response = client.post(
                f"{ADMIN}/{site.slug}{path}",
                data=body,
                headers=headers,
                content_type="multipart/form-data",
            )
            assert response.status_code == 403, (path, headers)
            assert "did not come from this page" in response.get_data(as_text=True)
    assert [(i["order_id"], i["status"]) for i in listed(api)] == [("1", "scheduled")]
    assert ok(api.admin("GET", "/site")).get_json()["invite_delay_days"] == 0
    # The same client, from the page itself: accepted (still signed in).
    own = {"Sec-Fetch-Site": "same-origin"}
    response = client.post(f"{ADMIN}/{site.slug}/invitations/{scheduled['id']}/cancel", headers=own)
    assert response.status_code == 302


# ---------------------------------------------------------------- store reviews


def test_the_queue_filters_shop_reviews_and_labels_them(
    app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    shop = seed_reviews(app, site.slug, 2, product=STORE, body="Fast delivery from the shop")
    product = seed_reviews(app, site.slug, 1, product="sku-1", body="A good grinder")
    client = signed_in(site)
    base = f"{ADMIN}/{site.slug}/reviews?status=all"

    def ids(query: str) -> set[str]:
        html = ok(client.get(base + query)).get_data(as_text=True)
        return set(re.findall(r'id="item-(rev_[0-9A-Z]+)"', html))

    assert ids("") == {*shop, *product}
    assert ids("&subject=store") == set(shop)
    assert ids("&subject=product") == set(product)
    html = ok(client.get(base + "&subject=store")).get_data(as_text=True)
    assert '<option value="store" selected>Shop</option>' in html
    assert html.count(">Shop review</a>") == 2
    assert STORE not in html  # the reserved id is never shown
    assert "subject=store" in re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)
    product_html = ok(client.get(base + "&subject=product")).get_data(as_text=True)
    assert "Shop review" not in product_html
    assert ">sku-1</a>" in product_html
    detail = ok(client.get(f"{ADMIN}/{site.slug}/reviews/{shop[0]}")).get_data(as_text=True)
    assert ">Shop review</a>" in detail
    bad = ok(client.get(base + "&subject=everything")).get_data(as_text=True)
    assert "Some filters were ignored: subject." in bad


def test_insight_shows_the_shops_rating_beside_the_products(
    app: Flask, site: Any, signed_in: Callable[[Any], Any]
) -> None:
    seed_reviews(app, site.slug, 2, product=STORE, rating=5)
    seed_reviews(app, site.slug, 1, product=STORE, rating=2)
    seed_reviews(app, site.slug, 2, product="sku-1", rating=3)
    client = signed_in(site)
    html = ok(client.get(f"{ADMIN}/{site.slug}/insight")).get_data(as_text=True)
    assert '<td data-figure="shop-count">3</td>' in html
    assert '<td data-figure="shop-average">4.00</td>' in html
    assert '<td data-figure="products-count">2</td>' in html
    assert '<td data-figure="products-average">3.00</td>' in html
    lowest = re.findall(r"status=published&amp;sort=newest\">([^<]+)</a>", html)
    assert lowest == ["sku-1"]  # the shop is not one of its products

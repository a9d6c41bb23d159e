"""``AuthorClient``: an author manages their own review or comment with its manage
token, against the live server, on the sync and the async client alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

import plaudit
from plaudit._async.author import split_manage_url

from .conftest import Poster
from .test_trust import Reporter


def _token(manage_url: str) -> str:
    return manage_url.rsplit("/m/", 1)[1]


@pytest.fixture
def author(flavour: str, live_server: Any) -> Callable[..., Any]:
    """``author(manage_url, call)``: ``call(client)`` on a fresh ``flavour`` author
    client for that link's token, on the live server (the link itself names the
    configured ``PUBLIC_URL``, not the test's port)."""

    def run(manage_url: str, call: Callable[[Any], Any]) -> Any:
        token = _token(manage_url)
        if flavour == "sync":
            with plaudit.AuthorClient(token, base_url=live_server.url) as client:
                return call(client)

        async def main() -> Any:
            async with plaudit.AsyncAuthorClient(token, base_url=live_server.url) as client:
                return await call(client)

        return anyio.run(main)

    return run


def _submit(post: Poster, product: str = "sku-1", **fields: Any) -> dict[str, Any]:
    """A review through the public API, with its 201's ``manage_url``."""
    body = {"rating": 4, "body": "Solid kettle", "author_name": "Ada", **fields}
    response = post.http.post(post._url(product, "reviews"), json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    assert data["manage_url"].startswith("http") and "/m/" in data["manage_url"]
    return data


def test_the_author_reads_their_review(author, post):
    data = _submit(post, title="Good")
    mine = author(data["manage_url"], lambda client: client.get())
    assert isinstance(mine, plaudit.ManagedItem)
    assert mine.type == "review" and mine.state == "published"
    assert isinstance(mine.item, plaudit.AdminReview)
    assert (mine.item.id, mine.item.title, mine.item.rating) == (data["review"]["id"], "Good", 4)
    assert (mine.reason, mine.note, mine.appealed, mine.can_appeal) == (None, None, False, False)


def test_the_author_edits_and_the_edit_is_moderated_again(author, post, sdk):
    sdk.site.update(moderation="pre")
    data = _submit(post)
    review = data["review"]["id"]
    sdk.reviews.approve(review)
    edited = author(
        data["manage_url"], lambda client: client.update(rating=2, body="It broke in a week.")
    )
    assert edited.item.rating == 2 and edited.item.body == "It broke in a week."
    assert edited.state == "pending"  # back through moderation
    assert sdk.reviews.get(review).body == "It broke in a week."
    entries = list(sdk.audit.list(object_id=review, actor_type="reviewer"))
    assert entries and entries[0].actor.type == "reviewer"


def test_an_invalid_edit_is_refused_and_changes_nothing(author, post, sdk):
    data = _submit(post)
    with pytest.raises(plaudit.ValidationError) as caught:
        author(data["manage_url"], lambda client: client.update(rating=9))
    assert "rating" in caught.value.errors
    with pytest.raises(ValueError, match="Nothing to update"):
        author(data["manage_url"], lambda client: client.update())
    assert sdk.reviews.get(data["review"]["id"]).rating == 4


def test_a_rejection_is_explained_and_appealed_once(author, post, sdk):
    data = _submit(post)
    review = data["review"]["id"]
    sdk.reviews.reject(review, reason="off_topic", note="This is about the courier.")

    mine = author(data["manage_url"], lambda client: client.get())
    assert (mine.state, mine.reason, mine.note) == (
        "rejected",
        "off_topic",
        "This is about the courier.",
    )
    assert mine.can_appeal and not mine.appealed and mine.decided_at is not None

    appealed = author(
        data["manage_url"], lambda client: client.appeal("The kettle itself arrived broken.")
    )
    assert appealed.appealed and not appealed.can_appeal
    held = sdk.reviews.get(review)
    assert held.appealed and held.appeal_message == "The kettle itself arrived broken."

    with pytest.raises(plaudit.ConflictError):
        author(data["manage_url"], lambda client: client.appeal("Please, again."))


def test_an_edit_after_an_appeal_waits_for_the_shop(author, post, sdk):
    """Appealing puts a rejected review back in the queue; an edit then must not
    publish it on its own (post moderation publishes clean edits at once)."""
    data = _submit(post)
    review = data["review"]["id"]
    sdk.reviews.reject(review, reason="offensive")
    author(data["manage_url"], lambda client: client.appeal("I meant it kindly."))
    edited = author(data["manage_url"], lambda client: client.update(body="Fixed the wording."))
    assert edited.state == "pending"
    assert sdk.reviews.get(review).status is plaudit.ReviewStatus.PENDING


def test_an_edit_does_not_release_an_item_held_by_reports(author, post, sdk, live_server, site):
    sdk.site.update(report_threshold=1)
    data = _submit(post)
    review = data["review"]["id"]
    Reporter(live_server.url, site.slug)(review, reason="fake")
    assert sdk.reviews.get(review).status is plaudit.ReviewStatus.PENDING
    edited = author(data["manage_url"], lambda client: client.update(body="Honest, really."))
    assert edited.state == "pending"
    assert sdk.reviews.get(review).status is plaudit.ReviewStatus.PENDING


def test_appealing_what_was_not_rejected_is_a_conflict(author, post):
    data = _submit(post)
    with pytest.raises(plaudit.ConflictError):
        author(data["manage_url"], lambda client: client.appeal("Why?"))


def test_an_appeal_needs_a_message(author, post, sdk):
    data = _submit(post)
    sdk.reviews.reject(data["review"]["id"], reason="spam")
    with pytest.raises(plaudit.ValidationError) as caught:
        author(data["manage_url"], lambda client: client.appeal(""))
    assert "message" in caught.value.errors
    with pytest.raises(plaudit.ValidationError):
        author(data["manage_url"], lambda client: client.appeal("x" * 2001))


def test_delete_for_good_then_the_link_is_gone(author, post, sdk):
    data = _submit(post)
    assert author(data["manage_url"], lambda client: client.delete()) is None
    with pytest.raises(plaudit.NotFoundError):
        sdk.reviews.get(data["review"]["id"])
    with pytest.raises(plaudit.GoneError) as caught:
        author(data["manage_url"], lambda client: client.get())
    assert caught.value.status_code == 410
    assert isinstance(caught.value, plaudit.APIStatusError)


def test_an_unknown_token_is_not_found(author, live_server):
    with pytest.raises(plaudit.NotFoundError):
        author(f"{live_server.url}/m/mt_never_issued", lambda client: client.get())


def test_a_comment_is_managed_too(author, post):
    response = post.http.post(
        post._url("sku-1", "comments"), json={"body": "Does it whistle?", "author_name": "Bo"}
    )
    assert response.status_code == 201, response.text
    manage_url = response.json()["manage_url"]
    mine = author(manage_url, lambda client: client.get())
    assert mine.type == "comment" and isinstance(mine.item, plaudit.AdminComment)
    edited = author(manage_url, lambda client: client.update(body="Does it whistle loudly?"))
    assert edited.item.body == "Does it whistle loudly?"


def test_from_url_takes_the_whole_link(live_server, post):
    data = _submit(post)
    link = f"{live_server.url}/m/{_token(data['manage_url'])}"
    with plaudit.AuthorClient.from_url(link) as client:
        assert client.get().item.id == data["review"]["id"]


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://reviews.example.com/m/abc", ("https://reviews.example.com", "abc")),
        ("https://example.com/reviews/m/abc/", ("https://example.com/reviews", "abc")),
        ("http://127.0.0.1:5000/m/a-b_c", ("http://127.0.0.1:5000", "a-b_c")),
    ],
)
def test_manage_links_are_split_into_server_and_token(link, expected):
    assert split_manage_url(link) == expected
    client = plaudit.AuthorClient.from_url(link)
    assert str(client.base_url) == expected[0] + "/api/v1/"
    client.close()


@pytest.mark.parametrize(
    "link", ["https://reviews.example.com/r/abc", "https://reviews.example.com/m/", "mt_abc"]
)
def test_what_is_not_a_manage_link_is_refused(link):
    with pytest.raises(plaudit.PlauditError, match="not a manage link"):
        plaudit.AuthorClient.from_url(link)


def test_the_token_is_sent_as_the_bearer_and_nothing_else(proxy, post):
    data = _submit(post)
    token = _token(data["manage_url"])
    with plaudit.AuthorClient(token, base_url=proxy.url) as client:
        client.get()
    seen = proxy.seen[-1]
    assert seen.path == "/api/v1/mine"
    assert seen.headers["Authorization"] == f"Bearer {token}"


def test_the_author_client_needs_a_token():
    with pytest.raises(plaudit.PlauditError, match="manage token"):
        plaudit.AuthorClient("  ", base_url="https://reviews.example.com")


def test_an_admin_key_is_no_manage_token(site, live_server):
    with (
        plaudit.AuthorClient(site.api_key, base_url=live_server.url) as client,
        pytest.raises(plaudit.NotFoundError),
    ):
        client.get()

"""The Community section of the SDK's README, run against the live server with
something to act on: pending questions (one a link), a review asking for a bigger lid,
and a visitor's duplicate idea with votes.

tests/sdk/test_docs.py runs these ```python blocks too, in the state the README's
earlier blocks leave (no questions or ideas there), so they must run on an empty board."""

from __future__ import annotations

from typing import Any

import plaudit
from plaudit import IdeaStage, ReviewStatus

from .test_community import Visitor
from .test_trust_docs import _run, _section


def test_the_community_section_runs(sdk, post, live_server, site, capsys):
    visitor = Visitor(live_server.url, site.slug)
    try:
        sdk.site.update(moderation="pre")
        fair = visitor.question("sku-123", body="Does it fit the 2023 model?")["id"]
        link = visitor.question("sku-123", body="Cheap copies at http://copies.example")["id"]
        sdk.site.update(moderation="post")
        wish = post.review("sku-123", rating=4, body="Lovely, but the lid is too small")["id"]
        duplicate = visitor.idea(title="Bigger lid please", product="sku-123")["id"]
        for _ in range(2):
            visitor.vote(duplicate)
    finally:
        visitor.close()

    namespace: dict[str, Any] = {"client": sdk, "plaudit": plaudit}
    _run(_section("Community", "python"), namespace, "Community")

    assert sdk.questions.get(fair).status is ReviewStatus.PUBLISHED
    assert sdk.questions.get(link).status is ReviewStatus.SPAM
    (ours,) = sdk.answers.list(question_id=fair)
    assert ours.is_owner and ours.status is ReviewStatus.PUBLISHED
    top = sdk.questions.get(fair).top_answer
    assert top is not None and (top.id, top.is_owner) == (ours.id, True)

    idea = sdk.ideas.get(namespace["idea"].id)
    assert (idea.title, idea.stage, idea.stage_note) == (
        "A bigger lid",
        IdeaStage.PLANNED,
        "In the spring range.",
    )
    assert wish in [s.id for s in idea.sources]
    assert idea.vote_count == 2  # the duplicate's votes moved
    assert sdk.ideas.get(duplicate).merged_into == idea.id

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "True published Does it fit the 2023 model?"
    assert out[1].startswith("open [('review', ")
    assert out[2] == "0 1 2"
    assert out[3] == "[] []"  # the one open idea was planned, the other merged
    assert out[4] == "Does it fit the 2023 model? -> Yes, the 2023 one too. 1"
    assert out[5] == "{'planned': ['A bigger lid']}"
    assert len(out) == 6

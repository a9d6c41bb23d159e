"""Questions, answers and ideas reach webhooks: the contract's event types, signed, with
the admin forms as ``data`` (on SQLite and PostgreSQL, to a real local receiver)."""

from __future__ import annotations

import time

from flask import Flask
from test_webhooks import _create, _deliver, _verify, hapi, hook_app, shop

from conftest import Api
from hooksink import HookSink

__all__ = ["hapi", "hook_app", "shop"]  # the fixtures these tests use


def test_community_changes_are_events_with_their_admin_forms(
    hapi: Api, hook_app: Flask, hook_sink: HookSink
) -> None:
    made = _create(
        hapi,
        hook_sink.url,
        events=["question.created", "answer.created", "idea.created", "idea.updated"],
    )
    question = hapi.client.post(
        hapi.public("/products/kettle/questions"),
        json={"body": "Does it boil dry safely?", "author_name": "Ada", "author_email": "a@x.io"},
    ).get_json()["question"]
    answer = hapi.client.post(
        hapi.public(f"/questions/{question['id']}/answers"),
        json={"body": "Yes.", "author_name": "Bo"},
    ).get_json()["answer"]
    idea = hapi.client.post(
        hapi.public("/ideas"), json={"title": "Travel size", "author_name": "Cy"}
    ).get_json()["idea"]
    hapi.admin("PATCH", f"/ideas/{idea['id']}", json={"stage": "planned", "stage_note": "May"})
    hook_sink.wait_for(4)
    time.sleep(0.1)
    _deliver(hook_app)
    payloads = {p["type"]: p for p in (_verify(made["secret"], r) for r in hook_sink.received)}
    assert set(payloads) == {"question.created", "answer.created", "idea.created", "idea.updated"}
    asked = payloads["question.created"]["data"]
    assert asked["id"] == question["id"] and asked["author_email"] == "a@x.io"
    assert asked["status"] == "published" and asked["top_answer"] is None
    answered = payloads["answer.created"]["data"]
    assert answered["id"] == answer["id"] and answered["question_id"] == question["id"]
    assert answered["question_body"] == "Does it boil dry safely?"
    assert payloads["idea.created"]["data"]["sources"] == []
    updated = payloads["idea.updated"]
    assert updated["previous"] == {"stage": "open"}
    assert updated["data"]["stage"] == "planned" and updated["data"]["stage_note"] == "May"

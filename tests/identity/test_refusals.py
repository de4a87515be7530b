"""Refusals read as sentences for a person: who was refused what, never an internal name."""

import re

from app.identity.policy import RULES
from app.identity.policy.refusals import REFUSED
from tests.assurance.conftest import school  # noqa: F401 - the fixture

INTERNAL = re.compile(r"[a-z]+_[a-z]+|\b(?:Role|here)\b")


def test_every_action_has_a_refusal_in_plain_words():
    assert set(REFUSED) == set(RULES)
    for action, words in REFUSED.items():
        assert not INTERNAL.search(words.replace("changes:read", "").replace("summaries:read", "")
                                   .replace("establishments:write", "")
                                   .replace("visits:write", "")), (action, words)


def test_a_regional_lead_is_told_why_visit_notes_are_not_theirs(api, school):  # noqa: F811
    answer = api.get("/api/v1/visits", headers=school.lead)
    assert answer.status_code == 403
    detail = answer.json()["detail"]
    assert detail.startswith("A regional lead may not read visit notes")
    assert "summaries" in detail and not INTERNAL.search(detail)


def test_a_headteacher_is_told_plainly_that_support_status_is_set_by_the_authority(api, school):  # noqa: F811
    url = f"/api/v1/establishments/{school.establishment.id}/support-status"
    answer = api.put(url, json={"rag": "red", "level": "intensive", "reasons": ["new_headteacher"],
                                "agreed_on": "2025-09-10"}, headers=school.head)
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"].startswith("A headteacher may not set this school's support status")


def test_a_regional_lead_is_refused_support_status_not_told_there_is_no_school(api, school):  # noqa: F811
    """The lead reads the school; its support status is not theirs: 403 saying so, never a
    false "no establishment", and a RAG filter is refused rather than answered empty."""
    school_url = f"/api/v1/establishments/{school.establishment.id}"
    assert api.get(school_url, headers=school.lead).status_code == 200
    for url in (f"{school_url}/support-status", f"{school_url}/support-status/history"):
        answer = api.get(url, headers=school.lead)
        assert answer.status_code == 403, url
        assert answer.json()["detail"].startswith("A regional lead may not read this school's "
                                                  "support status")
    for params in ({"rag": "red"}, {"support_level": "intensive"}):
        answer = api.get("/api/v1/establishments", params=params, headers=school.lead)
        assert answer.status_code == 403
        assert "counts in the summaries" in answer.json()["detail"]
    # The school's own people still filter and read as before.
    assert api.get("/api/v1/establishments", params={"rag": "red"},
                   headers=school.link_officer).status_code == 200

"""Visits through their life: planned (a focus and an agenda the school sees ahead), written
up as a draft, then final; and only the kinds of final visit an authority counts make its
minimum."""

import pytest

from tests.assurance.conftest import school  # noqa: F401 - the fixture

VISITS = "/api/v1/visits"


def _planned(school, **changes):  # noqa: F811
    return {"establishment_id": str(school.establishment.id), "visit_date": "2025-11-12",
            "kind": "attainment_review", "indicator_codes": ["2.3", "3.2"],
            "focus": "Writing in P4-P7",
            "agenda": "Tracking of writing against CfE levels; moderation with the cluster.",
            "shared_with_school": True, "status": "planned", **changes}


def _ids(api, headers, **params):
    answer = api.get(VISITS, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [v["id"] for v in answer.json()["items"]]


def test_a_planned_visit_is_the_authoritys_and_its_agenda_reaches_the_school(api, school):  # noqa: F811
    made = api.post(VISITS, json=_planned(school), headers=school.link_officer)
    assert made.status_code == 201, made.text
    visit = made.json()
    assert (visit["status"], visit["focus"]) == ("planned", "Writing in P4-P7")
    private = api.post(VISITS, json=_planned(school, shared_with_school=False,
                                             visit_date="2026-02-04"),
                       headers=school.link_officer).json()
    # Colleagues plan around it; the school sees what was sent to it, agenda and all.
    assert set(_ids(api, school.other_officer)) == {visit["id"], private["id"]}
    assert _ids(api, school.head) == [visit["id"]]
    told = api.get(f"{VISITS}/{visit['id']}", headers=school.head).json()
    assert told["agenda"].startswith("Tracking of writing")
    assert api.get(f"{VISITS}/{private['id']}", headers=school.head).status_code == 404
    assert api.get(VISITS, headers=school.lead).status_code == 403
    assert _ids(api, school.other_officer, status="planned") == [visit["id"], private["id"]]


def test_written_up_it_is_the_officers_draft_until_final(api, school):  # noqa: F811
    visit = api.post(VISITS, json=_planned(school), headers=school.link_officer).json()
    drafted = api.patch(f"{VISITS}/{visit['id']}", json={"status": "draft", "notes": "Seen."},
                        headers={**school.link_officer, "If-Match": f'"{visit["version"]}"'})
    assert drafted.status_code == 200, drafted.text
    assert _ids(api, school.head) == []
    assert _ids(api, school.other_officer) == []
    final = api.patch(f"{VISITS}/{visit['id']}", json={"status": "final"},
                      headers={**school.link_officer, "If-Match": f'"{drafted.json()["version"]}"'})
    assert final.status_code == 200, final.text
    assert _ids(api, school.head) == [visit["id"]]


@pytest.mark.parametrize("status", ["draft", "final"])
def test_a_visit_that_took_place_is_not_planned_again(api, school, status):  # noqa: F811
    visit = api.post(VISITS, json=_planned(school, status=status),
                     headers=school.link_officer).json()
    headers = {**school.link_officer, "If-Match": f'"{visit["version"]}"'}
    back = api.patch(f"{VISITS}/{visit['id']}", json={"status": "planned"}, headers=headers)
    assert back.status_code == 422, back.text
    assert back.json()["errors"][0]["loc"][-1] == "status"
    replaced = api.put(f"{VISITS}/{visit['id']}", json=_planned(school, status="planned"),
                       headers=headers)
    assert replaced.status_code == 422, replaced.text
    kept = api.get(f"{VISITS}/{visit['id']}", headers=school.link_officer).json()
    assert (kept["status"], kept["version"]) == (status, visit["version"])


# What counts toward the minimum -------------------------------------------------------------


def _final_visits(api, school):  # noqa: F811
    authority_id = school.establishment.authority_id
    answer = api.get(f"/api/v1/summaries/authorities/{authority_id}",
                     params={"session": "2025-26"}, headers=school.authority_admin)
    assert answer.status_code == 200, answer.text
    return answer.json()["visits"]


def test_only_final_visits_of_the_kinds_the_authority_counts_make_the_minimum(api, school):  # noqa: F811
    authority = f"/api/v1/authorities/{school.establishment.authority_id}"
    assert api.get(authority, headers=school.link_officer).json()["counted_visit_kinds"] == [
        "support_and_challenge", "plan_review", "vse"]
    for kind, status in (("support_and_challenge", "final"), ("plan_review", "final"),
                         ("other", "final"), ("support_and_challenge", "planned"),
                         ("vse", "draft")):
        made = api.post(VISITS, json=_planned(school, kind=kind, status=status),
                        headers=school.link_officer)
        assert made.status_code == 201, made.text
    assert _final_visits(api, school)["final_visits"] == 2

    current = api.get(authority, headers=school.authority_admin)
    changed = api.patch(authority, json={"counted_visit_kinds": ["other", "support_and_challenge"]},
                        headers={**school.authority_admin, "If-Match": current.headers["ETag"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["counted_visit_kinds"] == ["other", "support_and_challenge"]
    figures = _final_visits(api, school)
    assert (figures["final_visits"], figures["establishments_visited"]) == (2, 1)


@pytest.mark.parametrize("kinds", [[], ["vse", "vse"], ["coffee"], None])
def test_counted_kinds_must_be_distinct_known_kinds(api, school, kinds):  # noqa: F811
    authority = f"/api/v1/authorities/{school.establishment.authority_id}"
    current = api.get(authority, headers=school.authority_admin)
    answer = api.patch(authority, json={"counted_visit_kinds": kinds},
                       headers={**school.authority_admin, "If-Match": current.headers["ETag"]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"][:2] == ["body", "counted_visit_kinds"]
    after = api.get(authority, headers=school.authority_admin).json()
    assert after["version"] == current.json()["version"]


def test_a_link_officer_does_not_change_what_counts(api, school):  # noqa: F811
    authority = f"/api/v1/authorities/{school.establishment.authority_id}"
    current = api.get(authority, headers=school.link_officer)
    answer = api.patch(authority, json={"counted_visit_kinds": ["other"]},
                       headers={**school.link_officer, "If-Match": current.headers["ETag"]})
    assert answer.status_code == 403, answer.text

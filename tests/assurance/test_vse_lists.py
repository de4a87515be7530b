"""Finding VSE cycles: by team member, status, visit dates and the usual filters."""

from tests.assurance.conftest import VSE_CYCLES, create_vse, move_vse, stored_vse


def _ids(api, headers, **params):
    answer = api.get(VSE_CYCLES, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return {c["id"] for c in answer.json()["items"]}


def test_filters_by_team_member_status_and_visit_dates(api, school, make):
    # Three of the link officer's schools: a school has one open VSE at a time.
    second, third = (str(make.establishment(link_officer_id=school.link_officer_id).id)
                     for _ in range(2))
    november = create_vse(api, school)  # the link officer is in the team
    march = create_vse(api, school, establishment_id=second, planning_date=None,
                       visit_start="2026-03-02", visit_end="2026-03-04",
                       team=[{"user_id": str(school.other_officer_id), "role": "officer"}])
    undated = create_vse(api, school, establishment_id=third, visit_start=None, visit_end=None,
                         team=[])
    move_vse(api, march["id"], "schedule", school.link_officer)
    see = school.authority_admin

    assert _ids(api, see, officer_id=str(school.link_officer_id)) == {november["id"]}
    assert _ids(api, see, officer_id=str(school.other_officer_id)) == {march["id"]}
    assert _ids(api, see, status="scheduled") == {march["id"]}
    assert _ids(api, see, status="proposed") == {november["id"], undated["id"]}
    assert _ids(api, see, **{"from": "2026-01-01"}) == {march["id"]}
    assert _ids(api, see, to="2025-12-31") == {november["id"]}
    assert _ids(api, see, **{"from": "2025-11-03", "to": "2026-03-02"}) == {
        november["id"], march["id"]}
    assert _ids(api, see, **{"from": "2025-11-04", "to": "2026-03-01"}) == set()
    assert _ids(api, see, trigger="school_requested") == set()
    assert _ids(api, see, establishment_id=str(school.establishment.id),
                session="2025-26") == {november["id"]}
    assert _ids(api, see, establishment_id=second, session="2025-26") == {march["id"]}
    assert _ids(api, see, authority_id=str(school.establishment.authority_id)) == {
        november["id"], march["id"], undated["id"]}
    assert _ids(api, see, session="2026-27") == set()
    assert _ids(api, see, updated_since=march["updated_at"]) >= {march["id"]}
    assert _ids(api, see, updated_since="2099-01-01T00:00:00Z") == set()


def test_bad_filters_are_422(api, school):
    for params in ({"from": "2026-01-32"}, {"from": "1762128000"}, {"to": "03/11/2025"},
                   {"from": "2026-02-01", "to": "2026-01-01"}, {"status": "done"},
                   {"session": "2025-27"}, {"officer_id": "nobody"},
                   {"updated_since": "yesterday"}):
        answer = api.get(VSE_CYCLES, params=params, headers=school.link_officer)
        assert answer.status_code == 422, params
    reversed_range = api.get(VSE_CYCLES, params={"from": "2026-02-01", "to": "2026-01-01"},
                             headers=school.link_officer)
    assert reversed_range.json()["errors"][0]["loc"] == ["query", "from"]


def test_pages_walk_every_cycle_once(api, school, make):
    made = {str(stored_vse(make, school, "proposed").id) for _ in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get(VSE_CYCLES, params=params, headers=school.link_officer).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made)
    assert api.get(VSE_CYCLES, params={"cursor": "forged.cursor"},
                   headers=school.link_officer).status_code == 422


def test_other_authorities_and_regional_leads_see_none(api, school, make):
    create_vse(api, school)
    glasgow = make.headers(make.user("officer", authority=make.authority("S12000049"),
                                     authority_admin=True))
    assert _ids(api, glasgow) == set()
    assert _ids(api, school.lead) == set()
    assert len(_ids(api, school.other_officer)) == 1
    assert len(_ids(api, make.headers(make.admin()))) == 1

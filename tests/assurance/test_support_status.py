"""Support status: agreed by the link officer, kept with its history, read by the school."""

from tests.planning.conftest import school  # noqa: F401 - the fixture

URL = "/api/v1/establishments/{id}/support-status"
STATUS = {"rag": "amber", "level": "additional", "reasons": ["new_headteacher"],
          "agreed_on": "2025-09-12", "agreed_with": "Headteacher", "notes": "Review in December"}


def test_a_new_status_keeps_the_old_in_history(api, school):  # noqa: F811
    url = URL.format(id=school.establishment.id)
    first = api.put(url, json=STATUS, headers=school.link_officer)
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1
    assert api.put(url, json={**STATUS, "rag": "red"}, headers=school.link_officer
                   ).status_code == 428
    stale = api.put(url, json={**STATUS, "rag": "red"},
                    headers={**school.link_officer, "If-Match": '"7"'})
    assert stale.status_code == 412
    second = api.put(url, json={**STATUS, "rag": "green", "level": "universal",
                                "reasons": ["performing_consistently_well"]},
                     headers={**school.authority_admin, "If-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.json()["version"] == 2
    current = api.get(url, headers=school.head)
    assert current.json()["rag"] == "green" and current.headers["ETag"] == '"2"'
    history = api.get(f"{url}/history", headers=school.head).json()["items"]
    assert [h["rag"] for h in history] == ["green", "amber"]
    assert history[1]["set_by_label"].startswith("officer")


def test_only_the_link_officer_or_an_authority_admin_sets_it(api, school):  # noqa: F811
    url = URL.format(id=school.establishment.id)
    assert api.put(url, json=STATUS, headers=school.other_officer).status_code == 403
    assert api.put(url, json=STATUS, headers=school.head).status_code == 403
    assert api.put(url, json=STATUS, headers=school.lead).status_code == 403  # reads the school
    assert api.put(url, json=STATUS, headers=school.other_head).status_code == 404


def test_who_reads_it(api, school):  # noqa: F811
    url = URL.format(id=school.establishment.id)
    api.put(url, json=STATUS, headers=school.link_officer)
    assert api.get(url, headers=school.head).status_code == 200
    assert api.get(url, headers=school.other_officer).status_code == 200
    assert api.get(url, headers=school.other_head).status_code == 404
    assert api.get(url, headers=school.lead).status_code == 403  # aggregates only, said so


def test_resending_the_same_status_changes_nothing(api, school, db):  # noqa: F811
    url = URL.format(id=school.establishment.id)
    first = api.put(url, json=STATUS, headers=school.link_officer)
    again = api.put(url, json=STATUS, headers={**school.link_officer, "If-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.json()["version"] == 1
    assert len(api.get(f"{url}/history", headers=school.head).json()["items"]) == 1


def test_bad_statuses_are_422(api, school):  # noqa: F811
    url = URL.format(id=school.establishment.id)
    assert api.put(url, json={**STATUS, "rag": "blue"}, headers=school.link_officer).status_code == 422
    assert api.put(url, json={**STATUS, "reasons": []}, headers=school.link_officer).status_code == 422
    assert api.put(url, json={**STATUS, "level": "maximum"},
                   headers=school.link_officer).status_code == 422


def test_establishments_filter_by_current_rag_and_level(api, school, make):  # noqa: F811
    other = make.establishment(link_officer_id=None)
    api.put(URL.format(id=school.establishment.id), json=STATUS, headers=school.authority_admin)
    red = {**STATUS, "rag": "red", "level": "intensive", "reasons": ["urgent_improvement_needed"]}
    first = api.put(URL.format(id=other.id), json=STATUS, headers=school.authority_admin)
    api.put(URL.format(id=other.id), json=red,
            headers={**school.authority_admin, "If-Match": first.headers["ETag"]})

    def codes(headers, **params):
        answer = api.get("/api/v1/establishments", params=params, headers=headers)
        return [e["code"] for e in answer.json()["items"]]

    assert codes(school.link_officer, rag="red") == [other.code]
    assert codes(school.link_officer, rag="amber") == [school.establishment.code]
    assert codes(school.link_officer, support_level="intensive") == [other.code]
    assert codes(school.link_officer, rag="amber", support_level="intensive") == []
    # A regional lead never learns a school's RAG, and is told so rather than shown "none".
    answer = api.get("/api/v1/establishments", params={"rag": "red"}, headers=school.lead)
    assert answer.status_code == 403

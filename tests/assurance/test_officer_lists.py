"""The lists an officer works from (plans, reports, VSE cycles, visits): filtered by cluster
and by link officer (`me` for the caller), each item naming its school by code and name, so
that a morning's list needs no call per school."""

from datetime import date

import pytest

from app.assurance.models import Visit
from app.assurance.vse.models import VseCycle
from tests.factories import Factory, PlanningFactory

LISTS = ("/api/v1/improvement-plans", "/api/v1/quality-reports", "/api/v1/vse-cycles",
         "/api/v1/visits")


@pytest.fixture
def caseloads(make: Factory):
    """Two link officers of one authority: Morag links Ash (in the Ridge cluster) and Birch (no
    cluster); Iain links Cedar (in the Ridge cluster). Each school has a plan, a report, a VSE
    cycle and a final visit by its link officer in 2025-26."""
    morag, iain = make.user("officer"), make.user("officer")
    ridge = make.cluster(name="Ridge Learning Community")
    schools = {
        "ash": make.establishment(name="Ash Primary School", code="8100011",
                                  link_officer_id=morag.id, cluster_id=ridge.id),
        "birch": make.establishment(name="Birch Primary School", code="8100022",
                                    link_officer_id=morag.id),
        "cedar": make.establishment(name="Cedar Primary School", code="8100033",
                                    link_officer_id=iain.id, cluster_id=ridge.id),
    }
    planning = PlanningFactory(make)
    for school in schools.values():
        planning.plan(school, status="submitted")
        planning.report(school)
        make._save(VseCycle(establishment_id=school.id, authority_id=school.authority_id,
                            session="2025-26", trigger="authority_directed",
                            framework_code="HGIOS4", indicator_codes=["2.3"]))
        make._save(Visit(establishment_id=school.id, authority_id=school.authority_id,
                         officer_id=school.link_officer_id, session="2025-26",
                         visit_date=date(2025, 10, 7), kind="support_and_challenge",
                         status="final", shared_with_school=True))
    return {"morag": morag, "iain": iain, "ridge": ridge, "admin": make.user(
        "officer", authority_admin=True), **schools}


def _schools(api, url, headers, **params):
    answer = api.get(url, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return sorted(item["establishment_name"] for item in answer.json()["items"])


@pytest.mark.parametrize("url", LISTS)
def test_each_list_filters_by_cluster_and_link_officer(api, make, caseloads, url):
    admin, morag = make.headers(caseloads["admin"]), make.headers(caseloads["morag"])
    ridge = str(caseloads["ridge"].id)
    everyone = ["Ash Primary School", "Birch Primary School", "Cedar Primary School"]
    assert _schools(api, url, admin) == everyone
    assert _schools(api, url, admin, cluster_id=ridge) == ["Ash Primary School",
                                                          "Cedar Primary School"]
    assert _schools(api, url, admin, link_officer_id=str(caseloads["iain"].id)) == [
        "Cedar Primary School"]
    assert _schools(api, url, admin, link_officer_id=str(caseloads["morag"].id),
                    cluster_id=ridge) == ["Ash Primary School"]
    # `me`: the caller's own link schools, whoever else may read the authority's records.
    assert _schools(api, url, morag, link_officer_id="me") == ["Ash Primary School",
                                                               "Birch Primary School"]
    assert _schools(api, url, admin, link_officer_id="me") == []
    assert _schools(api, url, admin, cluster_id=str(make.id())) == []


@pytest.mark.parametrize("url", LISTS)
def test_each_item_names_its_school(api, make, caseloads, url):
    answer = api.get(url, params={"link_officer_id": "me"},
                     headers=make.headers(caseloads["iain"]))
    [item] = answer.json()["items"]
    assert item["establishment_id"] == str(caseloads["cedar"].id)
    assert (item["establishment_code"], item["establishment_name"]) == (
        "8100033", "Cedar Primary School")
    single = api.get(f"{url}/{item['id']}", headers=make.headers(caseloads["iain"]))
    assert single.status_code == 200, single.text
    assert single.json()["establishment_name"] == "Cedar Primary School"


@pytest.mark.parametrize("url", LISTS)
def test_a_link_officer_that_is_neither_an_id_nor_me_is_422(api, make, caseloads, url):
    answer = api.get(url, params={"link_officer_id": "mine"},
                     headers=make.headers(caseloads["admin"]))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "link_officer_id" in answer.text


def test_a_page_under_the_filters_continues_under_them(api, make, caseloads):
    morag = make.headers(caseloads["morag"])
    first = api.get(LISTS[0], params={"link_officer_id": "me", "limit": 1}, headers=morag).json()
    second = api.get(LISTS[0], params={"link_officer_id": "me", "limit": 1,
                                       "cursor": first["next_cursor"]}, headers=morag).json()
    assert sorted(i["establishment_name"] for i in first["items"] + second["items"]) == [
        "Ash Primary School", "Birch Primary School"]
    assert second["next_cursor"] is None
    other = api.get(LISTS[0], params={"cluster_id": str(caseloads["ridge"].id), "limit": 1,
                                      "cursor": first["next_cursor"]}, headers=morag)
    assert other.status_code == 422  # a cursor is good only under the filters that made it


def test_the_establishment_list_takes_me_for_the_link_officer(api, make, caseloads):
    answer = api.get("/api/v1/establishments", params={"link_officer_id": "me"},
                     headers=make.headers(caseloads["morag"]))
    assert answer.status_code == 200, answer.text
    assert sorted(e["name"] for e in answer.json()["items"]) == ["Ash Primary School",
                                                                 "Birch Primary School"]

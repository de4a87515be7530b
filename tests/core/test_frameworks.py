"""Frameworks and the NIF: reference data every user reads; only admins add frameworks."""

from sqlmodel import Session

from app.frameworks.models import Framework
from tests.core.problems import assert_problem
from tests.factories import Factory

URL = "/api/v1/frameworks"


def _laser(**fields) -> dict:
    return {"code": "TESTFW", "title": "Test framework", "good_or_better_from": 3,
            "scale": [{"value": 4, "label": "outstanding"}, {"value": 3, "label": "good"},
                      {"value": 2, "label": "requires improvement"}, {"value": 1, "label": "inadequate"}],
            "indicators": [{"code": "LM1", "title": "Leadership and management"}],
            "core_indicators": ["LM1"], **fields}


def test_every_user_lists_the_published_frameworks_with_scales(api, make: Factory):
    answer = api.get(URL, headers=make.headers(make.user("headteacher")))
    assert answer.status_code == 200, answer.text
    frameworks = {f["code"]: f for f in answer.json()["items"]}
    assert {"HGIOS4", "HGIOELC", "LASER"} <= set(frameworks)
    for framework in frameworks.values():
        values = [p["value"] for p in framework["scale"]]
        assert values and framework["good_or_better_from"] in values
    assert len(frameworks["HGIOS4"]["scale"]) == 6
    assert len(frameworks["LASER"]["scale"]) == 4


def test_hgios4_has_15_indicators_and_the_four_core_ones(api, make: Factory):
    answer = api.get(f"{URL}/HGIOS4", headers=make.headers(make.user("officer")))
    assert answer.status_code == 200, answer.text
    hgios4 = answer.json()
    codes = [i["code"] for i in hgios4["indicators"]]
    assert len(codes) == 15 and codes[0] == "1.1" and codes[-1] == "3.3"
    assert hgios4["core_indicators"] == ["1.3", "2.3", "3.1", "3.2"]
    assert hgios4["good_or_better_from"] == 4
    assert {p["value"]: p["label"] for p in hgios4["scale"]}[6] == "excellent"


def test_unknown_framework_is_404(api, make: Factory):
    assert_problem(api.get(f"{URL}/HGIOS9", headers=make.headers(make.admin())), 404)


def test_nif_has_five_priorities_and_six_drivers(api, make: Factory):
    answer = api.get("/api/v1/nif", headers=make.headers(make.user("regional_lead")))
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["priorities"]) == 5 and len(answer.json()["drivers"]) == 6


def test_frameworks_need_a_token(api):
    assert_problem(api.get(URL), 401)


def test_admin_adds_a_framework(api, make: Factory, db: Session):
    answer = api.post(URL, json=_laser(), headers=make.headers(make.admin()))
    assert answer.status_code == 201, answer.text
    assert answer.headers["Location"] == f"{URL}/TESTFW"
    fetched = api.get(f"{URL}/TESTFW", headers=make.headers(make.user("officer"))).json()
    assert fetched["indicators"] == [{"code": "LM1", "title": "Leadership and management",
                                      "category": ""}]
    assert db.query(Framework).filter(Framework.code == "TESTFW").count() == 1


def test_non_admin_may_not_add_a_framework(api, make: Factory):
    authority_admin = make.user("officer", authority_admin=True)
    assert_problem(api.post(URL, json=_laser(), headers=make.headers(authority_admin)), 403)


def test_duplicate_framework_code_is_409(api, make: Factory):
    assert_problem(api.post(URL, json=_laser(code="HGIOS4"), headers=make.headers(make.admin())), 409)


def test_good_or_better_must_be_on_the_scale(api, make: Factory, db: Session):
    answer = api.post(URL, json=_laser(good_or_better_from=5), headers=make.headers(make.admin()))
    body = assert_problem(answer, 422)
    assert "good_or_better_from" in str(body["errors"])
    assert db.query(Framework).filter(Framework.code == "TESTFW").count() == 0


def test_core_indicators_must_be_among_the_indicators(api, make: Factory):
    answer = api.post(URL, json=_laser(core_indicators=["ZZ9"]), headers=make.headers(make.admin()))
    assert_problem(answer, 422)


def test_scale_values_must_be_distinct(api, make: Factory):
    scale = [{"value": 1, "label": "a"}, {"value": 1, "label": "b"}]
    answer = api.post(URL, json=_laser(scale=scale, good_or_better_from=1),
                      headers=make.headers(make.admin()))
    assert_problem(answer, 422)


def test_unknown_fields_in_a_framework_are_422(api, make: Factory):
    answer = api.post(URL, json=_laser(colour="red"), headers=make.headers(make.admin()))
    assert_problem(answer, 422, loc=["body", "colour"])


def test_framework_codes_in_the_path_are_checked(api, make: Factory):
    headers = make.headers(make.admin())
    for code in ("%00", "HG%00IOS4", "HGIOS4%20", "x" * 40):
        assert_problem(api.get(f"{URL}/{code}", headers=headers), 422, loc=["path", "code"])

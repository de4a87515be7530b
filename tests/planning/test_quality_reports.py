"""Standards and quality reports: self-evaluated grades on the school's own framework."""

REPORTS = "/api/v1/quality-reports"
CORE = [{"indicator_code": code, "grade": 4, "evaluative_text": "Good"}
        for code in ("1.3", "2.3", "3.1", "3.2")]


def _create(api, school, **body):
    return api.post(REPORTS, json={"establishment_id": str(school.establishment.id),
                                   "session": "2025-26", **body}, headers=school.head)


def test_a_report_with_every_core_indicator_and_priority_is_submitted_and_agreed(
        api, school, planning):
    plan = planning.plan(school.establishment, status="agreed", priorities=2)
    priorities = api.get(f"/api/v1/improvement-plans/{plan.id}/priorities",
                         headers=school.head).json()["items"]
    progress = [{"priority_id": p["id"], "rag": "green", "commentary": "Done"} for p in priorities]
    report = _create(api, school, evaluations=CORE, priority_progress=progress)
    assert report.status_code == 201, report.text
    body = report.json()
    assert body["framework_code"] == "HGIOS4" and len(body["evaluations"]) == 4
    submitted = api.post(f"{REPORTS}/{body['id']}/submit", headers=school.head)
    assert submitted.status_code == 200, submitted.text
    agreed = api.post(f"{REPORTS}/{body['id']}/agree", json={"feedback": "Accurate"},
                      headers=school.link_officer)
    assert agreed.json()["status"] == "agreed"
    history = api.get(f"{REPORTS}/{body['id']}/history", headers=school.head).json()["items"]
    assert [h["to_status"] for h in history] == ["submitted", "agreed"]


def test_grades_off_the_scale_are_rejected(api, school):
    for grade in (0, 7, 10):
        answer = _create(api, school, evaluations=[{"indicator_code": "1.3", "grade": grade}])
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["loc"] == ["body", "evaluations", 0, "grade"]
        assert "HGIOS4" in answer.json()["detail"]


def test_unknown_or_repeated_indicators_are_rejected(api, school):
    assert _create(api, school, evaluations=[{"indicator_code": "7.7", "grade": 4}]
                   ).status_code == 422
    twice = [{"indicator_code": "1.3", "grade": 4}, {"indicator_code": "1.3", "grade": 5}]
    assert _create(api, school, evaluations=twice).status_code == 422


def test_submitting_needs_all_four_core_indicators(api, school):
    report = _create(api, school, evaluations=CORE[:3]).json()
    answer = api.post(f"{REPORTS}/{report['id']}/submit", headers=school.head)
    assert answer.status_code == 422 and "3.2" in answer.json()["detail"]


def test_submitting_needs_progress_on_every_priority_of_the_plan(api, school, planning):
    planning.plan(school.establishment, status="agreed", priorities=2)
    report = _create(api, school, evaluations=CORE).json()
    answer = api.post(f"{REPORTS}/{report['id']}/submit", headers=school.head)
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == [
        "body", "priority_progress"]


def test_progress_must_name_priorities_of_the_schools_own_plan(api, school, planning, make):
    other = planning.plan(make.establishment(), priorities=1)
    from sqlmodel import select

    from app.planning.models import PlanPriority

    foreign = planning.make.db.exec(select(PlanPriority).where(PlanPriority.plan_id == other.id)).one()
    answer = _create(api, school, priority_progress=[{"priority_id": str(foreign.id)}])
    assert answer.status_code == 422


def test_grades_change_only_with_if_match_and_bump_the_version(api, school):
    report = _create(api, school, evaluations=CORE).json()
    url = f"{REPORTS}/{report['id']}"
    regraded = [{**CORE[0], "grade": 5}, *CORE[1:]]
    assert api.patch(url, json={"evaluations": regraded}, headers=school.head).status_code == 428
    etag = api.get(url, headers=school.head).headers["ETag"]
    answer = api.patch(url, json={"evaluations": regraded}, headers={**school.head, "If-Match": etag})
    assert answer.status_code == 200 and answer.json()["version"] == report["version"] + 1
    assert answer.json()["evaluations"][0]["grade"] == 5
    same = api.patch(url, json={"evaluations": regraded},
                     headers={**school.head, "If-Match": answer.headers["ETag"]})
    assert same.json()["version"] == answer.json()["version"]


def test_an_authority_on_its_own_framework_validates_against_it(api, school, make, db):
    authority = make.authority()
    admin = make.headers(make.admin())
    etag = api.get(f"/api/v1/authorities/{authority.id}", headers=admin).headers["ETag"]
    chosen = api.patch(f"/api/v1/authorities/{authority.id}", json={"framework_code": "LASER"},
                       headers={**admin, "If-Match": etag})
    assert chosen.status_code == 200, chosen.text
    framework = {
        "code": "LASER2", "title": "Four-point scale", "applies_to": [],
        "good_or_better_from": 3, "core_indicators": ["LM"],
        "scale": [{"value": v, "label": f"level {v}"} for v in (4, 3, 2, 1)],
        "indicators": [{"code": "LM", "title": "Leadership"}, {"code": "QE", "title": "Quality"}],
    }
    assert api.post("/api/v1/frameworks", json=framework, headers=admin).status_code == 201
    etag = api.get(f"/api/v1/authorities/{authority.id}", headers=admin).headers["ETag"]
    api.patch(f"/api/v1/authorities/{authority.id}", json={"framework_code": "LASER2"},
              headers={**admin, "If-Match": etag})
    assert _create(api, school, evaluations=[{"indicator_code": "LM", "grade": 5}]
                   ).status_code == 422  # 5 is not on a four-point scale
    report = _create(api, school, evaluations=[{"indicator_code": "LM", "grade": 4}])
    assert report.status_code == 201 and report.json()["framework_code"] == "LASER2"
    submitted = api.post(f"{REPORTS}/{report.json()['id']}/submit", headers=school.head)
    assert submitted.status_code == 200, submitted.text


def test_one_report_per_establishment_and_session(api, school):
    assert _create(api, school).status_code == 201
    assert _create(api, school).status_code == 409

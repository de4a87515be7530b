"""/metrics: request counts and latency by route template and status, and the pool's gauges."""

from prometheus_client.parser import text_string_to_metric_families

from tests.factories import Factory

ROUTE = "/api/v1/establishments/{establishment_id}"


def _samples(api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = api.get("/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _labels(route: str, status: str, method: str = "GET") -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"method": method, "route": route, "status": status}.items()))


def test_requests_are_counted_by_route_template_and_status(api, make: Factory):
    establishment = make.establishment()
    headers = make.headers(make.admin())
    before = _samples(api)
    for _ in range(2):
        assert api.get(f"/api/v1/establishments/{establishment.id}", headers=headers).status_code == 200
    assert api.get(f"/api/v1/establishments/{make.id()}", headers=headers).status_code == 404
    after = _samples(api)

    def grew(name: str, status: str) -> float:
        key = (name, _labels(ROUTE, status))
        return after[key] - before.get(key, 0.0)

    assert grew("sih_http_requests_total", "200") == 2
    assert grew("sih_http_requests_total", "404") == 1
    assert grew("sih_http_request_seconds_count", "200") == 2
    assert grew("sih_http_request_seconds_count", "404") == 1
    # One series per template: the ids never become label values.
    assert not any(str(establishment.id) in dict(labels).get("route", "") for _, labels in after)


def test_unmatched_paths_share_one_series(api):
    before = _samples(api)
    assert api.get("/no/such/path/1").status_code == 404
    assert api.get("/no/such/path/2").status_code == 404
    after = _samples(api)
    key = ("sih_http_requests_total", _labels("unmatched", "404"))
    assert after[key] - before.get(key, 0.0) == 2


def test_invented_methods_share_one_series(api):
    before = _samples(api)
    for method in ("FOO", "BAR"):
        assert api.request(method, "/api/v1/establishments").status_code in (401, 405)
    after = _samples(api)
    invented = [labels for name, labels in after if name == "sih_http_requests_total"
                and dict(labels)["method"] in ("FOO", "BAR")]
    grown = sum(after[key] - before.get(key, 0.0) for key in after
                if key[0] == "sih_http_requests_total" and dict(key[1])["method"] == "other")
    assert not invented and grown == 2


def test_pool_gauges_describe_this_process_pool(api, engine):
    samples = _samples(api)
    assert samples[("sih_db_pool_size", ())] == engine.pool.size()
    # Nothing holds a connection between requests, so none is checked out while scraping.
    assert samples[("sih_db_pool_checked_out", ())] == 0
    assert ("sih_db_pool_overflow", ()) in samples

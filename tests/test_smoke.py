def test_officer_lists_own_authority_establishments(api, make):
    officer = make.user("officer")
    own = make.establishment()
    make.establishment(make.authority("S12000049"))  # Glasgow: not theirs
    answer = api.get("/api/v1/establishments", headers=make.headers(officer))
    assert answer.status_code == 200, answer.text
    assert [e["id"] for e in answer.json()["items"]] == [str(own.id)]

"""Every 401 says how to authenticate (WWW-Authenticate), for a forged `alg: none` token too,
on every operation that takes a token."""

import base64
import json
import re
import time
import uuid


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_a_forged_or_broken_token_gets_a_401_with_www_authenticate_everywhere(api, app, make):
    admin = make.admin()
    forged = _unsigned({"sub": f"user:{admin.id}", "jti": "x", "exp": int(time.time()) + 600,
                        "aud": "school-improvement-hub-api", "iss": "school-improvement-hub"})
    document = app.openapi()
    tried = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if operation.get("security") != [{"OAuth2": []}]:
                continue  # answers without an access token (sign-in, probes, the contract)
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            for token in (forged, "not-a-token"):
                answer = api.request(method.upper(), url, headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.headers.get("WWW-Authenticate", "").startswith("Bearer"), (method, path)
                tried += 1
    assert tried > 100

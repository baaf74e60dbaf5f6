"""Each scope against each endpoint: the catalogue decides every API route for partner tokens."""

import pytest
from django.urls import reverse

from marketplace.api.urls import router
from marketplace.scopes import ANY_SCOPE, CLOSED, ROUTES, SCOPES

pytestmark = pytest.mark.django_db

REGISTRY = sorted({(basename, prefix) for prefix, _viewset, basename in router.registry})


def test_every_api_route_is_decided_by_the_catalogue():
    undecided = [basename for basename, _prefix in REGISTRY if basename not in ROUTES and basename not in CLOSED]
    assert undecided == []
    assert not set(ROUTES) & CLOSED
    for reads, writes in ROUTES.values():
        assert reads in (None, ANY_SCOPE, *SCOPES)
        assert writes in (None, ANY_SCOPE, *SCOPES)


def _url(basename: str, prefix: str) -> tuple[str, str]:
    """(list or detail URL, method) for a route: the list when there is one."""
    kwargs = {name: 1 for name in ("achievement_pk", "demand_pk", "challenge_pk", "pool_pk", "deal_pk",
                                   "inquiry_pk", "response_pk", "event_pk") if f"(?P<{name}>" in prefix}  # fmt: skip
    query = "?q=海水淡化膜" if basename in ("match-achievements", "search") else ""
    try:
        return reverse(f"v1:{basename}-list", kwargs=kwargs) + query, "list"
    except Exception:
        lookup = {"external_ref": "x"} if "by-ref" in prefix else {"pk": 1}
        return reverse(f"v1:{basename}-detail", kwargs={**kwargs, **lookup}), "detail"


@pytest.mark.parametrize(("basename", "prefix"), REGISTRY)
def test_reads_need_their_scope(basename, prefix, make_partner, partner_api):
    url, kind = _url(basename, prefix)
    needed = ROUTES.get(basename, (None, None))[0]
    if needed is None:
        # Closed to partner tokens whatever their scopes.
        response = partner_api(make_partner()).get(url)
        assert response.status_code == 403, (url, response.content)
        assert response.json()["error"]["code"] == "permission_denied"
        return
    if needed != ANY_SCOPE:
        others = " ".join(sorted(set(SCOPES) - {needed}))
        refused = partner_api(make_partner(others, name="缺少权限的平台")).get(url)
        assert refused.status_code == 403, (url, refused.content)
        assert needed in refused.json()["error"]["message"]
    allowed = partner_api(make_partner(needed if needed != ANY_SCOPE else "webhooks")).get(url)
    if kind == "list":
        assert allowed.status_code == 200, (url, allowed.content)
    else:
        assert allowed.status_code == 404, (url, allowed.content)  # allowed in, but no such record


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("/api/v1/achievements/by-ref/x/", "achievements:write"),
        ("/api/v1/demands/by-ref/x/", "demands:write"),
        ("/api/v1/contracts/by-ref/x/", "contracts:write"),
    ],
)
def test_writes_need_the_write_scope(url, scope, make_partner, partner_api):
    read_only = " ".join(sorted(set(SCOPES) - {scope}))
    response = partner_api(make_partner(read_only)).put(url, {}, format="json")
    assert response.status_code == 403
    assert scope in response.json()["error"]["message"]
    with_scope = partner_api(make_partner(scope, name="可写平台")).put(url, {}, format="json")
    assert with_scope.status_code == 400  # in, and told what is missing


def test_collections_stay_read_only_for_partner_tokens(api):
    """Partners write by reference only; the people's endpoints refuse them."""
    assert api.post("/api/v1/achievements/", {"title": "x"}, format="json").status_code == 403
    assert api.post("/api/v1/demands/", {"title": "x"}, format="json").status_code == 403


def test_unknown_api_paths_are_404_in_the_error_format(client):
    response = client.get("/api/v1/no-such-collection/12/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_schema_documents_partner_security_idempotency_and_errors(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    scheme = schema["components"]["securitySchemes"]["partnerOAuth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"
    assert set(scheme["flows"]["clientCredentials"]["scopes"]) == set(SCOPES)
    put = schema["paths"]["/api/v1/achievements/by-ref/{external_ref}/"]["put"]
    assert {"partnerOAuth2": ["achievements:write"]} in put["security"]
    assert {"200", "201", "400", "401", "403", "404", "429"} <= set(put["responses"])
    listing = schema["paths"]["/api/v1/deals/"]["get"]
    assert not any("partnerOAuth2" in requirement for requirement in listing["security"])  # closed to partners
    post = schema["paths"]["/api/v1/achievements/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert {"409", "422"} <= set(post["responses"])

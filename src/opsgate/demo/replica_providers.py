"""Replicas of the third-party APIs the seed runbooks depend on, mounted under `/replicas/<provider>/`.

OpenAI's `GET /v1/models` (the cheapest authenticated call: 401 for a bad key) and a Statuspage
`GET /api/v2/status.json` (OpenAI's and Shopify's status pages use it). In broken mode the key is
refused and the status page reports a major outage.
"""

from __future__ import annotations

from opsgate.demo.app import Request, Response, json_response, route


@route("GET", "/replicas/openai/v1/models")
def openai_models(req: Request) -> Response:
    token = req.header("authorization")
    if req.state.broken or not token.startswith("Bearer sk-"):
        return json_response(401, {"error": {"message": "Incorrect API key provided", "type":
                                             "invalid_request_error", "code": "invalid_api_key"}})
    return json_response(200, {"object": "list", "data": [
        {"id": "gpt-4o-mini", "object": "model", "owned_by": "system"},
        {"id": "gpt-4o", "object": "model", "owned_by": "system"},
    ]})


@route("GET", "/replicas/{provider}-status/api/v2/status.json")
def status_page(req: Request) -> Response:
    broken = req.state.broken
    indicator, text = ("major", "Major System Outage") if broken else ("none", "All Systems Operational")
    return json_response(200, {"page": {"name": req.params["provider"]},
                               "status": {"indicator": indicator, "description": text}})

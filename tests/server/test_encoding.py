"""Responses are encoded with orjson: the same JSON as the standard encoder, UTF-8 text kept."""

from __future__ import annotations

import json

from server.app import GraphQLEndpoint


async def test_response_is_compact_utf8_json(client, authority):
    response = await client.post(
        "/graphql",
        json={"query": "{ organizations(first: 3) { edges { node { name } } } }"},
        headers=authority.headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.content
    data = json.loads(body)
    assert "errors" not in data and data["data"]["organizations"]["edges"]
    # Same bytes as the standard encoder with compact separators and no \\u escapes.
    assert body == json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def test_encoder_is_text_and_falls_back_for_lone_surrogates():
    encode = GraphQLEndpoint.encode_json
    assert encode(None, {"data": {"名称": "江门"}}) == '{"data":{"名称":"江门"}}'
    # orjson refuses a lone surrogate; the standard encoder escapes it.
    assert json.loads(encode(None, {"data": {"x": "a\ud800"}})) == {"data": {"x": "a\ud800"}}

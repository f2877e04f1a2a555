from schema import SDL_PATH
from schema.export import sdl


def test_schema_graphql_is_current():
    assert SDL_PATH.read_text() == sdl(), "schema.graphql is stale: run `make sdl` and commit it"

"""`python -m schema.export` writes the SDL to schema.graphql (a test fails when it drifts)."""

from __future__ import annotations

from core.settings import get_settings
from schema import SDL_PATH, build_schema


def sdl() -> str:
    return build_schema(get_settings()).as_str() + "\n"


if __name__ == "__main__":
    SDL_PATH.write_text(sdl())
    print(f"wrote {SDL_PATH}")

"""Which request bodies the API reads as JSON, and the 415 for the rest.

Bodies are always JSON (docs/api.md). A client that sends no Content-Type, or curl's default
for `-d` (application/x-www-form-urlencoded), or a browser's text/plain, still meant JSON:
those bodies are parsed as JSON and a body that is not JSON gets the usual 400. Only a media
type that says the body is something else (multipart, XML, an image) is refused with 415.
"""

from __future__ import annotations

from cl3_common.errors import ApiError

READ_AS_JSON = frozenset({"application/json", "application/x-www-form-urlencoded", "text/plain"})


class UnsupportedMediaType(ApiError):
    code = "unsupported_media_type"


def require_json_body(content_type: str | None) -> None:
    if not content_type or not content_type.strip():
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media in READ_AS_JSON or media == "*/*" or media.endswith("+json"):
        return
    raise UnsupportedMediaType(
        f"request bodies are JSON; send 'Content-Type: application/json', not {media[:80]!r}"
    )

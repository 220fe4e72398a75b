"""The committed GraphiQL bundle (app/graphiql/static): names, integrity hashes, responses."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

ASSETS_DIR = Path(__file__).resolve().parent / "static"

# A hashed file never changes under its name, so browsers may keep it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    media_type: str

    @property
    def integrity(self) -> str:
        """The Subresource Integrity value the page puts on the tag that loads this file."""
        digest = hashlib.sha384(self.body).digest()
        return "sha384-" + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Bundle:
    script: Asset
    stylesheet: Asset
    operations: Asset
    files: dict[str, Asset]


def _asset(path: Path) -> Asset:
    body = path.read_bytes()
    # Compressed once per process: the script is about 1.2 MB and compresses roughly 4:1.
    gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    return Asset(path.name, body, gzipped, _MEDIA_TYPES.get(path.suffix, "text/plain"))


@cache
def load_bundle(directory: Path = ASSETS_DIR) -> Bundle:
    """Read the bundle named by manifest.json; a missing file fails here, at start-up."""
    manifest = json.loads((directory / "manifest.json").read_text())
    script = _asset(directory / manifest["script"])
    stylesheet = _asset(directory / manifest["stylesheet"])
    operations = _asset(directory / manifest["operations"])
    files = {asset.name: asset for asset in (script, stylesheet, operations)}
    for legal in directory.glob("*.LEGAL.txt"):
        files[legal.name] = _asset(legal)
    return Bundle(script=script, stylesheet=stylesheet, operations=operations, files=files)


async def serve_asset(request: Request) -> Response:
    """GET /static/graphiql/{name}: only the files the manifest names (and their licences)."""
    bundle = load_bundle()
    asset = bundle.files.get(request.path_params["name"])
    if asset is None:
        return PlainTextResponse("Not found", status_code=404)
    headers = {
        "Cache-Control": IMMUTABLE,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    body = asset.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)

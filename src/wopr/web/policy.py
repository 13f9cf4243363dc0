"""How the site's files are served, locally and on S3 alike: Content-Type, Cache-Control and upload order."""
import re
from pathlib import PurePosixPath

CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json',
    '.py': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.md': 'text/markdown; charset=utf-8',
    '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream', '.bin': 'application/octet-stream',
    '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.webmanifest': 'application/manifest+json',
}
# The two entry points a visitor must see fresh are revalidated on every load; a file whose name carries its own
# sha256 can never change, so it is cached for a year; everything else may lag a publish by five minutes.
NO_CACHE = 'no-cache'
IMMUTABLE = 'public, max-age=31536000, immutable'
SHORT = 'public, max-age=300'
ENTRY_POINTS = ('knowledge/index.json', 'index.html')  # published last, in this order: see upload_order


def content_type(rel):
    return CONTENT_TYPES.get(PurePosixPath(rel).suffix.lower(), 'application/octet-stream')


def cache_control(rel, sha256):
    """`rel` is the path inside the site, `sha256` the hex digest of its bytes."""
    if rel in ENTRY_POINTS:
        return NO_CACHE
    if any(sha256.startswith(h) for h in re.findall(r'[0-9a-f]{8,64}', PurePosixPath(rel).name)):
        return IMMUTABLE
    return SHORT


def upload_order(rel):
    """Sort key: files first, then the catalog (never naming a file not there yet), then the page."""
    return ENTRY_POINTS.index(rel) if rel in ENTRY_POINTS else -1

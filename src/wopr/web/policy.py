"""How the site's files are served, locally and on S3 alike: Content-Type, Cache-Control, compression and upload
order."""
import re
from pathlib import PurePosixPath

CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json',
    '.py': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.md': 'text/markdown; charset=utf-8',
    '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream', '.bin': 'application/octet-stream',
    '.bundle': 'application/octet-stream',
    '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.webmanifest': 'application/manifest+json',
}
# The entry points a visitor must see fresh are revalidated on every load; a file whose name carries its own
# sha256 can never change, so it is cached for a year; everything else may lag a publish by five minutes (the service
# worker checks every file it keeps against its release's sha256 in any case).
NO_CACHE = 'no-cache'
IMMUTABLE = 'public, max-age=31536000, immutable'
SHORT = 'public, max-age=300'
ENTRY_POINTS = ('knowledge/index.json', 'index.html', 'sw.js')  # published last, in this order: see upload_order

# Text, the wasm and the runtime bundles shrink to a third or less. Knowledge files barely shrink and stay as they
# are, so that any client (urllib, boto3, curl) reads one from a bucket without decoding it.
COMPRESSIBLE = {'.html', '.js', '.mjs', '.css', '.json', '.py', '.txt', '.md', '.svg', '.webmanifest', '.wasm',
                '.bundle', '.ico'}
# Content-Encoding -> the suffix of a precompressed sibling (app.js.br, app.js.gz), best first: brotli where a
# browser asks for it (HTTPS, localhost), gzip everywhere (S3 website endpoints are plain HTTP, where browsers ask
# for gzip only, so S3 objects are stored gzip).
ENCODINGS = {'br': '.br', 'gzip': '.gz'}
STORED_ENCODING = 'gzip'


def content_type(rel):
    return CONTENT_TYPES.get(PurePosixPath(rel).suffix.lower(), 'application/octet-stream')


def compressible(rel):
    return PurePosixPath(rel).suffix.lower() in COMPRESSIBLE


def sibling_of(rel):
    """The file a precompressed sibling stands for ('app.js' for 'app.js.gz'), or None for any other name."""
    for suffix in ENCODINGS.values():
        if rel.endswith(suffix) and compressible(rel[:-len(suffix)]):
            return rel[:-len(suffix)]
    return None


def cache_control(rel, sha256):
    """`rel` is the path inside the site, `sha256` the hex digest of its bytes."""
    if rel in ENTRY_POINTS:
        return NO_CACHE
    if any(sha256.startswith(h) for h in re.findall(r'[0-9a-f]{8,64}', PurePosixPath(rel).name)):
        return IMMUTABLE
    return SHORT


def upload_order(rel):
    """Sort key: files first, then the catalog (never naming a file not there yet), the page, and last the service
    worker, whose release names every file before it (it checks each one's sha256, so a partial release never
    installs)."""
    return ENTRY_POINTS.index(rel) if rel in ENTRY_POINTS else -1

"""Compressed copies of the site's files (gzip, and brotli where smaller), streamed, and checked to decode to their
source before anything serves them."""
import gzip
import hashlib
import zlib
from pathlib import Path

import brotli

from .policy import ENCODINGS

READ_BYTES = 1 << 16


def chunks(f):
    return iter(lambda: f.read(READ_BYTES), b'')


def encode(encoding, source, target):
    """Compress the open file `source` into the open file `target`, at the strongest setting (files are compressed
    once and sent many times); gzip without a name or timestamp, so the same file gives the same bytes."""
    if encoding == 'gzip':
        with gzip.GzipFile(filename='', mode='wb', fileobj=target, compresslevel=9, mtime=0) as out:
            for chunk in chunks(source):
                out.write(chunk)
    else:
        compressor = brotli.Compressor(quality=11)
        for chunk in chunks(source):
            target.write(compressor.process(chunk))
        target.write(compressor.finish())


class Tally:
    """A file that keeps only the count of what is written to it."""
    size = 0

    def write(self, data):
        self.size += len(data)

    def flush(self):
        pass


def encoded_size(encoding, path):
    with open(path, 'rb') as source:
        encode(encoding, source, tally := Tally())
    return tally.size


MEMO_LIMIT = 8 << 20  # files up to this size keep their compressed bytes for the process's later builds
_memo = {}  # (encoding, sha256 of the source) -> compressed bytes


def write_compressed(encoding, path, sha256, target):
    """Compress the file at `path` (whose sha256 is given) into the file `target`. Brotli at quality 11 takes about a
    second for the engine's wasm: a process that builds again (the test suite, `wopr serve`'s rebuilds) compresses
    the same content once. The caller checks what was written, from the cache or not."""
    key = (encoding, sha256)
    if key in _memo:
        target.write_bytes(_memo[key])
        return
    with open(path, 'rb') as source, open(target, 'wb') as out:
        encode(encoding, source, out)
    if path.stat().st_size <= MEMO_LIMIT:
        _memo[key] = target.read_bytes()


def decoded_sha256(encoding, f):
    """The sha256 of what the open file `f` decodes to, or None when it does not decode whole (cut or damaged)."""
    digest = hashlib.sha256()
    try:
        if encoding == 'gzip':
            with gzip.GzipFile(fileobj=f, mode='rb') as stream:
                for chunk in chunks(stream):
                    digest.update(chunk)
        else:
            decompressor = brotli.Decompressor()
            for chunk in chunks(f):
                digest.update(decompressor.process(chunk))
            if not decompressor.is_finished():
                return None
    except (OSError, EOFError, zlib.error, brotli.error):
        return None
    return digest.hexdigest()


def file_sha256(path):
    with open(path, 'rb') as f:
        return hashlib.file_digest(f, 'sha256').hexdigest()


def sibling(path, encoding):
    return Path(f'{path}{ENCODINGS[encoding]}')


def write_siblings(path):
    """Write path.gz, and path.br where it is smaller; a sibling not smaller than what it saves is not written (and
    a stale one removed). Returns the encodings written, each checked by decoding it back."""
    size, want, written = path.stat().st_size, file_sha256(path), []
    for encoding in ('gzip', 'br'):  # gzip first: brotli must beat it
        target = sibling(path, encoding)
        write_compressed(encoding, path, want, target)
        smallest = min([size] + [sibling(path, e).stat().st_size for e in written])
        if target.stat().st_size >= smallest:
            target.unlink()
            continue
        if not decodes_to(target, encoding, want):
            raise OSError(f'{target} does not decode to {path.name}: not written')
        written.append(encoding)
    return written


def decodes_to(path, encoding, sha256):
    with open(path, 'rb') as f:
        return decoded_sha256(encoding, f) == sha256

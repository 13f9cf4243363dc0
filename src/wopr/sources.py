"""Where knowledge comes from and goes to: local paths, http(s):// URLs and s3:// URLs. A download is bounded in time
and size; a file is written whole or not at all."""
import errno
import http.client
import os
import secrets
import threading
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

from .runtime.knowledge import Knowledge, KnowledgeError, load

KNOWLEDGE_DIR = Path(__file__).parent / 'knowledge'
DEFAULT = KNOWLEDGE_DIR / 'default.safetensors'
MAX_BYTES = 64 * 1024 * 1024  # hidden 1024 in F32 is 17 MB (its gob up to 40 MB); stops a hostile URL filling memory
TIMEOUT = 20   # seconds a connection may stay silent
DEADLINE = 60  # seconds for a whole download, however slowly the server sends it


def shipped_knowledge():
    """The shipped knowledge files, the default one first (the page starts with the catalog's first entry)."""
    files = sorted(KNOWLEDGE_DIR.glob('*.safetensors'), key=lambda p: (p.stem != 'default', p.stem))
    if not files:
        raise FileNotFoundError(f'no knowledge files in {KNOWLEDGE_DIR}: run `make knowledge`')
    return files


def read_bytes(location):
    """The bytes at a path or URL; KnowledgeError with a clear message when they cannot be had."""
    location = str(location)
    if location.startswith(('s3://', 'http://', 'https://')):
        return _within_deadline(location, _s3 if location.startswith('s3://') else _http)
    path = Path(location)
    if not path.is_file():  # a folder, a device, or nothing
        raise KnowledgeError(f'{location} is a folder, not a knowledge file' if path.is_dir() else
                             f'{location} is not a regular file' if path.exists() else f'no such file: {location}')
    if path.stat().st_size > MAX_BYTES:
        raise KnowledgeError(f'{location} is {path.stat().st_size} bytes: too large for a knowledge file')
    return path.read_bytes()


def _within_deadline(location, fetch):
    """fetch(location, deadline), given DEADLINE seconds in all: a server can drip its answer a byte at a time (each
    read within TIMEOUT) or stall a name lookup, and neither has a timeout of its own. It runs in a thread the caller
    stops waiting for; fetch may stop at the deadline too."""
    deadline, outcome = time.monotonic() + DEADLINE, []

    def run():
        try:
            outcome.append((fetch(location, deadline), None))
        except BaseException as e:  # noqa: BLE001 (raised again in the caller's thread)
            outcome.append((None, e))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE)
    if not outcome:
        raise _late(location)
    data, error = outcome[0]
    if error is not None:
        raise error
    return data


def _late(location):
    return KnowledgeError(f'cannot fetch {location}: it did not arrive within {DEADLINE} s')


def _s3(location, deadline):
    from . import s3  # boto3 is an extra: only s3:// needs it
    try:
        return s3.read_object(location, MAX_BYTES)
    except (s3.S3Error, ValueError) as e:
        raise KnowledgeError(str(e)) from None


def _http(location, deadline):
    try:
        with urllib.request.urlopen(location, timeout=TIMEOUT) as response:
            if (response.length or 0) > MAX_BYTES:
                raise KnowledgeError(f'{location} is {response.length} bytes: too large for a knowledge file')
            chunks, size = [], 0
            while chunk := response.read1(1 << 16):  # what has come: the deadline is checked as bytes drip in
                if time.monotonic() > deadline:
                    raise _late(location)
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BYTES:
                    raise KnowledgeError(f'{location} is over {MAX_BYTES} bytes: too large for a knowledge file')
            return b''.join(chunks)
    except KnowledgeError:
        raise
    except (OSError, ValueError) as e:  # URLError is an OSError; a malformed URL a ValueError
        raise KnowledgeError(f'cannot fetch {location}: {getattr(e, "reason", e)}') from None
    except http.client.HTTPException as e:  # not an OSError: a port speaking another protocol, a cut answer
        raise KnowledgeError(f'cannot fetch {location}: broken HTTP answer ({type(e).__name__})') from None


def load_knowledge(location=None) -> Knowledge:
    """Read and validate knowledge from a path, http(s):// or s3:// URL (the shipped default when None);
    the 2018 original's Go gob files are converted on the way."""
    return load(read_bytes(location or DEFAULT))


def write_bytes(location, data):
    """Write bytes to a path (parents created; whole or not at all) or an s3:// URL."""
    location = str(location)
    if location.startswith('s3://'):
        from . import s3
        return s3.write_object(location, data)
    write_files({_path(location): data})


def check_writable(location):
    """Fail at once, not after the work that makes the bytes (a training run), when `location` cannot take a file:
    a missing bucket, an unreachable endpoint, a folder where no file can be made."""
    location = str(location)
    if location.startswith('s3://'):
        from . import s3
        return s3.check_bucket(location)
    with _new_file_beside(_path(location)) as (temp, _):
        temp.unlink()


def _path(location):
    """A local destination, its folders made."""
    if location.startswith(('http://', 'https://')):
        raise ValueError(f'cannot write to {location}: give a path or an s3:// URL')
    path = Path(location)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _cannot_write(path, e) from None
    return path


def _cannot_write(path, e):
    """The OSError e (its kind kept) as a sentence naming the path."""
    return type(e)(f'cannot write {path}: {e.strerror or e}')


def write_files(files):
    """Write {path: bytes} whole or not at all: each goes to a temporary file beside it, flushed to the disk, and all
    are renamed into place only once every one is written; an error (a full disk, a file size limit) leaves each
    existing file as it was and no temporary file behind."""
    temps = {}
    try:
        for path, data in files.items():
            path = Path(path)
            with _new_file_beside(path) as (temp, f):
                temps[temp] = path
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for temp, path in temps.items():
            os.replace(temp, path)
        # the renames reach the disk too, where the file system can sync a folder (not every one can)
        for folder in {path.parent for path in temps.values()}:
            with suppress(OSError):
                fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


@contextmanager
def _new_file_beside(path):
    """(path, file open for writing) of a new temporary file in path's folder, where os.replace onto path is atomic;
    any OSError names `path`."""
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, 'it is a folder')
        temp = path.with_name(f'.{path.name}.{secrets.token_hex(4)}.tmp')
        with open(temp, 'xb') as f:  # open(), not mkstemp: the file gets the usual permissions (0666 - umask)
            yield temp, f
    except OSError as e:
        raise _cannot_write(path, e) from None

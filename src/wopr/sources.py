"""Where knowledge comes from and goes to: local paths, http(s):// URLs and s3:// URLs."""
import http.client
import urllib.request
from pathlib import Path

from .runtime.knowledge import Knowledge, KnowledgeError, load

KNOWLEDGE_DIR = Path(__file__).parent / 'knowledge'
DEFAULT = KNOWLEDGE_DIR / 'default.safetensors'
MAX_BYTES = 64 * 1024 * 1024  # far above any knowledge file; stops a hostile URL from filling memory
TIMEOUT = 20


def read_bytes(location):
    """The bytes at a path or URL; KnowledgeError with a clear message when they cannot be had."""
    location = str(location)
    if location.startswith('s3://'):
        from . import s3  # boto3 is an extra: only s3:// needs it
        try:
            data = s3.read_object(location, MAX_BYTES)
        except (s3.S3Error, ValueError) as e:
            raise KnowledgeError(str(e)) from None
    elif location.startswith(('http://', 'https://')):
        try:
            with urllib.request.urlopen(location, timeout=TIMEOUT) as response:
                data = response.read(MAX_BYTES + 1)
        except (OSError, ValueError) as e:  # URLError is an OSError; a malformed URL a ValueError
            raise KnowledgeError(f'cannot fetch {location}: {getattr(e, "reason", e)}') from None
        except http.client.HTTPException as e:  # not an OSError: a port speaking another protocol, a cut answer
            raise KnowledgeError(f'cannot fetch {location}: broken HTTP answer ({type(e).__name__})') from None
    else:
        path = Path(location)
        if not path.is_file():
            raise KnowledgeError(f'no such file: {location}')
        if path.stat().st_size > MAX_BYTES:
            raise KnowledgeError(f'{location} is {path.stat().st_size} bytes: too large for a knowledge file')
        data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise KnowledgeError(f'{location} is over {MAX_BYTES} bytes: too large for a knowledge file')
    return data


def load_knowledge(location=None) -> Knowledge:
    """Read and validate knowledge from a path, http(s):// or s3:// URL (the shipped default when None);
    the 2018 original's Go gob files are converted on the way."""
    return load(read_bytes(location or DEFAULT))


def write_bytes(location, data):
    """Write bytes to a path (parents created) or an s3:// URL."""
    location = str(location)
    if location.startswith('s3://'):
        from . import s3
        return s3.write_object(location, data)
    if location.startswith(('http://', 'https://')):
        raise ValueError(f'cannot write to {location}: give a path or an s3:// URL')
    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)

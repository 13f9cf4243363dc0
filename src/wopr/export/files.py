"""Write output files whole or not at all: each goes to a temporary file beside it, then is renamed into place."""
import os
import secrets
from pathlib import Path


def write_files(files):
    """Write {path: bytes}; the renames happen only once every file is written, and an error leaves no temporary
    file behind (an existing file at a path stays as it was unless its own rename happened)."""
    temps = {}
    try:
        for path, data in files.items():
            path = Path(path)
            if path.is_dir():
                raise IsADirectoryError(f'cannot write {path}: it is a folder')
            temp = path.with_name(f'.{path.name}.{secrets.token_hex(4)}.tmp')  # same folder: os.replace is atomic
            try:
                with open(temp, 'xb') as f:  # open(), not mkstemp: the file gets the usual permissions (0666 - umask)
                    temps[temp] = path
                    f.write(data)
            except OSError as e:
                raise OSError(f'cannot write {path}: {e.strerror or e}') from None
        for temp, path in temps.items():
            os.replace(temp, path)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)

"""Other shapes of a knowledge file: an ONNX model for onnxruntime, and a Hugging Face model card."""
import os
from pathlib import Path


def out_file(location):
    """`location` as the path of a file to write, or one clear error: empty, a folder, or ending in a separator."""
    path = Path(location)
    if not str(location):
        raise ValueError('cannot write to an empty path')
    if not path.name or path.is_dir():
        raise ValueError(f'cannot write {location}: it is a folder')
    if str(location).endswith(('/', os.sep)):
        raise ValueError(f'cannot write {location}: a file name cannot end in {str(location)[-1]}')
    return path

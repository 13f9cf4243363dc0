"""Write knowledge as safetensors bytes (the layout knowledge.load reads) without numpy or torch."""
import json
import struct

PACK_FLOATS = 256  # floats per struct.pack call: MicroPython's call stack cannot take thousands of arguments


def to_json(value):
    """Compact JSON with sorted keys, built by hand: MicroPython's dicts keep no order, and both
    interpreters must write the very same bytes for the same knowledge."""
    if type(value) is dict:
        return '{' + ','.join(json.dumps(k) + ':' + to_json(value[k]) for k in sorted(value)) + '}'
    if type(value) is list:
        return '[' + ','.join(to_json(v) for v in value) + ']'
    return json.dumps(value)


def safetensors_bytes(tensors, shapes, metadata):
    """F32 tensors (name -> flat row-major floats, name -> shape) and string metadata as a safetensors file:
    u64 LE header length, the JSON header padded with spaces to a multiple of 8 as the reference does,
    then the raw little-endian data, tensors in name order."""
    header, chunks, at = {'__metadata__': metadata}, [], 0
    for name in sorted(tensors):
        values = tensors[name]
        for i in range(0, len(values), PACK_FLOATS):
            part = values[i:i + PACK_FLOATS]
            chunks.append(struct.pack(f'<{len(part)}f', *part))
        header[name] = {'dtype': 'F32', 'shape': shapes[name], 'data_offsets': [at, at + 4 * len(values)]}
        at += 4 * len(values)
    text = to_json(header).encode()
    text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(chunks)

"""Untrusted text (a knowledge file's strings, an error about them) as one line a person can read and a terminal
cannot act on."""
import re
import unicodedata

# Terminal escape sequences, removed whole: CSI (ESC [ or 0x9b) with its parameters and final byte; OSC, DCS, SOS, PM
# and APC (ESC ] P X ^ _ or their 8-bit forms) up to their terminator (BEL or ST) or the end; any other ESC pair.
ESCAPES = re.compile(r'(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?'
                     r'|(?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)'
                     r'|\x1b.?', re.DOTALL)


def clean(value, limit=None):
    """One line of printable text: no escape sequence; no control, format (bidi), surrogate, private-use or
    unassigned character; whitespace runs as one space; shortened to `limit` characters with an ellipsis."""
    text = ESCAPES.sub('', str(value))
    text = ' '.join(''.join(c for c in text if unicodedata.category(c)[0] != 'C' or c.isspace()).split())
    return text if limit is None or len(text) <= limit else text[:limit - 1] + '…'

"""Strict JSON, read alike in CPython and MicroPython whatever their json modules tolerate, and values shown alike."""
from .format import FLOAT64_MAX, MAX_DEPTH, MAX_DIGITS, KnowledgeError

# The grammar is RFC 8259's as safetensors' serde_json reads it: whitespace is space, tab, LF and CR only; no NaN or
# Infinity, no leading zeros, no raw control characters in strings, strict UTF-8, no lone UTF-16 surrogate. This
# reader adds its limits: MAX_DEPTH levels of nesting, no duplicate keys, MAX_DIGITS significant digits in a number
# with a fraction or exponent (MicroPython's float() rounds longer ones otherwise than CPython's).
SPACE = (0x20, 0x09, 0x0a, 0x0d)
ESCAPES = {0x22: b'"', 0x5c: b'\\', 0x2f: b'/', 0x62: b'\b', 0x66: b'\f', 0x6e: b'\n', 0x72: b'\r', 0x74: b'\t'}
HEX = b'0123456789abcdefABCDEF'
WORDS = {b'true': True, b'false': False, b'null': None}
NOT_NUMBERS = (b'NaN', b'Infinity', b'-Infinity')  # what Python's json writes for a float JSON has no number for
INF = float('inf')
BIGGEST = (2 ** 53 - 1) * 2 ** 971  # FLOAT64_MAX, exact (MicroPython compares a big int with a float loosely)


def parse(data, what, lone_surrogate=None):
    """The one JSON value that `data` (UTF-8 bytes) holds, built without recursion; otherwise a KnowledgeError naming
    `what` and the byte at fault. A lone surrogate escape is refused, or read as `lone_surrogate` when one is given.
    A number beyond float64 reads as an infinity, as a browser reads it."""
    n, stack = len(data), []  # the open containers, each as [list, None] or [object, its pending key]

    def fail(reason, at):
        raise KnowledgeError(f'{what} is not valid JSON: {reason} at byte {at}')

    def space(i):
        while i < n and data[i] in SPACE:
            i += 1
        return i

    def key(i, obj):  # a key, its colon and the space after it: (key, where its value starts)
        if i >= n or data[i] != 0x22:
            fail('expected a key in double quotes', i)
        name, j = _string(data, i + 1, fail, lone_surrogate)
        if name in obj:
            fail(f'duplicate key {shown(name)}', i)
        if j < n and data[j] != 0x3a:
            j = space(j)
        if j >= n or data[j] != 0x3a:
            fail("expected ':'", j)
        j += 1
        return name, space(j) if j < n and data[j] <= 0x20 else j

    i = space(0)
    while True:
        if i >= n:
            fail('the text ends where a value should be', i)
        c = data[i]
        if c == 0x7b or c == 0x5b:
            if len(stack) == MAX_DEPTH:
                fail(f'nesting deeper than {MAX_DEPTH} levels', i)
            i = space(i + 1)
            if i < n and data[i] == c + 2:  # '}' or ']': empty
                value, i = {} if c == 0x7b else [], i + 1
            elif c == 0x7b:
                obj = {}
                k, i = key(i, obj)
                stack.append([obj, k])
                continue
            else:
                stack.append([[], None])
                continue
        elif c == 0x22:
            value, i = _string(data, i + 1, fail, lone_surrogate)
        elif 0x30 <= c <= 0x39 or c == 0x2d and i + 1 < n and 0x30 <= data[i + 1] <= 0x39:
            value, i = _number(data, i, n, fail)
        else:
            value, i = _word(data, i, fail)
        while True:  # a value is complete: into its container, then past what follows it
            if i < n and data[i] <= 0x20:  # the space() call only where there is some: most JSON has none here
                i = space(i)
            if not stack:
                if i < n:
                    fail(f'unexpected {_byte(data[i])} after the value', i)
                return value
            top = stack[-1]
            container = top[0]
            if type(container) is list:
                container.append(value)
                closing = 0x5d
            else:
                container[top[1]] = value
                closing = 0x7d
            if i < n and data[i] == 0x2c:
                i = space(i + 1)
                if closing == 0x7d:
                    top[1], i = key(i, container)
                break
            if i < n and data[i] == closing:
                value, i = stack.pop()[0], i + 1
                continue
            fail(f"expected ',' or '{chr(closing)}'", i)


def _word(data, i, fail):
    """true, false or null at data[i]: (value, index after it); else what is wrong there."""
    for word in WORDS:
        if data.startswith(word, i):
            return WORDS[word], i + len(word)
    for word in NOT_NUMBERS:
        if data.startswith(word, i):
            fail(f'{word.decode()} is not a JSON number', i)
    fail('a minus sign without digits' if data[i] == 0x2d else f'unexpected {_byte(data[i])}', i)


def _byte(c):
    return f"'{chr(c)}'" if 0x20 < c < 0x7f else f'byte 0x{c:02x}'


def _string(data, i, fail, lone_surrogate):
    """The string whose text starts at data[i]: (str, index after its closing quote). Linear in its length: the raw
    text is checked once, the escapes replaced piece by piece."""
    start, end = i, data.find(b'"', i)
    if end >= 0 and data.find(b'\\', i, end) < 0:  # most strings: no escape
        return _raw(data, i, end, fail).decode(), end + 1
    parts = []
    while True:
        if end < 0:
            fail('a string is not closed', start - 1)
        slash = data.find(b'\\', i, end)
        if slash < 0:
            _raw(data, start, end, fail)
            parts.append(data[i:end])
            return b''.join(parts).decode(), end + 1
        parts.append(data[i:slash])
        c = data[slash + 1] if slash + 1 < len(data) else -1
        if c in ESCAPES:
            parts.append(ESCAPES[c])
            i = slash + 2
        elif c == 0x75:
            code, i = _hex(data, slash, fail)
            if 0xd800 <= code < 0xdc00 and data[i:i + 2] == b'\\u':
                low, after = _hex(data, i, fail)
                if 0xdc00 <= low < 0xe000:
                    code, i = 0x10000 + (code - 0xd800) * 1024 + low - 0xdc00, after
            if 0xd800 <= code < 0xe000:
                if lone_surrogate is None:
                    fail(f'a lone UTF-16 surrogate \\u{code:04x}', slash)
                parts.append(lone_surrogate.encode())
            else:
                parts.append(chr(code).encode())
        else:
            fail('an invalid escape', slash)
        if i > end:  # the escape was \": the string goes on
            end = data.find(b'"', i)


def _hex(data, at, fail):
    """The code of the \\uXXXX escape at data[at]: (code, index after it)."""
    digits = data[at + 2:at + 6]
    if len(digits) < 4 or any(d not in HEX for d in digits):
        fail('an invalid \\u escape', at)
    return int(digits.decode(), 16), at + 6


def _raw(data, i, j, fail):
    """data[i:j], raw string text: no control character, valid UTF-8 (checked byte by byte only where not ASCII)."""
    chunk = data[i:j]
    if not chunk:
        return chunk
    if min(chunk) < 0x20:
        at = i
        while data[at] >= 0x20:
            at += 1
        fail(f'a raw control character ({_byte(data[at])}) in a string', at)
    if max(chunk) >= 0x80:
        at = _utf8_fault(chunk)
        if at >= 0:
            fail('invalid UTF-8', i + at)
    return chunk


def _utf8_fault(chunk):
    """The index of the first byte of chunk that is not valid UTF-8 (overlong forms and surrogates included), or -1."""
    k, n = 0, len(chunk)
    while k < n:
        c = chunk[k]
        if c < 0x80:
            k += 1
            continue
        if 0xc2 <= c <= 0xdf:
            more, low, high = 1, 0x80, 0xbf
        elif 0xe0 <= c <= 0xef:
            more, low, high = 2, 0xa0 if c == 0xe0 else 0x80, 0x9f if c == 0xed else 0xbf
        elif 0xf0 <= c <= 0xf4:
            more, low, high = 3, 0x90 if c == 0xf0 else 0x80, 0x8f if c == 0xf4 else 0xbf
        else:
            return k
        if k + more >= n or not low <= chunk[k + 1] <= high:
            return k
        for t in range(k + 2, k + more + 1):
            if not 0x80 <= chunk[t] <= 0xbf:
                return k
        k += more + 1
    return -1


def _number(data, i, n, fail):
    """The number at data[i]: (value, index after it). An integer is an int (but -0, a float as serde_json reads it);
    one with a fraction or an exponent a float."""
    start = i
    if data[i] == 0x2d:
        i += 1
    first = i
    while i < n and 0x30 <= data[i] <= 0x39:
        i += 1
    if data[first] == 0x30 and i > first + 1:
        fail('a number with a leading zero', start)
    whole = i
    if i < n and data[i] == 0x2e:
        i += 1
        if i >= n or not 0x30 <= data[i] <= 0x39:
            fail('a decimal point without digits after it', i)
        while i < n and 0x30 <= data[i] <= 0x39:
            i += 1
    mantissa = i
    if i < n and data[i] in (0x65, 0x45):
        i += 1
        if i < n and data[i] in (0x2b, 0x2d):
            i += 1
        if i >= n or not 0x30 <= data[i] <= 0x39:
            fail('an exponent without digits', i)
        while i < n and 0x30 <= data[i] <= 0x39:
            i += 1
    token = data[start:i]  # int() and float() read bytes: no str made
    if i == whole:  # an integer: exact in both interpreters; more than 309 digits is beyond float64 for sure
        if token == b'-0':
            return -0.0, i
        value = int(token) if whole - first <= 309 else INF
        if value > BIGGEST or value < -BIGGEST:
            value = -INF if token[0] == 0x2d else INF
        return value, i
    if mantissa - first > MAX_DIGITS and len(data[first:mantissa].replace(b'.', b'').strip(b'0')) > MAX_DIGITS:
        fail(f'a number with more than {MAX_DIGITS} significant digits', start)
    return float(token), i


def shown(value, depth=0):
    """A JSON value as a person reads it in a message, the same text in both interpreters: Python's notation for
    strings, lists and objects (ASCII only, keys sorted, long ones cut short), numbers in plain digits."""
    t = type(value)
    if t is str:
        cut = len(value) > 60
        out = ''.join(c if ' ' <= c <= '~' and c not in "'\\" else _escape(c) for c in value[:60])
        return f"'{out}'" + ('...' if cut else '')
    if t is list or t is dict:
        if depth >= 2:
            return '[...]' if t is list else '{...}'
        items = [shown(v, depth + 1) for v in value[:8]] if t is list else [
            f'{shown(k, depth + 1)}: {shown(value[k], depth + 1)}' for k in sorted(value)[:8]]
        more = ', ...' if len(value) > 8 else ''
        return ('[' if t is list else '{') + ', '.join(items) + more + (']' if t is list else '}')
    if t is int and -10 ** 20 < value < 10 ** 20:
        return str(value)  # every u64 a shape or an offset may hold
    if t is float or t is int:
        return number(value)
    return repr(value)  # True, False, None


def _escape(c):
    o = ord(c)
    return ('\\' + c if c in "'\\" else f'\\x{o:02x}' if o < 0x100 else f'\\u{o:04x}' if o < 0x10000
            else f'\\U{o:08x}')


def number(v):
    """A number in digits both interpreters print alike (their repr of a float differs in the last digits): an integer
    below 10**15 whole, a float when it has at most six decimals; in words otherwise."""
    if type(v) is int:
        return str(v) if -10 ** 15 < v < 10 ** 15 else 'a very large number'
    if not -FLOAT64_MAX <= v <= FLOAT64_MAX:
        return 'a number beyond float64'
    if not -1e15 < v < 1e15:
        return 'a very large number'
    for places in range(7):  # one IEEE multiplication each: the same result in every interpreter
        scaled = v * 10 ** places
        if not -2 ** 53 < scaled < 2 ** 53:
            break
        if scaled == int(scaled):
            digits = str(abs(int(scaled)))
            digits = '0' * (places + 1 - len(digits)) + digits  # MicroPython's str has no rjust
            sign = '-' if str(v)[0] == '-' else ''
            return f'{sign}{digits[:len(digits) - places]}.{digits[len(digits) - places:] or "0"}'
    return 'a number with more than six decimals'

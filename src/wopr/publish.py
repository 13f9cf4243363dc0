"""`wopr publish`: a plan of what a site folder needs on S3, checked whole while only reading (names, keys, catalog,
bucket), then its execution in an order that never serves a broken page."""
import json
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from .bucket import bucket_region, check_name, create_bucket, make_public, set_cors, set_website
from .s3 import S3Error, errors, found, split_url
from .web.compress import decoded_sha256, encode, encoded_size, file_sha256
from .web.policy import STORED_ENCODING, cache_control, compressible, content_type, sibling_of, upload_order

WEBSITE_DASH_REGIONS = {'us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2',
                        'ap-northeast-1', 'sa-east-1', 'us-gov-west-1'}  # older regions spell it s3-website-REGION
WILDCARDS = '*?'  # in a bucket policy's Resource they match any key
# The characters of a site's keys: those a URL path carries as they are (RFC 3986's unreserved, less '~', which S3
# lists among the characters to avoid), so that a key, its URL and the page's relative links all read the same; a
# part starting with '.' is hidden, and a browser resolves '.' and '..' away
KEY_PART = re.compile('[A-Za-z0-9_-][A-Za-z0-9._-]*')
KEY_RULE = ("a site's keys are parts made of ASCII letters, digits, '.', '_' and '-' (none empty, none starting "
            "with '.') joined by '/', so that a URL names each one as it is")
MAX_KEY = 1024  # bytes: S3's limit (a URL-safe key is ASCII: one byte a character)
CATALOG = 'knowledge/index.json'
# why a folder's entry is left out; a hidden or linked folder is left out whole (listed once, with a '/')
HIDDEN, LINK, SPECIAL = 'hidden', 'link, not followed', 'not a regular file'
COPY = 'compressed copy: publish compresses the file itself'


@dataclass
class Upload:
    """One file of the site and the object it becomes: text and wasm stored gzip (S3 serves objects as stored), the
    sha256 of the file itself in the object's metadata."""
    rel: str
    key: str
    path: Path
    size: int
    sha256: str
    encoding: str = None  # STORED_ENCODING where it makes the object smaller
    skip: bool = False

    @property
    def headers(self):
        encoding = {'ContentEncoding': self.encoding} if self.encoding else {}
        return {'ContentType': content_type(self.rel), 'CacheControl': cache_control(self.rel, self.sha256), **encoding}

    def body(self):
        """The object's bytes as an open file, streamed from the file or its gzip made now (never the build's copy,
        which may be stale), and checked to decode to the file."""
        if not self.encoding:
            return open(self.path, 'rb')
        body = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115  the caller's with closes it
        with open(self.path, 'rb') as source:
            encode(self.encoding, source, body)
        body.seek(0)
        if decoded_sha256(self.encoding, body) != self.sha256:
            raise S3Error(f'{self.rel} changed while it was being published: publish again')
        body.seek(0)
        return body


@dataclass
class Change:
    """A change to the bucket: what it does in words, and the call that does it (given the client)."""
    option: str
    words: str
    call: object
    warning: bool = False


@dataclass
class Plan:
    """What a publish does: bucket changes (in words and as calls), then uploads in order; and what it leaves out."""
    bucket: str
    prefix: str
    region: str
    url: str
    uploads: list
    left_out: list  # (relative path, why) of each entry of the folder not uploaded
    changes: list = field(default_factory=list)  # Changes, made before the uploads
    notes: list = field(default_factory=list)

    @property
    def sent(self):
        return [u for u in self.uploads if not u.skip]


def shown(name):
    """A file's name as a terminal may print it: as it is, or (holding a control, format or other unprintable
    character) as a Python literal, escapes visible, so that it still names the file."""
    return name if name and name.isprintable() else repr(name)


def listed(names, most=5):
    more = f' and {len(names) - most} more' if len(names) > most else ''
    return ', '.join(map(shown, names[:most])) + more


def url_safe(key):
    return all(KEY_PART.fullmatch(part) for part in key.split('/'))


def publishable(site):
    """(files, left out): (relative path, path) of every file to publish: regular files only, none in or named by a
    hidden (dot) part, no symbolic link followed, so nothing outside the folder and no .git/.aws/.ssh secret leaves
    it, and no compressed copy of another file (the build's app.js.gz); and (relative path, why) of the rest."""
    site = Path(site)
    if not site.is_dir():
        raise ValueError(f'no such site folder: {site}')
    files, left_out = [], []

    def refuse(error):
        raise error  # an unreadable folder stops the plan: its files must not vanish from the site unsaid

    for folder, dirs, names in os.walk(site, onerror=refuse):  # os.walk does not follow links to folders
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            why = HIDDEN if name.startswith('.') else LINK if os.path.islink(here / name) else None
            if why:
                left_out.append(((here / name).relative_to(site).as_posix() + '/', why))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            rel, mode = (here / name).relative_to(site).as_posix(), os.lstat(here / name).st_mode
            why = (HIDDEN if name.startswith('.') else LINK if stat.S_ISLNK(mode) else
                   None if stat.S_ISREG(mode) else SPECIAL)
            if why:
                left_out.append((rel, why))
            else:
                files.append((rel, here / name))
    names = {rel for rel, _ in files}
    left_out += [(rel, COPY) for rel, _ in files if sibling_of(rel) in names]
    files = [(rel, path) for rel, path in files if sibling_of(rel) not in names]
    if not files:
        raise ValueError(f'nothing to publish: {site} holds no files')
    return files, left_out


def stored_encoding(rel, path):
    """Text and wasm are stored gzip, as S3 serves objects as stored and every browser takes gzip; not where gzip
    would make the object bigger (a few bytes of text)."""
    if compressible(rel) and encoded_size(STORED_ENCODING, path) < path.stat().st_size:
        return STORED_ENCODING
    return None


def validate_keys(uploads):
    """Refuse the plan when a file's key is not a URL-safe S3 key: nothing is sent that the site could not serve."""
    unsafe = [u.rel for u in uploads if not url_safe(u.rel)]
    if unsafe:
        raise ValueError(f'cannot publish {listed(unsafe)}: {KEY_RULE}; rename them')
    long = [u.key for u in uploads if len(u.key) > MAX_KEY]
    if long:
        raise ValueError(f'cannot publish {listed(long)}: an S3 key is at most {MAX_KEY} bytes')


def validate_catalog(uploads, left_out):
    """Refuse a catalog naming a file that this publish does not upload (the live page would list a dead network).
    The page finds an entry's file at its name taken relative to the catalog, so `knowledge/NAME` must be an upload
    exactly: no path out of the folder, no hidden, linked or compressed-copy file, no query or fragment."""
    catalog = next((u.path for u in uploads if u.rel == CATALOG), None)
    if catalog is None:
        return
    broken = ValueError(f'{catalog} is not a wopr catalog')
    try:
        files = [e['file'] for e in json.loads(catalog.read_text())['knowledge']]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise broken from None
    if not all(isinstance(f, str) for f in files):
        raise broken
    sent, why = {u.rel for u in uploads}, dict(left_out)
    missing = [f for f in files if f'knowledge/{f}' not in sent]
    if missing:
        named = ', '.join(shown(f) + (f' (left out: {why[f"knowledge/{f}"]})' if f'knowledge/{f}' in why else '')
                          for f in missing)
        raise ValueError(f'{catalog} names files the site lacks: {named}')


def target_of(target):
    """(bucket, prefix) of s3://BUCKET[/PREFIX], refused unless the bucket's name follows S3's rules and the prefix
    is a folder a URL can name."""
    bucket, prefix = split_url(target)
    prefix = prefix.rstrip('/')
    if any(c in WILDCARDS for c in bucket + prefix):
        raise ValueError(f'{target}: * and ? match any key in a bucket policy; name the prefix plainly')
    check_name(bucket)
    if prefix and not url_safe(prefix):
        raise ValueError(f"the prefix {prefix!r} cannot hold a site: {KEY_RULE}")
    return bucket, prefix


def plan(s3, site, target, create=False, website=False, public=False, cors_origins=()):
    """What publishing `site` to `target` (s3://BUCKET[/PREFIX]) needs, every name and the catalog checked; reads the
    bucket, changes nothing."""
    bucket, prefix = target_of(target)
    files, left_out = publishable(site)
    uploads = [Upload(rel, f'{prefix}/{rel}' if prefix else rel, path, path.stat().st_size, file_sha256(path),
                      stored_encoding(rel, path)) for rel, path in sorted(files, key=lambda f: upload_order(f[0]))]
    validate_keys(uploads)
    validate_catalog(uploads, left_out)
    changes, notes = [], []
    with errors(f's3://{bucket}'):
        region = bucket_region(s3, bucket)
        if region is None and not create:
            raise S3Error(f'no such bucket: {bucket} (add --create-bucket to create it)')
        if region is None:
            region = s3.meta.region_name or 'us-east-1'
            changes.append(Change('--create-bucket', f'create bucket {bucket} in {region}',
                                  lambda s3: create_bucket(s3, bucket, region)))
        else:
            mark_unchanged(s3, bucket, uploads)
    if public:
        readable = f's3://{bucket}/{prefix + "/" if prefix else ""}*'
        changes.append(Change('--public', f'turn off Block Public Access on bucket {bucket} and let anyone on the '
                              f'internet read {readable}', lambda s3: make_public(s3, bucket, prefix, region),
                              warning=True))
    if website:
        changes.append(Change('--website', f'serve index.html for folder URLs of bucket {bucket} (website hosting)',
                              lambda s3: set_website(s3, bucket)))
        if not public:
            notes.append('the website endpoint serves only public objects (add --public, or put CloudFront with '
                         'origin access control in front)')
    if cors_origins:
        origins = ', '.join(cors_origins)
        changes.append(Change('--cors-origin', f'let pages on {origins} fetch files of bucket {bucket}',
                              lambda s3: set_cors(s3, bucket, cors_origins)))
    url = site_url(s3.meta.endpoint_url, bucket, prefix, region, website)
    return Plan(bucket, prefix, region, url, uploads, left_out, changes, notes)


def mark_unchanged(s3, bucket, uploads):
    """Flag uploads whose object already has the same sha256 (of the file, not of its gzip), type, caching and
    encoding."""
    for u in uploads:
        head = found(s3.head_object, Bucket=bucket, Key=u.key) or {}
        u.skip = (head.get('Metadata', {}).get('sha256') == u.sha256 and head.get('ContentEncoding') == u.encoding
                  and all(head.get(k) == v for k, v in u.headers.items()))


def site_url(endpoint, bucket, prefix, region, website):
    """Where a browser finds the page: path-style on a custom endpoint, else the AWS website or REST endpoint."""
    folder = f'{prefix}/' if prefix else ''
    endpoint = endpoint.rstrip('/')
    if not (urlparse(endpoint).hostname or '').endswith(('amazonaws.com', 'amazonaws.com.cn')):
        return f'{endpoint}/{bucket}/{folder}index.html'
    if website:
        dot = '-' if region in WEBSITE_DASH_REGIONS else '.'
        return f'http://{bucket}.s3-website{dot}{region}.amazonaws.com/{folder}'
    return f'https://{bucket}.s3.{region}.amazonaws.com/{folder}index.html'


def execute(s3, plan, on_sent=lambda upload: None):
    """Make the bucket changes, then upload in plan order, calling `on_sent` after each upload; a failure or Ctrl-C
    midway says how far it got (a rerun skips what arrived, and the catalog and page go last, so the bucket keeps
    serving a whole site)."""
    with errors(f's3://{plan.bucket}'):
        for change in plan.changes:
            change.call(s3)
    todo, done = plan.sent, 0
    try:
        for u in todo:
            with errors(f's3://{plan.bucket}/{u.key}'), u.body() as body:  # streamed, not read whole
                s3.put_object(Bucket=plan.bucket, Key=u.key, Body=body, Metadata={'sha256': u.sha256}, **u.headers)
            done += 1
            on_sent(u)
    except (S3Error, KeyboardInterrupt) as e:
        raise S3Error(f'publish stopped after {done} of {len(todo)} uploads ({e or "interrupted"}); the catalog and '
                      'index.html go last, so the bucket still serves a whole site: rerun to finish') from None
    return plan


def publish(s3, site, target, **options):
    """Plan and execute (see `plan` for the options); returns the plan carried out."""
    return execute(s3, plan(s3, site, target, **options))


@contextmanager
def site_folder(site=None):
    """The folder to publish: `site`, or else the shipped site built now into a temporary folder (removed after)."""
    if site is not None:
        yield Path(site)
        return
    from .web.site import build
    with tempfile.TemporaryDirectory(prefix='wopr-site-') as tmp:
        build(Path(tmp) / 'site')
        yield Path(tmp) / 'site'

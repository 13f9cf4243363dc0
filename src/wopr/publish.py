"""`wopr publish`: plan what a site folder needs on S3 (reading only), then carry the plan out in an order that never
serves a broken page. `--dry-run` prints the plan."""
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .s3 import S3Error, client, errors, found, split_url
from .web.compress import decoded_sha256, encode, encoded_size, file_sha256
from .web.policy import STORED_ENCODING, cache_control, compressible, content_type, sibling_of, upload_order

WEBSITE_DASH_REGIONS = {'us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2',
                        'ap-northeast-1', 'sa-east-1', 'us-gov-west-1'}  # older regions spell it s3-website-REGION
WILDCARDS = '*?'  # in a bucket policy's Resource they match any key


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
    """What a publish does: bucket changes (in words and as calls), then uploads in order."""
    bucket: str
    prefix: str
    region: str
    url: str
    uploads: list
    changes: list = field(default_factory=list)  # Changes, made before the uploads
    notes: list = field(default_factory=list)

    @property
    def sent(self):
        return [u for u in self.uploads if not u.skip]


def site_files(site):
    """(relative path, path) of every file to publish: regular files only, none in or named by a hidden (dot) part,
    no symbolic link followed, so nothing outside the folder and no .git/.aws/.ssh secret leaves it; and no compressed
    copy of another file (the build's app.js.gz): publish stores that file compressed itself."""
    site = Path(site)
    if not site.is_dir():
        raise ValueError(f'no such site folder: {site}')
    files = []
    for folder, dirs, names in os.walk(site):  # os.walk does not follow links to folders
        dirs[:] = sorted(d for d in dirs if not d.startswith('.') and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(names):
            path = Path(folder, name)
            if not name.startswith('.') and stat.S_ISREG(os.lstat(path).st_mode):
                files.append((path.relative_to(site).as_posix(), path))
    names = {rel for rel, _ in files}
    files = [(rel, path) for rel, path in files if sibling_of(rel) not in names]
    if not files:
        raise ValueError(f'nothing to publish: {site} holds no files')
    return files


def stored_encoding(rel, path):
    """Text and wasm are stored gzip, as S3 serves objects as stored and every browser takes gzip; not where gzip
    would make the object bigger (a few bytes of text)."""
    if compressible(rel) and encoded_size(STORED_ENCODING, path) < path.stat().st_size:
        return STORED_ENCODING
    return None


def check_catalog(site):
    """Refuse a catalog naming a knowledge file the folder lacks: publishing it would break the page."""
    catalog = Path(site) / 'knowledge' / 'index.json'
    if not catalog.is_file():
        return
    try:
        entries = json.loads(catalog.read_text())['knowledge']
        missing = [e['file'] for e in entries if not (catalog.parent / e['file']).is_file()]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise ValueError(f'{catalog} is not a wopr catalog') from None
    if missing:
        raise ValueError(f'{catalog} names files the site lacks: {", ".join(missing)}')


def target_of(target):
    bucket, prefix = split_url(target)
    prefix = prefix.rstrip('/')
    if any(c in WILDCARDS for c in bucket + prefix):
        raise ValueError(f'{target}: * and ? match any key in a bucket policy; name the prefix plainly')
    return bucket, prefix


def plan(s3, site, target, create=False, website=False, public=False, cors_origins=()):
    """What publishing `site` to `target` (s3://BUCKET[/PREFIX]) needs; reads the bucket, changes nothing."""
    bucket, prefix = target_of(target)
    files = site_files(site)
    check_catalog(site)
    uploads = [Upload(rel, f'{prefix}/{rel}' if prefix else rel, path, path.stat().st_size, file_sha256(path),
                      stored_encoding(rel, path)) for rel, path in sorted(files, key=lambda f: upload_order(f[0]))]
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
    return Plan(bucket, prefix, region, url, uploads, changes, notes)


def mark_unchanged(s3, bucket, uploads):
    """Flag uploads whose object already has the same sha256 (of the file, not of its gzip), type, caching and
    encoding."""
    for u in uploads:
        head = found(s3.head_object, Bucket=bucket, Key=u.key) or {}
        u.skip = (head.get('Metadata', {}).get('sha256') == u.sha256 and head.get('ContentEncoding') == u.encoding
                  and all(head.get(k) == v for k, v in u.headers.items()))


def bucket_region(s3, bucket):
    """The bucket's region, or None when it does not exist."""
    response = found(s3.head_bucket, Bucket=bucket)
    return response and (response.get('BucketRegion') or s3.meta.region_name or 'us-east-1')


def create_bucket(s3, bucket, region):
    extra = {} if region == 'us-east-1' else {'CreateBucketConfiguration': {'LocationConstraint': region}}
    s3.create_bucket(Bucket=bucket, **extra)


def make_public(s3, bucket, prefix, region):
    """Turn off Block Public Access and let anyone GetObject under the prefix (other policy statements kept)."""
    partition = 'aws-cn' if region.startswith('cn-') else 'aws-us-gov' if region.startswith('us-gov-') else 'aws'
    sid = 'WoprPublicRead' + hashlib.sha256(prefix.encode()).hexdigest()[:12]
    statement = {'Sid': sid, 'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
                 'Resource': f'arn:{partition}:s3:::{bucket}/{prefix + "/" if prefix else ""}*'}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        'BlockPublicAcls': False, 'IgnorePublicAcls': False, 'BlockPublicPolicy': False,
        'RestrictPublicBuckets': False})
    current = found(s3.get_bucket_policy, Bucket=bucket)
    policy = json.loads(current['Policy']) if current else {'Version': '2012-10-17', 'Statement': []}
    policy['Statement'] = [s for s in policy.get('Statement', []) if s.get('Sid') != sid] + [statement]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def set_website(s3, bucket):
    """Serve index.html for folder URLs on the website endpoint (an existing error page or routing kept)."""
    config = found(s3.get_bucket_website, Bucket=bucket) or {}
    config = {k: v for k, v in config.items() if k in ('ErrorDocument', 'RoutingRules')}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={**config, 'IndexDocument': {'Suffix': 'index.html'}})


def set_cors(s3, bucket, origins):
    """Let pages on `origins` GET/HEAD objects; our rule has ID 'wopr', other rules are kept."""
    rules = (found(s3.get_bucket_cors, Bucket=bucket) or {}).get('CORSRules', [])
    rule = {'ID': 'wopr', 'AllowedOrigins': list(origins), 'AllowedMethods': ['GET', 'HEAD'],
            'AllowedHeaders': ['*'], 'ExposeHeaders': ['ETag', 'Content-Length'], 'MaxAgeSeconds': 3600}
    rules = [r for r in rules if r.get('ID') != 'wopr'] + [rule]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={'CORSRules': rules})


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


def execute(s3, plan, console=None):
    """Make the bucket changes, then upload in plan order; a failure or Ctrl-C midway says how far it got (a rerun
    skips what arrived, and the catalog and page go last, so the bucket keeps serving a whole site)."""
    with errors(f's3://{plan.bucket}'):
        for change in plan.changes:
            change.call(s3)
    todo, done = plan.sent, 0
    try:
        with Progress(TextColumn('{task.description}'), BarColumn(), DownloadColumn(), transient=True,
                      console=console or Console(stderr=True)) as progress:
            task = progress.add_task('uploading', total=sum(u.size for u in todo))
            for u in todo:
                progress.update(task, description=escape(u.rel))
                with errors(f's3://{plan.bucket}/{u.key}'), u.body() as body:  # streamed, not read whole
                    s3.put_object(Bucket=plan.bucket, Key=u.key, Body=body, Metadata={'sha256': u.sha256},
                                  **u.headers)
                done += 1
                progress.advance(task, u.size)
    except (S3Error, KeyboardInterrupt) as e:
        raise S3Error(f'publish stopped after {done} of {len(todo)} uploads ({e or "interrupted"}); the catalog and '
                      'index.html go last, so the bucket still serves a whole site: rerun to finish') from None
    return plan


def publish(s3, site, target, **options):
    """Plan and execute (see `plan` for the options); returns the plan carried out."""
    return execute(s3, plan(s3, site, target, **options))


def show_changes(plan, console, dry_run):
    """The bucket changes of the plan, said before they are made."""
    would = 'would ' if dry_run else ''
    for change in plan.changes:
        warning = '[bold yellow]warning:[/] ' if change.warning else ''
        console.print(f'{warning}{change.option}: {would}{escape(change.words)}', highlight=False)
    for note in plan.notes:
        console.print(f'note: {note}', highlight=False)


def show_uploads(plan, console, dry_run):
    """The uploads (a table in a dry run), a summary, and the site's URL."""
    if dry_run:
        table = Table('file', 'bytes', 'action', 'Content-Type', 'Cache-Control', title='dry run: nothing uploaded',
                      box=None)
        for u in plan.uploads:
            action = 'skip' if u.skip else f'upload {u.encoding}' if u.encoding else 'upload'
            table.add_row(escape(u.rel), f'{u.size:,}', action, u.headers['ContentType'].split(';')[0],
                          u.headers['CacheControl'])
        console.print(table)
    sent = plan.sent
    console.print(f'{"would upload" if dry_run else "uploaded"} [bold]{len(sent)}[/] files '
                  f'({sum(u.size for u in sent):,} bytes before compression), skipped '
                  f'[bold]{len(plan.uploads) - len(sent)}[/] unchanged')
    console.print('site:', Text(plan.url, style=Style(link=plan.url)))  # Text: a prefix may hold brackets


def run(target, site=None, endpoint_url=None, region=None, profile=None, console=None, dry_run=False, **options):
    """The `wopr publish` command: connect, build the site into a temporary folder unless given one, plan, then
    execute unless it is a dry run."""
    console = console or Console()
    s3 = client(endpoint_url, region, profile)
    with tempfile.TemporaryDirectory(prefix='wopr-site-') as tmp:
        if site is None:
            from .web.site import build
            site = Path(tmp) / 'site'
            build(site)
        todo = plan(s3, site, target, **options)
        show_changes(todo, console, dry_run)
        if not dry_run:
            execute(s3, todo, console)
        show_uploads(todo, console, dry_run)
    return todo

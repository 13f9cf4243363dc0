"""`wopr publish`: upload the static site to an S3 bucket in an order that never serves a broken page."""
import json
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

from .runtime.knowledge import sha256_hex
from .s3 import LAST, S3Error, cache_control, client, content_type, errors, put, split_url

WEBSITE_DASH_REGIONS = {'us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2',
                        'ap-northeast-1', 'sa-east-1', 'us-gov-west-1'}  # older regions spell it s3-website-REGION


@dataclass
class Upload:
    """One file of the site and the object it becomes; its bytes are read once, so its sha256 is theirs."""
    rel: str
    key: str
    data: bytes = field(repr=False)
    sha256: str
    skip: bool = False

    @property
    def size(self):
        return len(self.data)


def plan(site, prefix):
    """Every file under `site` as an Upload, in upload order: the catalog, then index.html, last."""
    site = Path(site)
    if not site.is_dir():
        raise ValueError(f'no such site folder: {site}')
    files = [p for p in sorted(site.rglob('*')) if p.is_file() and not p.name.startswith('.')]
    if not files:
        raise ValueError(f'nothing to publish: {site} is empty')
    uploads = []
    for path in files:
        rel = path.relative_to(site).as_posix()
        data = path.read_bytes()
        uploads.append(Upload(rel, f'{prefix}/{rel}' if prefix else rel, data, sha256_hex(data)))
    check_catalog(site)
    return sorted(uploads, key=lambda u: LAST.index(u.rel) if u.rel in LAST else -1)


def check_catalog(site):
    """Refuse a catalog naming a knowledge file the folder lacks: publishing it would break the page."""
    catalog = site / 'knowledge' / 'index.json'
    if not catalog.is_file():
        return
    try:
        entries = json.loads(catalog.read_text())['knowledge']
        missing = [e['file'] for e in entries if not (site / 'knowledge' / e['file']).is_file()]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f'{catalog} is not a wopr catalog') from None
    if missing:
        raise ValueError(f'{catalog} names files the site lacks: {", ".join(missing)}')


def found(call, **params):
    """The response of a HEAD or GET call, or None on a 404: no such bucket, object or bucket configuration."""
    from botocore.exceptions import ClientError
    try:
        return call(**params)
    except ClientError as e:
        if e.response.get('ResponseMetadata', {}).get('HTTPStatusCode') == 404:
            return None
        raise


def mark_unchanged(s3, bucket, uploads):
    """Flag uploads whose object already has the same sha256, type and caching."""
    for u in uploads:
        head = found(s3.head_object, Bucket=bucket, Key=u.key) or {}
        u.skip = (head.get('Metadata', {}).get('sha256') == u.sha256
                  and head.get('ContentType') == content_type(u.rel)
                  and head.get('CacheControl') == cache_control(u.rel, u.sha256))


def bucket_region(s3, bucket):
    """The bucket's region, or None when it does not exist."""
    response = found(s3.head_bucket, Bucket=bucket)
    return response and (response.get('BucketRegion') or s3.meta.region_name or 'us-east-1')


def create_bucket(s3, bucket):
    region = s3.meta.region_name or 'us-east-1'
    extra = {} if region == 'us-east-1' else {'CreateBucketConfiguration': {'LocationConstraint': region}}
    s3.create_bucket(Bucket=bucket, **extra)
    return region


def make_public(s3, bucket, prefix, region):
    """Turn off Block Public Access and let anyone GetObject under the prefix (other policy statements kept)."""
    partition = 'aws-cn' if region.startswith('cn-') else 'aws-us-gov' if region.startswith('us-gov-') else 'aws'
    sid = 'WoprPublicRead' + sha256_hex(prefix.encode())[:12]
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


@dataclass
class Report:
    url: str
    uploads: list
    dry_run: bool

    @property
    def sent(self):
        return [u for u in self.uploads if not u.skip]


def publish(s3, site, target, create=False, website=False, public=False, cors_origins=(), dry_run=False,
            console=None):
    """Publish the folder `site` to `target` (s3://BUCKET[/PREFIX]) through the client `s3`; returns a Report."""
    console = console or Console(stderr=True)
    bucket, prefix = split_url(target)
    prefix = prefix.rstrip('/')
    uploads = plan(site, prefix)
    would = 'would ' if dry_run else ''
    with errors(f's3://{bucket}'):
        region = bucket_region(s3, bucket)
        if region is None and not create:
            raise S3Error(f'no such bucket: {bucket} (add --create-bucket to create it)')
        if region is None:
            console.print(f'{would}create bucket {bucket}')
            region = (s3.meta.region_name or 'us-east-1') if dry_run else create_bucket(s3, bucket)
        else:
            mark_unchanged(s3, bucket, uploads)
        if public:
            turns, lets = ('would turn', 'let') if dry_run else ('turns', 'lets')
            readable = escape(f's3://{bucket}/{prefix + "/" if prefix else ""}*')  # a prefix may hold brackets
            console.print(f'[bold yellow]warning:[/] --public {turns} off Block Public Access on bucket {bucket} '
                          f'and {lets} anyone on the internet read {readable}', highlight=False)
        if website and not public:
            console.print('note: the website endpoint serves only public objects (add --public, or put CloudFront '
                          'with origin access control in front)', highlight=False)
        if not dry_run:
            if public:
                make_public(s3, bucket, prefix, region)
            if website:
                set_website(s3, bucket)
            if cors_origins:
                set_cors(s3, bucket, cors_origins)
    if not dry_run:
        upload(s3, bucket, [u for u in uploads if not u.skip], console)
    return Report(site_url(s3.meta.endpoint_url, bucket, prefix, region, website), uploads, dry_run)


def upload(s3, bucket, todo, console):
    """Upload in plan order; a failure or Ctrl-C midway says how far it got (a rerun skips what arrived)."""
    done = 0
    try:
        with Progress(TextColumn('{task.description}'), BarColumn(), DownloadColumn(), console=console,
                      transient=True) as progress:
            task = progress.add_task('uploading', total=sum(u.size for u in todo))
            for u in todo:
                progress.update(task, description=escape(u.rel))
                with errors(f's3://{bucket}/{u.key}'):
                    put(s3, bucket, u.key, u.rel, u.data, u.sha256)
                done += 1
                progress.advance(task, u.size)
    except (S3Error, KeyboardInterrupt) as e:
        raise S3Error(f'publish stopped after {done} of {len(todo)} uploads ({e or "interrupted"}); the catalog and '
                      'index.html go last, so the bucket still serves a whole site: rerun to finish') from None


def show(report, console):
    """The plan (dry run) or the summary, and the site's URL."""
    if report.dry_run:
        table = Table('file', 'bytes', 'action', 'Content-Type', 'Cache-Control', title='dry run: nothing uploaded',
                      box=None)
        for u in report.uploads:
            table.add_row(escape(u.rel), f'{u.size:,}', 'skip' if u.skip else 'upload', content_type(u.rel).split(';')[0],
                          cache_control(u.rel, u.sha256))
        console.print(table)
    sent = report.sent
    verb = 'would upload' if report.dry_run else 'uploaded'
    console.print(f'{verb} [bold]{len(sent)}[/] files ({sum(u.size for u in sent):,} bytes), '
                  f'skipped [bold]{len(report.uploads) - len(sent)}[/] unchanged')
    console.print('site:', Text(report.url, style=Style(link=report.url)))  # Text: a prefix may hold brackets


def run(target, site=None, endpoint_url=None, region=None, profile=None, console=None, **options):
    """The `wopr publish` command: connect, build the site into a temporary folder unless given one, publish."""
    console = console or Console()
    s3 = client(endpoint_url, region, profile)
    if site is not None:
        report = publish(s3, site, target, console=console, **options)
    else:
        from .web.site import build
        with tempfile.TemporaryDirectory(prefix='wopr-site-') as tmp:
            build(tmp)
            report = publish(s3, tmp, target, console=console, **options)
    show(report, console)
    return report

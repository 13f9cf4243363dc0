"""`wopr publish` against a real S3 endpoint (moto's server over HTTP): types, caching, skips, order, CORS, errors."""
import gzip
import hashlib
import json
import os
import re
import shutil
import time
import unicodedata

import pytest

from tests.support.commands import cli, one_error_line, one_line
from tests.support.knowledge_files import make_knowledge
from tests.support.s3_endpoint import Endpoint
from wopr import publish as publisher
from wopr.s3 import S3Error
from wopr.web.site import build

# The contract, written out independently of wopr.s3's table: every file the site builder writes must be here.
TYPES = {'.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
         '.json': 'application/json', '.py': 'text/plain', '.wasm': 'application/wasm',
         '.safetensors': 'application/octet-stream', '.bundle': 'application/octet-stream', '.svg': 'image/svg+xml',
         '.png': 'image/png', '.webmanifest': 'application/manifest+json'}
FRESH = {'index.html', 'knowledge/index.json', 'sw.js'}
STORED_RAW = ('.safetensors', '.png')  # what gains little from gzip, and knowledge any client reads as it is
CONTENT_ADDRESSED = re.compile(r'knowledge/[a-z0-9-]+-[0-9a-f]{16}\.safetensors')  # the site builder's names


def caching(rel):
    if rel in FRESH:
        return 'no-cache'
    return 'public, max-age=31536000, immutable' if CONTENT_ADDRESSED.fullmatch(rel) else 'public, max-age=300'


def catalog_files(site):
    return [e['file'] for e in json.loads((site / 'knowledge' / 'index.json').read_text())['knowledge']]


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """A real site build with two small knowledge files."""
    root = tmp_path_factory.mktemp('site')
    files = [make_knowledge(root, hidden=8, seed=s, name=f'k{s}.safetensors') for s in (1, 2)]
    build(root / 'site', files)
    return root / 'site'


def local_files(site):
    """The files a publish sends: not the marker, nor the build's compressed copies (publish compresses itself)."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob('*')
            if p.is_file() and not p.name.startswith('.') and not p.name.endswith(('.gz', '.br'))}


def puts(client):
    """The keys of every PutObject the client sends, in order (a botocore event hook, no stand-in)."""
    sent = []
    client.meta.events.register('before-send.s3.PutObject', lambda request, **_: sent.append(request.url))
    return sent


def test_every_object_has_its_type_caching_and_bytes(endpoint, site):
    result = cli('publish', 's3://site-bk/game', '--site', site, '--endpoint-url', endpoint.url, '--create-bucket')
    assert result.exit_code == 0, result.output
    files = local_files(site)
    assert f'uploaded {len(files)} files' in result.output
    assert f'{endpoint.url}/site-bk/game/index.html' in result.output
    s3 = endpoint.client()
    for rel, data in files.items():
        suffix = rel[rel.rfind('.'):]
        head = s3.head_object(Bucket='site-bk', Key=f'game/{rel}')
        assert head['ContentType'].split(';')[0] == TYPES[suffix], rel
        assert head['CacheControl'] == caching(rel), rel
        assert head['Metadata']['sha256'] == hashlib.sha256(data).hexdigest()  # of the file, not of its gzip
        stored = s3.get_object(Bucket='site-bk', Key=f'game/{rel}')['Body'].read()
        if rel.endswith(STORED_RAW):
            assert 'ContentEncoding' not in head and stored == data, rel
        else:
            assert head['ContentEncoding'] == 'gzip' and gzip.decompress(stored) == data, rel
    # what a browser, or a client that asks for no encoding, gets over plain HTTP once the bucket is public
    public = cli('publish', 's3://site-bk/game', '--site', site, '--endpoint-url', endpoint.url, '--public')
    assert public.exit_code == 0 and 'uploaded 0 files' in public.output
    for rel in ('micropython.wasm', 'index.html'):
        status, headers, body = endpoint.http(f'/site-bk/game/{rel}')
        assert (status, headers['Content-Type'].split(';')[0], headers['Content-Encoding']) == (
            200, TYPES[rel[rel.rfind('.'):]], 'gzip')
        assert gzip.decompress(body) == files[rel]


def test_without_site_it_builds_the_shipped_site(endpoint):
    result = cli('publish', 's3://built-bk', '--endpoint-url', endpoint.url, '--create-bucket')
    assert result.exit_code == 0, result.output
    keys = {o['Key'] for o in endpoint.client().list_objects_v2(Bucket='built-bk')['Contents']}
    assert {'index.html', 'micropython.wasm', 'knowledge/index.json'} <= keys
    assert any(re.fullmatch(r'knowledge/default-[0-9a-f]{16}\.safetensors', key) for key in keys)


def test_second_publish_skips_what_did_not_change(endpoint, site, tmp_path):
    s3 = endpoint.client()
    publisher.publish(s3, site, 's3://skip-bk/a', create=True)
    sent = puts(s3)
    report = publisher.publish(s3, site, 's3://skip-bk/a')
    assert sent == [] and report.sent == [] and len(report.uploads) == len(local_files(site))
    # one changed file is the only upload
    changed = tmp_path / 'site'
    changed.mkdir()
    for rel, data in local_files(site).items():
        (changed / rel).parent.mkdir(parents=True, exist_ok=True)
        (changed / rel).write_bytes(data + b'\n// changed' if rel == 'app.js' else data)
    publisher.publish(s3, changed, 's3://skip-bk/a')
    assert [url.rsplit('/skip-bk/', 1)[1] for url in sent] == ['a/app.js']


def test_catalog_then_page_go_last(endpoint, site):
    s3 = endpoint.client()
    sent = puts(s3)
    publisher.publish(s3, site, 's3://order-bk', create=True)
    keys = [url.rsplit('/order-bk/', 1)[1] for url in sent]
    assert keys[-3:] == ['knowledge/index.json', 'index.html', 'sw.js']
    assert sorted(keys) == sorted(local_files(site))


def test_dry_run_changes_nothing(endpoint, site):
    result = cli('publish', 's3://dry-bk', '--site', site, '--endpoint-url', endpoint.url, '--create-bucket',
                 '--public', '--website', '--cors-origin', 'http://a.example', '--dry-run')
    assert result.exit_code == 0, result.output
    assert 'would create bucket dry-bk' in result.output and 'dry run: nothing uploaded' in result.output
    assert f'would upload {len(local_files(site))} files' in result.output
    assert 'dry-bk' not in [b['Name'] for b in endpoint.client().list_buckets()['Buckets']]
    # on an existing bucket: the plan says what is new, and still nothing is sent
    s3 = endpoint.client()
    publisher.publish(s3, site, 's3://dry-bk', create=True)
    (site / 'extra.txt').write_text('new')
    try:
        sent = puts(s3)
        report = publisher.plan(s3, site, 's3://dry-bk', public=True, cors_origins=['http://a.example'])
    finally:
        (site / 'extra.txt').unlink()
    assert [u.rel for u in report.sent] == ['extra.txt'] and sent == []
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_cors(Bucket='dry-bk')
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_policy(Bucket='dry-bk')


def test_markup_in_the_prefix_or_a_file_name_is_refused_as_written(endpoint, site, tmp_path):
    """Prefixes and file names are the user's: rich must not read them as markup (a stray [/] raised MarkupError);
    brackets are not URL-safe, so the error line quotes them as written, and nothing is sent."""
    odd = tmp_path / 'odd'
    shutil.copytree(site, odd)
    base = ('--site', odd, '--endpoint-url', endpoint.url, '--create-bucket', '--public')
    line = one_error_line(cli('publish', 's3://odd-bk/a[/b]', *base))
    assert "the prefix 'a[/b]' cannot hold a site" in line
    (odd / 'notes [bold].txt').write_text('x')  # markup rich would swallow
    assert 'cannot publish notes [bold].txt:' in one_error_line(cli('publish', 's3://odd-bk/a', *base, '--dry-run'))
    assert 'odd-bk' not in [b['Name'] for b in endpoint.client().list_buckets()['Buckets']]


def test_what_is_left_out_is_listed_with_why(endpoint, site, tmp_path):
    """A publish names each entry of the folder it does not send (a hidden or linked folder once), grouped by why;
    the build's compressed copies among them."""
    folder = tmp_path / 'folder'
    shutil.copytree(site, folder)
    (folder / '.env').write_text('TOKEN=x')
    (folder / '.git').mkdir()
    (folder / '.git' / 'config').write_text('x')
    os.symlink(folder / 'app.js', folder / 'again.js')
    os.symlink(folder / 'knowledge', folder / 'linked')
    os.mkfifo(folder / 'pipe.js')
    copies = sorted(p.relative_to(folder).as_posix() for p in folder.rglob('*.[bg][rz]'))
    for args in (('--dry-run',), ()):
        result = cli('publish', 's3://left-bk', '--site', folder, '--endpoint-url', endpoint.url, '--create-bucket',
                     *args)
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines() if line.startswith('left out')]
        assert lines == [
            'left out (compressed copy: publish compresses the file itself): ' + ', '.join(copies),
            'left out (hidden): .env, .git/, .wopr-site',  # .wopr-site: the build's marker
            'left out (link, not followed): again.js, linked/', 'left out (not a regular file): pipe.js'], result.output
    stored = {o['Key'] for o in endpoint.client().list_objects_v2(Bucket='left-bk')['Contents']}
    assert stored == set(local_files(site)) and not stored & {'again.js', 'pipe.js', *copies}


def test_dry_run_table_keeps_names_whole_and_escapes_odd_ones(endpoint, site, tmp_path, monkeypatch):
    """The table prints a long key whole rather than cutting it at 80 columns; a name holding an escape sequence or a
    line break is shown with its escapes visible (never sent raw to the terminal), whether left out or refused."""
    monkeypatch.setenv('COLUMNS', '80')
    folder = tmp_path / 'folder'
    shutil.copytree(site, folder)
    long = 'a-very-long-file-name-' * 6 + 'end.txt'
    (folder / long).write_text('x')
    (folder / '.\x1b[2J\x1b]0;owned\x07hidden').write_text('x')
    result = cli('publish', 's3://table-bk', '--site', folder, '--endpoint-url', endpoint.url, '--create-bucket',
                 '--dry-run')
    assert result.exit_code == 0, result.output
    assert re.search(f'\\n {long} +1 +upload +text/plain +public, max-age=300 *\\n', result.output)
    assert '…' not in result.output
    assert "left out (hidden): '.\\x1b[2J\\x1b]0;owned\\x07hidden'" in result.output
    (folder / 'new\nline\x1b[31m.js').write_text('x')
    line = one_error_line(cli('publish', 's3://table-bk', '--site', folder, '--endpoint-url', endpoint.url,
                              '--create-bucket', '--dry-run'))
    assert "cannot publish 'new\\nline\\x1b[31m.js':" in line
    for output in (result.output, line):
        assert not any(unicodedata.category(c) == 'Cc' for c in output.replace('\n', '')), output


def test_public_website_and_cors(endpoint, site):
    allowed, other = 'http://allowed.example', 'http://other.example'
    result = cli('publish', 's3://cors-bk/game', '--site', site, '--endpoint-url', endpoint.url, '--create-bucket',
                 '--public', '--website', '--cors-origin', allowed, '--cors-origin', 'http://also.example')
    assert result.exit_code == 0, result.output
    assert 'warning: --public' in result.output and 'anyone' in result.output
    s3 = endpoint.client()
    assert not any(s3.get_public_access_block(Bucket='cors-bk')['PublicAccessBlockConfiguration'].values())
    assert s3.get_bucket_website(Bucket='cors-bk')['IndexDocument'] == {'Suffix': 'index.html'}
    # anyone may read the prefix, and only the prefix
    s3.put_object(Bucket='cors-bk', Key='private/secret.txt', Body=b'x')
    assert endpoint.http('/cors-bk/game/index.html')[0] == 200
    assert endpoint.http('/cors-bk/private/secret.txt')[0] == 403
    # a GET from the allowed origin is answered for it; another origin gets no CORS header
    key = f'/cors-bk/game/knowledge/{catalog_files(site)[0]}'
    assert endpoint.http(key, headers={'Origin': allowed})[1]['Access-Control-Allow-Origin'] == allowed
    assert endpoint.http(key, headers={'Origin': other})[1]['Access-Control-Allow-Origin'] is None
    # preflight (moto answers it on the bucket path; on keys it wrongly asks for authorization)
    preflight = {'Access-Control-Request-Method': 'GET'}
    status, headers, _ = endpoint.http('/cors-bk', 'OPTIONS', {'Origin': allowed, **preflight})
    assert status == 200 and headers['Access-Control-Allow-Origin'] == allowed
    assert set(headers['Access-Control-Allow-Methods'].split(', ')) == {'GET', 'HEAD'}
    status, headers, _ = endpoint.http('/cors-bk', 'OPTIONS', {'Origin': other, **preflight})
    assert status == 403 and headers['Access-Control-Allow-Origin'] is None
    # republishing keeps one wopr statement and one wopr rule, not a growing pile
    assert cli('publish', 's3://cors-bk/game', '--site', site, '--endpoint-url', endpoint.url, '--public',
               '--cors-origin', allowed).exit_code == 0
    assert len(json.loads(s3.get_bucket_policy(Bucket='cors-bk')['Policy'])['Statement']) == 1
    assert [r['AllowedOrigins'] for r in s3.get_bucket_cors(Bucket='cors-bk')['CORSRules']] == [[allowed]]


@pytest.mark.parametrize('how', ['endpoint stops', 'ctrl-c'])
def test_interrupted_publish_leaves_a_whole_site_and_a_rerun_finishes(endpoint, site, tmp_path, how):
    """Republish with a new knowledge file and fail after its upload, before the catalog's: the bucket's catalog
    must still name only objects that exist; the same command again finishes, sending only what is missing."""
    bucket = f'cut-{how.split()[0].replace("-", "")}-bk'
    own = Endpoint()  # its own server, so stopping it leaves the module's endpoint alone
    s3 = own.client()
    publisher.publish(s3, site, f's3://{bucket}/p', create=True)
    # the same site with a third knowledge file: only its knowledge folder is rebuilt (the same k1, k2 bytes)
    grown = tmp_path / 'grown'
    shutil.copytree(site, grown)
    old = [site.parent / f'k{s}.safetensors' for s in (1, 2)]  # the files the site fixture was built from
    build(tmp_path / 'rebuilt', [*old, make_knowledge(tmp_path, hidden=8, seed=3, name='k3.safetensors')])
    shutil.rmtree(grown / 'knowledge')
    shutil.copytree(tmp_path / 'rebuilt' / 'knowledge', grown / 'knowledge')
    sent = []

    def cut(request, **_):
        sent.append(request.url)
        if len(sent) == 2:
            if how == 'ctrl-c':
                raise KeyboardInterrupt
            own.stop()

    s3.meta.events.register('before-send.s3.PutObject', cut)
    with pytest.raises(S3Error, match=r'publish stopped after 1 of 2 uploads .*rerun to finish'):
        publisher.publish(s3, grown, f's3://{bucket}/p')
    assert re.search(r'/p/knowledge/k3-[0-9a-f]{16}\.safetensors$', sent[0])
    if how == 'endpoint stops':
        own = Endpoint(port=own.port)  # the same endpoint comes back; moto keeps its buckets in the process
    s3 = own.client()

    def catalog():
        """The files the bucket's catalog names, each checked to exist."""
        stored = s3.get_object(Bucket=bucket, Key='p/knowledge/index.json')
        entries = json.loads(gzip.decompress(stored['Body'].read()))['knowledge']
        keys = {o['Key'] for o in s3.list_objects_v2(Bucket=bucket, Prefix='p/')['Contents']}
        assert all(f'p/knowledge/{e["file"]}' in keys for e in entries)
        return [e['name'] for e in entries]

    assert catalog() == ['k1', 'k2']  # still the previous one, whole
    rerun = puts(s3)
    publisher.publish(s3, grown, f's3://{bucket}/p')
    assert [url.rsplit('/', 2)[-2:] for url in rerun] == [['knowledge', 'index.json']]
    assert catalog() == ['k1', 'k2', 'k3']
    assert publisher.publish(s3, grown, f's3://{bucket}/p').sent == []
    own.stop()


def test_a_catalog_naming_a_missing_file_is_refused(endpoint, site, tmp_path):
    broken = tmp_path / 'broken'
    (broken / 'knowledge').mkdir(parents=True)
    (broken / 'knowledge' / 'index.json').write_text((site / 'knowledge' / 'index.json').read_text())
    result = cli('publish', 's3://site-bk/broken', '--site', broken, '--endpoint-url', endpoint.url)
    lacking = 'names files the site lacks: ' + ', '.join(catalog_files(site))
    assert lacking in one_error_line(result)


def test_errors_are_one_line(endpoint, site, monkeypatch):
    base = ('--site', site, '--endpoint-url', endpoint.url)
    assert 'no such bucket: absent-bk (add --create-bucket' in one_error_line(cli('publish', 's3://absent-bk', *base))
    line = one_error_line(cli('publish', 's3://Bad_Bucket', *base))  # not "no such bucket"
    assert "invalid bucket name 'Bad_Bucket': S3 takes bucket names made of lowercase letters" in line
    assert 'not an s3:// URL' in one_error_line(cli('publish', 'site-bk/game', *base))
    assert 'no such site folder' in one_error_line(cli('publish', 's3://site-bk', '--site', site / 'nope'))
    assert "no AWS profile named 'nobody'" in one_error_line(cli('publish', 's3://site-bk', *base, '--profile',
                                                                   'nobody'))
    # a closed port: fails at once with one retry, no hang
    began = time.monotonic()
    line = one_error_line(cli('publish', 's3://site-bk', '--site', site, '--endpoint-url', 'http://127.0.0.1:9'))
    assert 'cannot reach the S3 endpoint http://127.0.0.1:9' in line and time.monotonic() - began < 10
    monkeypatch.delenv('AWS_ACCESS_KEY_ID')
    monkeypatch.delenv('AWS_SECRET_ACCESS_KEY')
    assert 'no AWS credentials found' in one_error_line(cli('publish', 's3://site-bk', *base))


def test_refused_and_denied_credentials(endpoint, site, monkeypatch):
    """moto checks IAM only inside enforcing_iam(): a read-only user may look but not publish."""
    import boto3
    endpoint.client().create_bucket(Bucket='iam-bk')
    iam = boto3.client('iam', endpoint_url=endpoint.url, region_name='us-east-1')
    iam.create_user(UserName='reader')
    # moto names the HEAD actions itself (AWS counts them as List/Get): read-only either way
    read_only = {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['s3:List*', 's3:Get*', 's3:Head*'], 'Resource': '*'}]}
    iam.put_user_policy(UserName='reader', PolicyName='read-only', PolicyDocument=json.dumps(read_only))
    key = iam.create_access_key(UserName='reader')['AccessKey']
    base = ('--site', site, '--endpoint-url', endpoint.url)
    monkeypatch.setenv('AWS_ENDPOINT_URL_S3', endpoint.url)  # for the s3:// knowledge URL
    with endpoint.enforcing_iam():
        # S3 answers a HEAD without a body, so an unknown key shows as a plain 403; a GET names the reason
        assert 'access denied to s3://iam-bk' in one_error_line(cli('publish', 's3://iam-bk', *base))
        assert 'refused your AWS credentials (InvalidAccessKeyId)' in one_error_line(cli('inspect', 's3://iam-bk/k'))
        monkeypatch.setenv('AWS_ACCESS_KEY_ID', key['AccessKeyId'])
        monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', key['SecretAccessKey'])
        line = one_error_line(cli('publish', 's3://iam-bk', *base))
        assert 'publish stopped after 0 of' in line and 'access denied to s3://iam-bk/' in line
        result = cli('publish', 's3://iam-bk', *base, '--public')
        assert result.exit_code == 1 and 'error: access denied to s3://iam-bk:' in one_line(result.output)


def test_site_urls():
    aws = 'https://s3.amazonaws.com'
    assert publisher.site_url(aws, 'b', 'p', 'eu-west-1', True) == 'http://b.s3-website-eu-west-1.amazonaws.com/p/'
    assert publisher.site_url(aws, 'b', '', 'eu-north-1', True) == 'http://b.s3-website.eu-north-1.amazonaws.com/'
    assert publisher.site_url(aws, 'b', 'p', 'eu-north-1', False) == 'https://b.s3.eu-north-1.amazonaws.com/p/index.html'
    assert publisher.site_url('http://minio.local:9000/', 'b', 'p/q', 'us-east-1', True) == \
        'http://minio.local:9000/b/p/q/index.html'

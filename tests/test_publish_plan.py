"""The plan `wopr publish --site DIR` checks whole before the first upload, against a real S3 endpoint (moto) with a
hostile folder, target or catalog: no secret, no file outside the folder, no public wildcard, no whole file in memory,
one clear line for a broken catalog, and every name (file, key, prefix, bucket, catalog entry) checked first."""
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.commands import cli, one_error_line, wopr
from wopr import publish as publisher

SECRETS = {'.git/config': '[remote "origin"]\n\turl = https://token@example.org/x\n',
           '.aws/credentials': '[default]\naws_secret_access_key = SECRET\n',
           '.ssh/id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\n', '.env': 'TOKEN=SECRET\n',
           'js/.hidden/deep/key.pem': 'SECRET', 'knowledge/.DS_Store': 'x', '.well-known/security.txt': 'x'}
PUBLIC = {'index.html': '<!doctype html>', 'app.js': 'export {};', 'js/more/util.js': '//',
          'knowledge/index.json': '{"knowledge": []}'}


def keys(endpoint, bucket):
    return sorted(o['Key'] for o in endpoint.client().list_objects_v2(Bucket=bucket).get('Contents', []))


def buckets(endpoint):
    return {b['Name'] for b in endpoint.client().list_buckets()['Buckets']}


def small_site(root, files=()):
    """A folder holding a page and `files` ({relative path: text}); returns it."""
    for rel, text in {'index.html': '<!doctype html>', **dict(files)}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def publish(endpoint, target, site, *args):
    return cli('publish', target, '--site', site, '--endpoint-url', endpoint.url, *args)


def served(endpoint, url):
    """The status and body of a plain GET of a URL on the endpoint (as a browser asks, unsigned)."""
    parts = urlsplit(url)
    status, _, body = endpoint.http(parts.path + (f'?{parts.query}' if parts.query else ''))
    return status, body


fresh = (f'gen-{n}-bk' for n in itertools.count())  # a new bucket for each generated example


@pytest.fixture(scope='module')
def s3(endpoint):
    return endpoint.client()


def attempt(s3, site, target):
    """The plan of publishing `site` to `target` (the bucket created and public), or the error that refused it."""
    try:
        return publisher.publish(s3, site, target, create=True, public=True)
    except ValueError as e:
        return e


def test_only_regular_visible_files_are_published(endpoint, tmp_path):
    site, outside = tmp_path / 'site', tmp_path / 'outside'
    for rel, text in {**SECRETS, **PUBLIC}.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    (outside / 'folder').mkdir(parents=True)
    (outside / 'folder' / 'secret.txt').write_text('SECRET')
    (outside / 'id_rsa').write_text('SECRET')
    os.symlink('/etc/passwd', site / 'passwd.txt')                  # a link to a file outside
    os.symlink(outside / 'id_rsa', site / 'js' / 'key.js')          # another, in a subfolder
    os.symlink(outside / 'folder', site / 'folder')                 # a link to a folder outside
    os.symlink(site / 'app.js', site / 'again.js')                  # even a link inside is not followed
    os.symlink(site / 'missing', site / 'dangling.js')
    os.mkfifo(site / 'pipe.js')                                     # reading it would block for ever
    # a real process: a FIFO or a link must not block or leak it
    result = wopr('publish', 's3://secrets-bk', '--site', site, '--endpoint-url', endpoint.url, '--create-bucket',
                  timeout=120)
    assert result.returncode == 0, result.stderr
    assert keys(endpoint, 'secrets-bk') == sorted(PUBLIC)
    dry = cli('publish', 's3://secrets-bk/b', '--site', site, '--endpoint-url', endpoint.url, '--dry-run')
    for output in (dry.output, result.stdout):  # each is named only as left out, with why
        left_out = '\n'.join(line for line in output.splitlines() if line.startswith('left out'))
        rest = output.replace(left_out, '')
        for name in ('.git/', '.aws/', '.ssh/', '.env', 'js/.hidden/', 'knowledge/.DS_Store', '.well-known/',
                     'passwd.txt', 'js/key.js', 'folder/', 'again.js', 'dangling.js', 'pipe.js'):
            assert name in left_out and name.strip('/.').split('/')[-1] not in rest, (name, output)


@pytest.mark.parametrize('target', ['s3://wild-bk/*', 's3://wild-bk/game/a?b', 's3://wild*/x'])
def test_a_wildcard_prefix_is_refused_before_anything_changes(endpoint, tmp_path, target):
    """A prefix of `*` with --public wrote a policy letting anyone read most of the bucket."""
    (tmp_path / 'index.html').write_text('<!doctype html>')
    endpoint.client().create_bucket(Bucket='wild-bk')
    message = one_error_line(cli('publish', target, '--site', tmp_path, '--endpoint-url', endpoint.url, '--public'))
    assert '* and ? match any key in a bucket policy; name the prefix plainly' in message
    assert keys(endpoint, 'wild-bk') == []
    with pytest.raises(ClientError, match='NoSuchBucketPolicy'):  # no policy was written
        endpoint.client().get_bucket_policy(Bucket='wild-bk')


@pytest.mark.parametrize('catalog', [
    '[' * 100_000 + ']' * 100_000, '{"knowledge": ' + '{"a": ' * 50_000 + '1' + '}' * 50_001,
    '{"knowledge": [{"file": 5}]}', '\udcff'])
def test_a_broken_catalog_is_one_error_line(endpoint, tmp_path, catalog):
    (tmp_path / 'knowledge').mkdir()
    (tmp_path / 'knowledge' / 'index.json').write_bytes(catalog.encode(errors='surrogateescape'))
    message = one_error_line(cli('publish', 's3://cat-bk', '--site', tmp_path, '--endpoint-url', endpoint.url,
                                 '--create-bucket'))
    assert message == f"error: {tmp_path / 'knowledge' / 'index.json'} is not a wopr catalog"


# VmHWM, not getrusage's maxrss: that one keeps the high-water mark of the forked copy of this (large) process
PEAK = ('import re, sys\nfrom wopr.cli import app\ntry:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n'
        '    assert not e.code, e.code\n'
        'print(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())[1], file=sys.stderr)\n')


def peak_bytes(*args):
    """The peak memory (resident) of `wopr *args` run as its own process."""
    result = subprocess.run([sys.executable, '-c', PEAK, *map(str, args)], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return int(result.stderr.split()[-1]) * 1024


def test_a_big_file_is_streamed_not_read_whole(endpoint, tmp_path):
    """Publish read every file into memory before starting: a 32 MB site needed 32 MB more."""
    size = 32 * 1024 * 1024
    for name, n in (('small', 1), ('big', size)):
        (tmp_path / name).mkdir()
        with open(tmp_path / name / 'big.bin', 'wb') as f:
            f.truncate(n)  # sparse: no disk used
    small = peak_bytes('publish', 's3://peak-bk/small', '--site', tmp_path / 'small', '--endpoint-url', endpoint.url,
                       '--create-bucket')
    big = peak_bytes('publish', 's3://peak-bk/big', '--site', tmp_path / 'big', '--endpoint-url', endpoint.url)
    assert endpoint.client().head_object(Bucket='peak-bk', Key='big/big.bin')['ContentLength'] == size
    assert big - small < size / 4, (small, big)


KNOWLEDGE = 'k-0123456789abcdef.safetensors'


@pytest.mark.parametrize('file', ['/etc/hostname', '../../outside.safetensors', '.hidden.safetensors',
                                  'linked.safetensors', 'folder/' + KNOWLEDGE, 'old.json.gz', './' + KNOWLEDGE,
                                  f'{KNOWLEDGE}?v=2', f'{KNOWLEDGE}#x', 'pipe.safetensors', 'absent.safetensors', ''])
def test_a_catalog_naming_a_file_publish_does_not_upload_is_refused_before_any_upload(endpoint, tmp_path, file):
    """The page lists every catalog entry, and finds its file at the entry's name taken relative to the catalog: an
    entry naming a file outside the folder, or one publish leaves out (hidden, a link, a FIFO, a compressed copy), or
    a name that is not the upload's as written, would be a dead network on the live page."""
    catalog = {'knowledge': [{'name': 'k', 'file': KNOWLEDGE}, {'name': 'bad', 'file': file}]}
    site = small_site(tmp_path / 'site', {f'knowledge/{KNOWLEDGE}': 'k', 'knowledge/.hidden.safetensors': 'k',
                                          'knowledge/old.json': '{}', 'knowledge/old.json.gz': '',
                                          'knowledge/index.json': json.dumps(catalog)})
    (tmp_path / 'outside.safetensors').write_text('k')
    os.symlink(site / 'knowledge' / KNOWLEDGE, site / 'knowledge' / 'linked.safetensors')
    os.symlink(site / 'knowledge', site / 'knowledge' / 'folder')
    os.mkfifo(site / 'knowledge' / 'pipe.safetensors')
    endpoint.client().create_bucket(Bucket='catalog-bk')
    line = one_error_line(publish(endpoint, 's3://catalog-bk', site))
    assert f'names files the site lacks: {file or repr(file)}' in line
    assert keys(endpoint, 'catalog-bk') == []
    if file.startswith('.hidden'):
        assert 'lacks: .hidden.safetensors (left out: hidden)' in line


@settings(max_examples=25, deadline=None)
@given(st.text(st.sampled_from('k.-_/%?#\\ ~:é\n\x1b') | st.characters(codec='utf-8', exclude_characters='\x00'),
               min_size=1, max_size=12))
def test_a_catalog_entry_names_a_file_the_page_finds_or_is_refused(endpoint, s3, file):
    """Any name a catalog holds, with a file of that name in the folder where one can be made: either refused before
    any upload, or the file is served where the page looks for it (resolved against the catalog's URL)."""
    bucket = next(fresh)
    with tempfile.TemporaryDirectory() as tmp:
        site = small_site(Path(tmp), {'knowledge/index.json': json.dumps({'knowledge': [{'name': 'k', 'file': file}]})})
        knowledge = os.path.normpath(site / 'knowledge' / file)
        if knowledge.startswith(f'{site}/') and not os.path.exists(knowledge):
            try:
                Path(knowledge).parent.mkdir(parents=True, exist_ok=True)
                Path(knowledge).write_bytes(b'k')
            except OSError:
                pass  # a name the file system refuses (too long, a file where a folder would be)
        result = attempt(s3, site, f's3://{bucket}')
    if isinstance(result, ValueError):
        assert str(result).startswith(('cannot publish', f'{site}')) and bucket not in buckets(endpoint)
    else:
        assert served(endpoint, urljoin(result.url, f'knowledge/{file}')) == (200, b'k')


@pytest.mark.parametrize('name', ['new\nline.js', 'esc\x1b[31m.js', 'bell\x07.js', 'pre fix.js', 'hash#.js', 'q?.js',
                                  'percent%41.js', 'back\\slash.js', 'tilde~.js', 'é.js', 'bidi\u202etxt.js',
                                  'quote".js', 'markup[/b].js', 'sub/a b/c.js', '\udcff.js'])
def test_a_file_name_s3_or_a_url_cannot_carry_is_refused_before_any_upload(endpoint, tmp_path, name):
    """A name with a line break passed --dry-run, then the publish stopped midway (and every rerun did too); a name a
    URL cannot carry as it is gave the page a file it cannot fetch."""
    site = small_site(tmp_path / 'site', {'app.js': '//'})
    path = site / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('//')
    endpoint.client().create_bucket(Bucket='names-bk')
    line = one_error_line(publish(endpoint, 's3://names-bk', site))
    shown = name if name.isprintable() else repr(name)
    assert f'cannot publish {shown}: ' in line and 'letters, digits' in line
    assert keys(endpoint, 'names-bk') == []


def test_a_key_longer_than_s3_allows_is_refused_before_any_upload(endpoint, tmp_path):
    site = small_site(tmp_path / 'site')
    deep = site / '/'.join(['d' * 200] * 6)
    deep.mkdir(parents=True)
    (deep / 'x.js').write_text('//')
    endpoint.client().create_bucket(Bucket='long-bk')
    line = one_error_line(publish(endpoint, 's3://long-bk/p', site))
    assert 'an S3 key is at most 1024 bytes' in line and keys(endpoint, 'long-bk') == []


@settings(max_examples=25, deadline=None)
@given(st.text(st.sampled_from('a.-_ ~%#[]\n\x1b\\') | st.characters(codec='utf-8', exclude_characters='\x00/'),
               min_size=1, max_size=16).filter(lambda name: name not in ('.', '..')))
def test_any_file_name_is_published_and_served_left_out_or_refused_before_upload(endpoint, s3, name):
    bucket = next(fresh)
    with tempfile.TemporaryDirectory() as tmp:
        site = small_site(Path(tmp))
        (site / name).write_bytes(b'k')
        result = attempt(s3, site, f's3://{bucket}/p')
    if isinstance(result, ValueError):
        assert str(result).startswith('cannot publish') and bucket not in buckets(endpoint)
    elif name.startswith('.'):
        assert result.left_out == [(name, 'hidden')] and keys(endpoint, bucket) == ['p/index.html']
    else:
        assert served(endpoint, f'{endpoint.url}/{bucket}/p/{name}') == (200, b'k')


@pytest.mark.parametrize('target', ['s3://prefix-bk/../x', 's3://prefix-bk/a#frag', 's3://prefix-bk/pre fix',
                                    's3://prefix-bk/a/./b', 's3://prefix-bk/a//b', 's3://prefix-bk/a%2Fb',
                                    's3://prefix-bk/é', 's3://prefix-bk/a\nb', 's3://prefix-bk/.hidden',
                                    's3://prefix-bk/a~b', 's3://prefix-bk/a\\b'])
def test_a_prefix_a_url_cannot_name_is_refused_before_anything_changes(endpoint, tmp_path, target):
    """These were accepted, and printed as site URLs that cannot work."""
    site = small_site(tmp_path / 'site')
    endpoint.client().create_bucket(Bucket='prefix-bk')
    line = one_error_line(publish(endpoint, target, site, '--public', '--website'))
    prefix = target.removeprefix('s3://prefix-bk/')
    assert f'the prefix {prefix!r} cannot hold a site' in line and 'letters, digits' in line
    assert keys(endpoint, 'prefix-bk') == []
    with pytest.raises(ClientError, match='NoSuchBucketPolicy'):
        endpoint.client().get_bucket_policy(Bucket='prefix-bk')


@settings(max_examples=25, deadline=None)
@given(st.text(st.sampled_from('ab-_./ #%~\n') | st.characters(codec='utf-8', exclude_characters='\x00*?'),
               min_size=1, max_size=16))
def test_a_prefix_is_refused_or_its_site_url_serves_the_page(endpoint, s3, prefix):
    bucket = next(fresh)
    with tempfile.TemporaryDirectory() as tmp:
        result = attempt(s3, small_site(Path(tmp)), f's3://{bucket}/{prefix}')
    if isinstance(result, ValueError):
        assert 'cannot hold a site' in str(result) and bucket not in buckets(endpoint)
    else:
        assert served(endpoint, result.url) == (200, b'<!doctype html>'), result.url


@pytest.mark.parametrize(('bucket', 'rule'), [
    ('Bad_Bucket', 'made of lowercase letters, digits, dots and hyphens only'), ('ab', '3 to 63 characters'),
    ('a' * 64, '3 to 63 characters'), ('ABC', 'lowercase'), ('a b', 'lowercase'), ('-abc', 'beginning and ending'),
    ('abc-', 'beginning and ending'), ('abc.', 'beginning and ending'), ('a..b', 'no two dots'),
    ('192.168.5.4', 'IP address'), ('xn--abc', 'xn--'), ('sthree-abc', 'sthree-'),
    ('amzn-s3-demo-abc', 'amzn-s3-demo-'),
    ('abc-s3alias', '-s3alias'), ('abc--ol-s3', '--ol-s3'), ('abc.mrap', '.mrap'), ('abc--x-s3', '--x-s3'),
    ('abc--table-s3', '--table-s3'), ('ab\x1bc', 'lowercase')])
def test_a_bucket_name_s3_refuses_is_named_invalid_with_its_rule(endpoint, s3, tmp_path, bucket, rule):
    """`Bad_Bucket` said "no such bucket"; with --create-bucket the endpoint was asked to make it (the command's one
    line: tests/test_publish.py::test_errors_are_one_line)."""
    before = buckets(endpoint)
    refused = attempt(s3, small_site(tmp_path / 'site'), f's3://{bucket}/p')
    assert str(refused).startswith(f'invalid bucket name {bucket!r}: S3 takes bucket names ') and rule in str(refused)
    assert buckets(endpoint) == before


@settings(max_examples=25, deadline=None)
@given(st.text(st.sampled_from('abz09.-_A'), min_size=1, max_size=66))
def test_a_bucket_name_is_refused_or_the_bucket_made_serves_the_page(endpoint, s3, bucket):
    """The rules are S3's, so no stricter than the endpoint's own (moto checks only the length)."""
    with tempfile.TemporaryDirectory() as tmp:
        result = attempt(s3, small_site(Path(tmp)), f's3://{bucket}')
    if isinstance(result, ValueError):
        assert 'invalid bucket name' in str(result)
    else:
        assert served(endpoint, result.url) == (200, b'<!doctype html>')

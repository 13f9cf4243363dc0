"""`wopr publish --site DIR` against a real S3 endpoint (moto) with a hostile folder: no secret, no file outside the
folder, no public wildcard, no whole file in memory, one clear line for a broken catalog."""
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from tests.support.commands import cli, one_error_line, wopr

SECRETS = {'.git/config': '[remote "origin"]\n\turl = https://token@example.org/x\n',
           '.aws/credentials': '[default]\naws_secret_access_key = SECRET\n',
           '.ssh/id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\n', '.env': 'TOKEN=SECRET\n',
           'js/.hidden/deep/key.pem': 'SECRET', 'knowledge/.DS_Store': 'x', '.well-known/security.txt': 'x'}
PUBLIC = {'index.html': '<!doctype html>', 'app.js': 'export {};', 'js/more/util.js': '//',
          'knowledge/index.json': '{"knowledge": []}'}


def keys(endpoint, bucket):
    return sorted(o['Key'] for o in endpoint.client().list_objects_v2(Bucket=bucket).get('Contents', []))


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
    for name in ('.git', '.aws', '.ssh', '.env', '.hidden', 'passwd', 'key.js', 'folder', 'again', 'dangling', 'pipe'):
        assert name not in dry.output + result.stdout, name


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

"""s3:// (and http://) knowledge wherever a knowledge file goes: sources (an object stored compressed decoded, as a
download is), inspect, evaluate, play, site build, train."""
import gzip
import hashlib
import subprocess
import sys
import zlib

import pytest

from tests.support.commands import cli, one_error_line, one_line, wopr
from wopr import publish as publisher
from wopr import s3, sources
from wopr.runtime.format import KnowledgeError
from wopr.sources import load_knowledge, read_bytes, write_bytes

BUCKET = 'know-bk'


@pytest.fixture
def env(endpoint, monkeypatch):
    """s3:// URLs reach the endpoint the way a MinIO user would point them: AWS_ENDPOINT_URL_S3, read by boto3."""
    monkeypatch.setenv('AWS_ENDPOINT_URL_S3', endpoint.url)
    client = endpoint.client()
    if BUCKET not in [b['Name'] for b in client.list_buckets()['Buckets']]:
        client.create_bucket(Bucket=BUCKET)
    return endpoint


@pytest.fixture
def stored(env, knowledge_file):
    """A knowledge file written to the bucket through wopr.sources: (url, bytes)."""
    data = knowledge_file.read_bytes()
    url = f's3://{BUCKET}/dir/{knowledge_file.name}'
    write_bytes(url, data)
    return url, data


def test_round_trip_through_sources(env, stored):
    url, data = stored
    assert read_bytes(url) == data
    assert load_knowledge(url).sha256 == hashlib.sha256(data).hexdigest()
    head = env.client().head_object(Bucket=BUCKET, Key=url.split('/', 3)[3])
    assert head['ContentType'] == 'application/octet-stream'
    assert head['Metadata']['sha256'] == hashlib.sha256(data).hexdigest()


def test_commands_take_s3_urls(env, stored, tmp_path):
    url, data = stored
    sha = hashlib.sha256(data).hexdigest()
    result = cli('inspect', url)
    assert result.exit_code == 0 and url in result.output and sha[:48] in result.output, result.output
    assert cli('evaluate', url).exit_code == 0
    result = cli('site', 'build', '--out', tmp_path / 'site', '--knowledge', url)
    assert result.exit_code == 0, result.output
    stem = url.rsplit('/', 1)[1].removesuffix('.safetensors')
    assert (tmp_path / 'site' / 'knowledge' / f'{stem}-{sha[:16]}.safetensors').read_bytes() == data
    # the terminal game, as a user runs it: a real process, its first board, then q
    game = wopr('play', '--knowledge', url, script='q\n')
    assert game.returncode == 0, game.stderr
    assert f'(knowledge: {stem}, hidden 16)' in one_line(game.stdout) and 'Goodbye' in game.stdout, game.stdout


def test_train_writes_to_s3(env):
    url = f's3://{BUCKET}/trained/tiny.safetensors'
    result = cli('train', '--hidden', 8, '--epochs', 1, '--method', 'winning-x', '--centre-first', '--out', url)
    assert result.exit_code == 0, result.output
    knowledge = load_knowledge(url)
    assert knowledge.hidden_size == 8 and knowledge.training['method'] == 'winning-x'


def test_http_url_of_a_public_object(env, stored):
    url, data = stored
    publisher.make_public(env.client(), BUCKET, 'dir', 'us-east-1')
    http_url = f'{env.url}/{BUCKET}/dir/{url.rsplit("/", 1)[1]}'
    assert read_bytes(http_url) == data
    assert cli('inspect', http_url).exit_code == 0


def error(*args):
    return one_error_line(cli(*args))


def test_errors(env, stored, monkeypatch):
    url, _ = stored
    assert f'not found: s3://{BUCKET}/dir/nope.safetensors' in error('inspect', f's3://{BUCKET}/dir/nope.safetensors')
    assert 'no such bucket: s3://absent-bk/k.safetensors' in error('inspect', 's3://absent-bk/k.safetensors')
    assert 'names a bucket or folder, not a file' in error('evaluate', f's3://{BUCKET}')
    assert 'no bucket in s3://' in error('play', '--knowledge', 's3:///k.safetensors')
    with monkeypatch.context() as limited, pytest.raises(KnowledgeError, match=f'{url} is [0-9]+ bytes: too large'):
        limited.setattr(sources, 'MAX_BYTES', 100)
        read_bytes(url)
    with pytest.raises(s3.S3Error, match='names a bucket or folder, not a file'):
        write_bytes(f's3://{BUCKET}/dir/', b'x')
    with pytest.raises(ValueError, match='give a path or an s3:// URL'):
        write_bytes(f'{env.url}/{BUCKET}/k.safetensors', b'x')
    monkeypatch.setenv('AWS_ENDPOINT_URL_S3', 'http://127.0.0.1:9')
    assert 'cannot reach the S3 endpoint http://127.0.0.1:9' in error('inspect', url)
    monkeypatch.setenv('AWS_ENDPOINT_URL_S3', env.url)
    monkeypatch.delenv('AWS_ACCESS_KEY_ID')
    with pytest.raises(KnowledgeError, match='no AWS credentials found'):
        read_bytes(url)


def test_without_boto3_the_message_says_what_to_install():
    """The base install has no boto3: s3:// then fails with the pip command, not an ImportError."""
    no_boto3 = "import sys; sys.modules['boto3'] = None; "
    runs = [f"from wopr.cli import app; app({command!r})"
            for command in (['inspect', 's3://b/k'], ['publish', 's3://b', '--site', '.'])]
    runs.append("from wopr.sources import write_bytes\ntry:\n    write_bytes('s3://b/k', b'x')\n"
                "except OSError as e:\n    sys.exit(f'error: {e}')")
    for code in runs:
        result = subprocess.run([sys.executable, '-c', no_boto3 + code], check=False, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 1 and 'Traceback' not in result.stderr, result.stderr
        assert "pip install 'wopr[s3]'" in result.stderr, result.stderr


@pytest.mark.parametrize('encoding, encode', [('gzip', gzip.compress), ('deflate', zlib.compress)])
def test_an_object_stored_compressed_is_read_decoded(env, stored, encoding, encode):
    """As publish stores the page's text (Content-Encoding gzip), so may anyone store a knowledge file: read as the
    file it is, not as the compressed bytes ("header claims 7714666612657785631 bytes")."""
    url, data = stored
    key = f'dir/{encoding}.safetensors'
    env.client().put_object(Bucket=BUCKET, Key=key, Body=encode(data), ContentEncoding=encoding)
    assert read_bytes(f's3://{BUCKET}/{key}') == data
    assert load_knowledge(f's3://{BUCKET}/{key}').sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize('stored_as, body, message', [  # mtime=0: the same bytes (and test ids) in every process
    ('gzip', gzip.compress(bytes(5000), mtime=0), 'is over 1000 bytes once decoded: too large'),  # a small bomb
    ('gzip', gzip.compress(b'x' * 100, mtime=0)[:-6], 'its gzip stream is cut short'),
    ('br', b'anything', "Content-Encoding 'br', which wopr does not decode"),
], ids=['bomb', 'cut', 'br'])
def test_an_object_stored_compressed_is_bounded_and_checked(env, monkeypatch, stored_as, body, message):
    """The download's rules hold for s3:// too: the limit counts decoded bytes, a broken stream or an encoding not
    decoded is one clear line."""
    monkeypatch.setattr(sources, 'MAX_BYTES', 1000)
    env.client().put_object(Bucket=BUCKET, Key='dir/odd.safetensors', Body=body, ContentEncoding=stored_as)
    with pytest.raises(KnowledgeError, match=message):
        read_bytes(f's3://{BUCKET}/dir/odd.safetensors')

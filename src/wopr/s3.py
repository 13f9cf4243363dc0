"""S3 transport through boto3 (the `s3` extra, imported lazily): clients, one-line errors, s3:// objects."""
import hashlib
from contextlib import contextmanager

# a dead endpoint must fail in seconds, not hang: short connect timeout, one retry
CONFIG = {'connect_timeout': 3, 'read_timeout': 60, 'retries': {'total_max_attempts': 2, 'mode': 'standard'}}
REFUSED_CREDENTIALS = {'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'}


class S3Error(OSError):
    """An S3 operation failed; the message says why and what to do."""


def split_url(url):
    """'s3://bucket/some/key' -> ('bucket', 'some/key'); the key may be empty or end with '/'."""
    if not str(url).startswith('s3://'):
        raise ValueError(f'not an s3:// URL: {url}')
    bucket, _, key = str(url)[len('s3://'):].partition('/')
    if not bucket:
        raise ValueError(f'no bucket in {url}: write s3://BUCKET/KEY')
    return bucket, key.lstrip('/')


def client(endpoint_url=None, region=None, profile=None):
    """An S3 client from boto3's standard credential chain, with short timeouts so a dead endpoint fails fast."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise S3Error("s3:// needs boto3, which this install lacks: pip install 'wopr[s3]'") from None
    with errors('S3'):
        session = boto3.session.Session(profile_name=profile, region_name=region)
        return session.client('s3', endpoint_url=endpoint_url, config=Config(**CONFIG))


@contextmanager
def errors(where):
    """Turn botocore's exceptions into one S3Error line about `where`."""
    from botocore import exceptions as bx
    try:
        yield
    except bx.NoCredentialsError:
        raise S3Error('no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, '
                      'pass --profile, or run `aws configure`') from None
    except bx.ProfileNotFound as e:
        raise S3Error(f'no AWS profile named {e.kwargs.get("profile")!r} in ~/.aws/config') from None
    except (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ConnectTimeoutError) as e:
        raise S3Error(f'cannot reach the S3 endpoint {e.kwargs.get("endpoint_url", "")}: check --endpoint-url '
                      '(or AWS_ENDPOINT_URL) and the network') from None
    except bx.ClientError as e:
        raise S3Error(client_error_message(e, where)) from None
    except bx.BotoCoreError as e:
        raise S3Error(f'{where}: {e}') from None


def client_error_message(e, where):
    code = e.response.get('Error', {}).get('Code', '')
    status = e.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
    if code in REFUSED_CREDENTIALS:
        return f'{where}: the endpoint refused your AWS credentials ({code})'
    if code in ('AccessDenied', 'AllAccessDisabled') or status == 403:
        return (f'access denied to {where}: the endpoint refused these credentials or they lack a permission '
                '(see "Deploy to S3" in the README)')
    if code == 'NoSuchBucket':
        return f'no such bucket: {where}'
    if code in ('NoSuchKey', 'NotFound') or status == 404:
        return f'not found: {where}'
    return f'{where}: {code or status}: {e.response.get("Error", {}).get("Message", "")}'.rstrip(': ')


def found(call, **params):
    """The response of a HEAD or GET call, or None on a 404: no such bucket, object or bucket configuration."""
    from botocore.exceptions import ClientError
    try:
        return call(**params)
    except ClientError as e:
        if e.response.get('ResponseMetadata', {}).get('HTTPStatusCode') == 404:
            return None
        raise


def file_url(url):
    """(bucket, key) of an s3:// URL that names a file."""
    bucket, key = split_url(url)
    if not key or key.endswith('/'):
        raise S3Error(f'{url} names a bucket or folder, not a file: write s3://BUCKET/KEY')
    return bucket, key


def validate_bucket(url):
    """Fail now when the bucket of an s3:// file URL is missing or its endpoint cannot be reached; a bucket these
    credentials may write to but not look at (403) is left for the write to try."""
    from botocore.exceptions import ClientError
    bucket, _ = file_url(url)
    s3 = client()
    with errors(url):
        try:
            exists = found(s3.head_bucket, Bucket=bucket) is not None
        except ClientError as e:
            exists = e.response.get('ResponseMetadata', {}).get('HTTPStatusCode') == 403
    if not exists:
        raise S3Error(f'no such bucket: {bucket} (for {url})')


def object_stream(url):
    """(Content-Encoding, length, chunks) of an s3:// object (endpoint from AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3, as
    boto3 reads them): its bytes as stored, read as they come; a failure while reading is an S3Error too."""
    bucket, key = file_url(url)
    s3 = client()
    with errors(url):
        response = s3.get_object(Bucket=bucket, Key=key)

    def chunks():
        with errors(url):
            yield from response['Body'].iter_chunks(1 << 16)
    return response.get('ContentEncoding'), response['ContentLength'], chunks()


def write_object(url, data, content_type='application/octet-stream'):
    """Store bytes at an s3:// URL, their sha256 in the object's metadata (as publish does)."""
    bucket, key = file_url(url)
    s3 = client()
    with errors(url):
        s3.put_object(Bucket=bucket, Key=key, Body=bytes(data), ContentType=content_type,
                      Metadata={'sha256': hashlib.sha256(data).hexdigest()})

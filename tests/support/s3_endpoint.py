"""A real S3 endpoint for the tests: moto's server mode on 127.0.0.1, reached over HTTP by boto3 and browsers."""
import logging
import os
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

# moto reads this at import: without it every response carries a blanket CORS header and the rules go untested
os.environ['MOTO_DISABLE_GLOBAL_CORS'] = 'true'
import boto3
from moto import settings
from moto.server import ThreadedMotoServer

logging.getLogger('werkzeug').setLevel(logging.WARNING)  # one line per request drowns a failure

if not settings.DISABLE_GLOBAL_CORS:
    raise RuntimeError('moto was imported before MOTO_DISABLE_GLOBAL_CORS was set: the CORS tests would prove nothing')

# dummy credentials, and nothing from this machine's ~/.aws or an instance metadata service
ENV = {'AWS_ACCESS_KEY_ID': 'testing', 'AWS_SECRET_ACCESS_KEY': 'testing', 'AWS_DEFAULT_REGION': 'us-east-1',
       'AWS_CONFIG_FILE': '/nonexistent/aws-config', 'AWS_SHARED_CREDENTIALS_FILE': '/nonexistent/aws-credentials',
       'AWS_EC2_METADATA_DISABLED': 'true'}
UNSET = ('AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3')


class Endpoint:
    """One ThreadedMotoServer; `client()` talks to it as any boto3 user would. Buckets live in moto's process-wide
    state, so a second server (another port, another browser origin) serves the same buckets."""

    def __init__(self, port=0):
        self.server = ThreadedMotoServer(ip_address='127.0.0.1', port=port, verbose=False)
        self.server.start()
        host, self.port = self.server.get_host_and_port()
        self.url = f'http://{host}:{self.port}'

    def client(self):
        return boto3.client('s3', endpoint_url=self.url, region_name='us-east-1')

    def stop(self):
        self.server.stop()

    def http(self, path, method='GET', headers=None, data=None):
        """A plain unsigned HTTP request, as a browser would send it: (status, headers, body)."""
        request = urllib.request.Request(self.url + path, method=method, headers=headers or {}, data=data)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    @contextmanager
    def enforcing_iam(self):
        """moto checks credentials and IAM policies only while this lasts (its /moto-api/reset-auth switch)."""
        self.http('/moto-api/reset-auth', 'POST', {'Content-Type': 'text/plain'}, b'0')
        try:
            yield
        finally:
            self.http('/moto-api/reset-auth', 'POST', {'Content-Type': 'text/plain'}, b'inf')


def serve():
    """A moto S3 endpoint in a clean AWS environment while the generator runs (conftest's `endpoint` fixture)."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in ENV.items():
            mp.setenv(name, value)
        for name in UNSET:
            mp.delenv(name, raising=False)
        server = Endpoint()
        yield server
        server.stop()

"""The published site in Debian's headless Chromium, served by the S3 endpoint itself (path-style URLs): a full game,
and knowledge fetched from a second bucket on another origin through that bucket's CORS rule."""
import random
import urllib.request

import pytest

from harness.browser import board_of, open_page, play_game, random_player
from tests.support.commands import cli
from tests.support.knowledge_files import make_knowledge
from tests.support.s3_endpoint import Endpoint
from wopr.runtime.knowledge import load
from wopr.web import site
from wopr.web.site import build


class Published:
    """The page's URL, and knowledge URLs on a second origin: one bucket allows the page, one does not."""

    def __init__(self, page, site_knowledge, lively, allowed, refused):
        self.page, self.site_knowledge, self.lively = page, site_knowledge, lively
        self.allowed, self.refused = allowed, refused


def publish(*args):
    result = cli('publish', *args, '--create-bucket', '--public')
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope='module')
def published(endpoint, tmp_path_factory):
    root = tmp_path_factory.mktemp('published')
    site_file = make_knowledge(root, hidden=8, seed=11, scale=3.0, name='site.safetensors')
    build(root / 'site', [site_file])
    output = publish('s3://site-bk/play', '--site', root / 'site', '--endpoint-url', endpoint.url)
    page_url = f'{endpoint.url}/site-bk/play/index.html'
    assert page_url in output
    # the knowledge buckets answer on another port: another origin for the browser, the same moto state
    other = Endpoint()
    (root / 'shared').mkdir()
    lively = make_knowledge(root / 'shared', hidden=16, seed=3, scale=3.0, name='lively.safetensors')
    publish('s3://know-bk/shared', '--site', root / 'shared', '--endpoint-url', other.url,
            '--cors-origin', endpoint.url)
    publish('s3://closed-bk/shared', '--site', root / 'shared', '--endpoint-url', other.url,
            '--cors-origin', 'https://somewhere.else.example')
    yield Published(page_url, load(site_file.read_bytes()), load(lively.read_bytes()),
                    f'{other.url}/know-bk/shared/lively.safetensors',
                    f'{other.url}/closed-bk/shared/lively.safetensors')
    other.stop()


def test_the_site_served_by_s3_plays_a_full_game(page, published):
    """From objects stored gzip, as S3 serves them whatever the browser asks."""
    for rel in ('index.html', 'app.js', 'micropython.wasm', site.RUNTIME):
        with urllib.request.urlopen(published.page.replace('index.html', rel)) as response:
            assert response.headers['Content-Encoding'] == 'gzip', rel
    open_page(page, published.page)
    assert page.text_content('#card-title') == 'site'  # from the catalog in the bucket, sha256 checked
    status = play_game(page, published.site_knowledge, 'X', random_player(random.Random(1)))
    assert status['over'] and board_of(page) == status['board']


def test_knowledge_from_a_second_bucket_through_cors(page, published):
    open_page(page, f'{published.page}?knowledge={published.allowed}')
    assert page.text_content('#catalog-error') == ''
    assert page.text_content('#card-title') == published.allowed
    play_game(page, published.lively, 'X', random_player(random.Random(2)))  # its moves, not the site's


def test_a_bucket_whose_cors_refuses_the_page_origin(page, published):
    open_page(page, f'{published.page}?knowledge={published.refused}')
    assert 'could not be downloaded' in page.text_content('#catalog-error p')  # said where the knowledge is chosen
    reason = page.text_content('#catalog-error details')
    assert f'cannot fetch {published.refused}' in reason and 'CORS' in reason
    assert page.text_content('#card-title') == 'site'  # the site's own knowledge plays instead
    play_game(page, published.site_knowledge, 'X', random_player(random.Random(3)))
    # the file itself is there for anyone: what stops the page is the missing CORS answer for its origin
    origin = published.page.split('/site-bk/')[0]
    for url, allowed in ((published.refused, None), (published.allowed, origin)):
        with urllib.request.urlopen(urllib.request.Request(url, headers={'Origin': origin})) as response:
            assert response.status == 200 and response.headers['Access-Control-Allow-Origin'] == allowed

"""The service worker: a reload with the server gone plays (in Chromium, Firefox and WebKit); in Chromium, a new
publish reaches a returning visitor whole, never mixed with the release before, and over plain HTTP off localhost (an
S3 website endpoint) the page plays without one, and says nothing."""
import random
import shutil

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.browser import CHROMIUM_ARGS, READY, chromium_path, open_page, play_game, random_player, watch
from harness.serving import wopr_server
from tests.support.commands import cli
from tests.support.knowledge_files import make_knowledge
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT
from wopr.web import site
from wopr.web.server import url_of

ACTIVE = 'navigator.serviceWorker.ready.then((r) => r.active.state === "activated")'
# A page load waits only so long for a newer release (sw.js: CHECK_MS, ARRIVE_MS); on a loaded machine the check
# ends later, in the background. This waits for it: the check done, nothing installing any more.
SETTLED = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  await registration.update();
  while (registration.installing) await new Promise((resolve) => setTimeout(resolve, 50));
  return true;
}"""


def keeps_the_release(page):
    """Wait until the service worker is active, its release kept whole."""
    page.wait_for_function(ACTIVE)


def ready(page, responses):
    """Wait for a playable board; if none comes, say what the page shows and what it was sent."""
    try:
        page.wait_for_selector(READY)
    except PlaywrightTimeout:
        shows = page.evaluate('[location.href, document.body && document.body.dataset.phase, '
                              'document.body && document.body.innerText.slice(0, 300)]')
        sent = [(r.status, r.url.rsplit('/', 1)[-1]) for r in responses]
        raise AssertionError(f'no playable board: the page shows {shows}; sent {sent}') from None


def test_a_reload_with_the_server_gone_plays(engine, tmp_path):
    """All three engines have service workers (on http://127.0.0.1, a secure context): Chromium, Firefox, WebKit."""
    site.build(tmp_path / 'site')
    with wopr_server(tmp_path / 'site') as server:
        engine.open(url_of(server) + '?from=home')
        engine.wait_for(f'() => {ACTIVE}')  # the service worker is active, its release kept whole
    engine.reload()  # the server is gone: the connection is refused
    engine.wait(READY)
    assert engine.text('#card-title') == 'default'
    play_game(engine, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(1)))
    engine.forget_problems(lambda p: 'ERR_CONNECTION_REFUSED' in p)  # Chromium's update check, offline


def object_tags(endpoint, bucket, prefix):
    """{path: ETag} of the published objects (S3's ETag: the MD5 of the stored bytes)."""
    listed = endpoint.client().list_objects_v2(Bucket=bucket, Prefix=prefix)['Contents']
    return {o['Key'].removeprefix(prefix): o['ETag'] for o in listed}


def test_a_new_publish_arrives_whole_never_mixed(page, endpoint, tmp_path, monkeypatch):
    """Release A, a visit, release B (another default knowledge, other scripts), a reload: every file the page, its
    worker and its service worker get comes from one release; and the visitor has B by the next load."""
    alpha = make_knowledge(tmp_path, hidden=8, seed=1, name='alpha.safetensors')
    beta = make_knowledge(tmp_path, hidden=8, seed=2, name='beta.safetensors')
    site.build(tmp_path / 'A', [alpha])
    static = tmp_path / 'static'
    shutil.copytree(site.STATIC, static)
    for name, more in (('app.js', b"\nexport const RELEASE = 'B';"), ('worker.js', b"\nexport const RELEASE = 'B';"),
                       ('index.html', b'\n')):  # B's page differs too (in code that minifying keeps): a mix would show
        (static / name).write_bytes((static / name).read_bytes() + more)
    monkeypatch.setattr(site, 'STATIC', static)
    site.build(tmp_path / 'B', [beta])
    base = ('s3://release-bk/wopr', '--endpoint-url', endpoint.url, '--public', '--create-bucket')
    releases = {}
    for name in ('A', 'B'):
        assert cli('publish', *base, '--site', tmp_path / name).exit_code == 0
        releases[name] = object_tags(endpoint, 'release-bk', 'wopr/')
        if name == 'A':  # a visit: the service worker keeps release A
            url = f'{endpoint.url}/release-bk/wopr/'
            open_page(page, url + 'index.html')
            assert page.text_content('#card-title') == 'alpha'
            keeps_the_release(page)
    assert releases['A']['app.js'] != releases['B']['app.js']

    got = []
    page.context.on('response', lambda r: got.append(r) if r.url.startswith(url) else None)
    for load_number in (1, 2):
        got.clear()
        page.reload()
        ready(page, got)
        page.wait_for_timeout(500)  # the service worker's own checks
        sent = {}
        for response in got:
            rel = response.url.removeprefix(url).split('?')[0] or 'index.html'
            tag = response.headers.get('etag')
            if response.status == 200 and tag and rel != site.SERVICE_WORKER:
                sent[rel] = tag
        whole = [name for name, tags in releases.items() if all(tags.get(r) == t for r, t in sent.items())]
        assert whole, f'load {load_number} mixed releases: {sent}'
        assert {'index.html', 'app.js', 'worker.js', 'knowledge/index.json', site.RUNTIME} <= set(sent), sent
        assert page.text_content('#card-title') == {'A': 'alpha', 'B': 'beta'}[whole[-1]]
        page.wait_for_function(SETTLED)  # so the next load has B, however slowly this machine found it
    assert whole == ['B']


def test_plain_http_off_localhost_plays_without_a_service_worker(browser, tmp_path):
    """As on an S3 website endpoint: not a secure context, so no service worker, and nothing on the console."""
    site.build(tmp_path / 'site')
    plain = browser.browser_type.launch(executable_path=chromium_path(),
                                        args=[*CHROMIUM_ARGS, '--host-resolver-rules=MAP wopr.example 127.0.0.1'])
    try:
        with wopr_server(tmp_path / 'site') as server:
            page = plain.new_page()
            problems = watch(page)
            asked = []
            page.on('request', lambda r: asked.append(r.url))
            open_page(page, f'http://wopr.example:{server.server_address[1]}/')
            assert page.evaluate('window.isSecureContext') is False
            assert page.evaluate('"serviceWorker" in navigator') is False
            play_game(page, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(2)))
            assert not any(u.endswith('/sw.js') for u in asked) and problems == []
    finally:
        plain.close()

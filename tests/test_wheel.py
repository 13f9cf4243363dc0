"""wopr as a user installs it: the wheel built from this checkout, in a fresh venv, on a machine whose node and npm
fail; from an empty folder it builds the site, serves it (the page plays in Chromium) and publishes it."""
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.browser import open_page, play_game, random_player
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT
from wopr.web import site
from wopr.web.minify import minified

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parents[1]
NO_NODE = '#!/bin/sh\necho "$0: not on this machine" >&2\nexit 127\n'


class Installed:
    def __init__(self, venv, home):
        self.wopr = venv / 'bin' / 'wopr'
        self.home = home  # an empty folder, far from the checkout
        (home / 'bin').mkdir()
        for tool in ('node', 'npm', 'npx'):  # first on PATH: any use of them fails
            (home / 'bin' / tool).write_text(NO_NODE)
            (home / 'bin' / tool).chmod(0o755)

    @property
    def env(self):
        """This process's environment (the test's AWS settings too), but for the PATH and nothing of this venv."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTHON', 'VIRTUAL_ENV'))}
        return {**env, 'PATH': f'{self.home / "bin"}:{self.wopr.parent}:/usr/bin:/bin', 'HOME': str(self.home),
                'COLUMNS': '200', 'NO_COLOR': '1'}

    def run(self, *args, cwd):
        return subprocess.run([str(self.wopr), *map(str, args)], cwd=cwd, env=self.env, capture_output=True,
                              text=True, timeout=300)


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp('wheel')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w',
                    root / 'dist', REPO], check=True, cwd=root)
    wheel, = (root / 'dist').glob('wopr-*.whl')
    subprocess.run([sys.executable, '-m', 'venv', root / 'venv'], check=True)
    subprocess.run([root / 'venv' / 'bin' / 'pip', 'install', '-q', f'{wheel}[s3]'], check=True, cwd=root)
    (root / 'home').mkdir()
    return Installed(root / 'venv', root / 'home')


def test_the_installed_package_is_the_wheel_not_this_checkout(installed):
    where = subprocess.run([installed.wopr.with_name('python'), '-c', 'import wopr.web.site as s; print(s.__file__)'],
                           cwd=installed.home, env=installed.env, capture_output=True, text=True, check=True)
    assert str(installed.wopr.parents[1]) in where.stdout and str(REPO) not in where.stdout
    assert subprocess.run(['node', '--version'], env=installed.env, capture_output=True).returncode == 127


def test_site_build_from_an_empty_folder_without_node(installed):
    folder = installed.home / 'empty'
    folder.mkdir()
    result = installed.run('site', 'build', cwd=folder)
    assert result.returncode == 0, result.stderr
    for name in site.ENGINE:  # the very engine the lock pins, carried by the wheel (its loader minified, as here)
        assert (folder / 'site' / name).read_bytes() == minified(name, (site.engine_dir() / name).read_bytes())
    assert (folder / 'site' / 'micropython.wasm.br').is_file()


def test_serve_from_any_folder_and_the_page_plays(installed, page):
    folder = installed.home / 'serving'
    folder.mkdir()
    server = subprocess.Popen([str(installed.wopr), 'serve', '--port', '0'], cwd=folder, env=installed.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        url = re.search(r'http://\S+/', line)
        assert url, line + server.stderr.read()
        open_page(page, url.group(0))
        play_game(page, load(DEFAULT.read_bytes()), 'X', random_player(random.Random(1)))
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert (folder / 'site' / 'index.html').is_file()


def test_publish_from_any_folder(installed, endpoint):
    folder = installed.home / 'publishing'
    folder.mkdir()
    result = installed.run('publish', 's3://wheel-bk/wopr', '--endpoint-url', endpoint.url, '--create-bucket',
                           cwd=folder)
    assert result.returncode == 0, result.stderr
    keys = {o['Key'] for o in endpoint.client().list_objects_v2(Bucket='wheel-bk')['Contents']}
    assert {'wopr/index.html', 'wopr/micropython.wasm', 'wopr/sw.js', f'wopr/{site.RUNTIME}'} <= keys

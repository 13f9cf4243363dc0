"""The sites the page tests open: the built site, copies with a tampered catalog (a wrong sha256 for the second file,
the first, or all), one whose first entry lies about itself, and knowledge files outside any catalog (a lively one,
broken ones, lying ones, hostile metadata, deep nesting, a huge digit string)."""
import json
import shutil

import pytest

from tests.support.knowledge_files import contract_metadata, lying_files, make_knowledge, make_model, write_knowledge
from wopr.runtime.format import KnowledgeError
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT
from wopr.web import site

NOT_A_STRING = {'toString': 1, 'valueOf': {'x': 1}}  # an object where a page expects a string or a number
HOSTILE = {  # metadata values of the types the page does not expect, in every field it shows (the runtime refuses them)
    'training': {k: NOT_A_STRING for k in ('method', 'games', 'seconds', 'trained_epochs', 'centre_first', 'name',
                                           'lr', 'versions')} | {'toString': 'x', 'batch': [NOT_A_STRING]},
    'history': [NOT_A_STRING, 5, None, 'x', {'loss': NOT_A_STRING, 'fastest_pct': 'x', 'epoch': [1],
                                            'perfect': NOT_A_STRING}],
    'evaluation': {'X': {'wins': NOT_A_STRING, 'losses': NOT_A_STRING, 'games': [1]}, 'O': 'oops',
                   'perfect': NOT_A_STRING, 'random': {'games': NOT_A_STRING, 'X': 3, 'O': None}},
}
LONG = 'W' * 1000
EXTREME = {  # what the runtime lets through at its limits: the longest texts, the largest numbers, 500 epochs
    'training': {'method': LONG, 'games': 2 ** 53 + 1, 'seconds': 1e308, 'trained_epochs': 10 ** 15,
                 'versions': {f'v{i}': LONG for i in range(40)}} | {f'k{"e" * 90}{i}': LONG for i in range(40)},
    'history': [{'epoch': i, 'loss': 1e308 if i % 2 else 0.0, 'fastest_pct': 100 * (i % 2), 'perfect': i % 3 == 0}
                for i in range(500)],
    'evaluation': {'X': {'games': 10 ** 15, 'losses': 1, 'optimal_pct': 100}, 'O': {'games': 3, 'losses': 0},
                   'random': {'games': 2 ** 60, 'X': {'wins': 2 ** 60}, 'O': {'wins': 0}}},
}


def broken_files():
    """Hostile or damaged knowledge, each with the CPython reader's own message for it."""
    good = DEFAULT.read_bytes()
    nan = bytearray(good)
    nan[-4:] = b'\x00\x00\xc0\x7f'  # the last weight (head.bias, F32) becomes NaN
    files = {'truncated.safetensors': good[:len(good) // 2], 'nan.safetensors': bytes(nan),
             'huge-header.safetensors': (2 ** 40).to_bytes(8, 'little') + b'{}',
             'notes.safetensors': b'Shall we play a game? Not with this file.'}
    messages = {}
    for name, data in files.items():
        with pytest.raises(KnowledgeError) as refused:
            load(data)
        messages[name] = (data, str(refused.value))
    return messages


def odd_metadata(directory):
    """Files whose metadata a careless page would trip on: {name: path}."""
    state = make_model(4).state_dict()
    as_json = {key: json.dumps(value) for key, value in HOSTILE.items()}
    files = {'hostile.safetensors': contract_metadata(4, **as_json),
             'extreme.safetensors': contract_metadata(4, **{k: json.dumps(v) for k, v in EXTREME.items()}),
             'digits.safetensors': contract_metadata(4, training=json.dumps({'games': '9' * 390_000,
                                                                             'method': '7' * 390_000}))}
    for depth in (500, 2000, 100_000):  # MicroPython parses them all (only the first, before the runtime's checks)
        files[f'deep{depth}.safetensors'] = contract_metadata(4, training='{"deep": ' + '[' * depth + ']' * depth + '}')
    return {name: write_knowledge(directory / name, state, metadata) for name, metadata in files.items()}


def hostile_catalog(site_dir):
    """A copy of a built site whose catalog says odd things: objects where the page expects strings, numbers or
    flags, and entries that are not entries at all."""
    catalog_path = site_dir / 'knowledge' / 'index.json'
    catalog = json.loads(catalog_path.read_text())
    second = catalog['knowledge'][1]
    second.update(method=NOT_A_STRING, hidden_size=NOT_A_STRING, evaluation=HOSTILE['evaluation'])
    catalog['knowledge'] += [None, 5, 'x', {'name': NOT_A_STRING, 'file': 'a', 'sha256': 'b'}]
    catalog_path.write_text(json.dumps(catalog))


class Web:
    def __init__(self, root, url):
        self.root, self.url = root, url
        self.lively = load((root / 'extra' / 'lively.safetensors').read_bytes())
        self.catalog = json.loads((root / 'good' / 'knowledge' / 'index.json').read_text())['knowledge']

    def entry(self, method):
        return next(e for e in self.catalog if e['method'] == method)

    def knowledge(self, entry):
        return load((self.root / 'good' / 'knowledge' / entry['file']).read_bytes())


def tampered(root, name, entries):
    """A copy of the built site as /name/, whose catalog has a wrong sha256 for the entries at `entries`."""
    shutil.copytree(root / 'good', root / name)
    catalog_path = root / name / 'knowledge' / 'index.json'
    catalog = json.loads(catalog_path.read_text())
    for i in entries:
        catalog['knowledge'][i]['sha256'] = '0' * 64
    catalog_path.write_text(json.dumps(catalog))


def build_sites(root, built):
    """/good/ is the built site (a copy of `built`); /tampered/, /refused-first/ and /refused-all/ copies whose
    catalog has a wrong sha256 for its second file, its first, or every one; /claims/ a copy whose catalog (as the
    build writes it) starts with a zero-weight file carrying the default's evaluation and history; /extra/ knowledge
    files outside any catalog (lying_files' among them); /hostile/ a copy whose catalog says odd things."""
    shutil.copytree(built, root / 'good')
    count = len(json.loads((root / 'good' / 'knowledge' / 'index.json').read_text())['knowledge'])
    tampered(root, 'tampered', [1])
    tampered(root, 'refused-first', [0])
    tampered(root, 'refused-all', range(count))
    (root / 'extra').mkdir()
    make_knowledge(root / 'extra', hidden=16, seed=3, scale=3.0, name='lively.safetensors')
    for name, (data, _) in broken_files().items():
        (root / 'extra' / name).write_bytes(data)
    odd_metadata(root / 'extra')
    lies = lying_files(root / 'extra')
    shutil.copytree(root / 'good', root / 'claims')
    for rel, data in site.knowledge_files([lies['copied'], DEFAULT]).items():
        (root / 'claims' / rel).write_bytes(data)
    shutil.copytree(root / 'good', root / 'hostile')
    hostile_catalog(root / 'hostile')

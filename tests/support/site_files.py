"""The sites the page tests open: the built site, a copy with a tampered catalog, and knowledge files outside any
catalog (a lively one, broken ones, hostile metadata, deep nesting, a huge digit string)."""
import json
import shutil

import pytest

from tests.support.knowledge_files import contract_metadata, make_knowledge, make_model, write_knowledge
from wopr.runtime.format import KnowledgeError
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT
from wopr.web import site

NOT_A_STRING = {'toString': 1, 'valueOf': {'x': 1}}  # an object where a page expects a string or a number
HOSTILE = {  # metadata values of the types the page does not expect, in every field it shows
    'training': json.dumps({k: NOT_A_STRING for k in (
        'method', 'games', 'seconds', 'trained_epochs', 'centre_first', 'name', 'lr', 'versions')}
        | {'toString': 'x', 'batch': [NOT_A_STRING]}),
    'history': json.dumps([NOT_A_STRING, 5, None, 'x', {'loss': NOT_A_STRING, 'fastest_pct': 'x', 'epoch': [1],
                                                      'perfect': NOT_A_STRING}]),
    'evaluation': json.dumps({'X': {'wins': NOT_A_STRING, 'losses': NOT_A_STRING, 'games': [1]}, 'O': 'oops',
                              'perfect': NOT_A_STRING, 'random': {'games': NOT_A_STRING, 'X': 3, 'O': None}}),
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
    files = {'hostile.safetensors': contract_metadata(4, **HOSTILE),
             'digits.safetensors': contract_metadata(4, training=json.dumps({'games': '9' * 390_000,
                                                                             'method': '7' * 390_000}))}
    for depth in (500, 2000, 100_000):  # parsed and answered by MicroPython; too deep for its json.dumps; for both
        files[f'deep{depth}.safetensors'] = contract_metadata(4, training='{"deep": ' + '[' * depth + ']' * depth + '}')
    return {name: write_knowledge(directory / name, state, metadata) for name, metadata in files.items()}


class Web:
    def __init__(self, root, url):
        self.root, self.url = root, url
        self.lively = load((root / 'extra' / 'lively.safetensors').read_bytes())
        self.catalog = json.loads((root / 'good' / 'knowledge' / 'index.json').read_text())['knowledge']

    def entry(self, method):
        return next(e for e in self.catalog if e['method'] == method)

    def knowledge(self, entry):
        return load((self.root / 'good' / 'knowledge' / entry['file']).read_bytes())


def build_sites(root):
    """/good/ is the built site, /tampered/ a copy whose catalog has a wrong sha256 for its second file, /extra/
    knowledge files outside any catalog, /hostile/ a site built with the hostile file in its catalog."""
    site.build(root / 'good')
    shutil.copytree(root / 'good', root / 'tampered')
    catalog_path = root / 'tampered' / 'knowledge' / 'index.json'
    catalog = json.loads(catalog_path.read_text())
    catalog['knowledge'][1]['sha256'] = '0' * 64
    catalog_path.write_text(json.dumps(catalog))
    (root / 'extra').mkdir()
    make_knowledge(root / 'extra', hidden=16, seed=3, scale=3.0, name='lively.safetensors')
    for name, (data, _) in broken_files().items():
        (root / 'extra' / name).write_bytes(data)
    odd = odd_metadata(root / 'extra')
    site.build(root / 'hostile', [DEFAULT, odd['hostile.safetensors']])

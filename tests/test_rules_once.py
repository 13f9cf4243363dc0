"""Rules the page shares with the Python side are written once, in Python: the page's JS has no twin of them."""
import json
import re

from wopr.runtime.game import LESSON, OPENINGS, SPEEDUP
from wopr.sources import MAX_BYTES
from wopr.web.site import RULES, STATIC

TWINS = [r'const (OPENINGS|MAX_BYTES|SPEEDUP|LESSON)\b', r'64 \* 1024', str(MAX_BYTES), ', '.join(map(str, OPENINGS[:4])),
         rf'\b{re.escape(str(SPEEDUP))}\b', LESSON[:20]]


def test_the_page_s_sources_write_no_twin_of_a_python_rule():
    for path in STATIC.glob('*.js'):
        text = path.read_text()
        assert not [t for t in TWINS if re.search(t, text)], path.name


def test_the_built_modules_declare_python_s_values_before_their_code(built_site):
    folder, _ = built_site
    expected = {'scene.js': {'OPENINGS': list(OPENINGS), 'SPEEDUP': SPEEDUP, 'LESSON': LESSON},
                'worker.js': {'MAX_BYTES': MAX_BYTES}}
    assert expected == RULES
    for name, rules in expected.items():
        head = (folder / name).read_text().split('\n')[:len(rules)]
        assert head == [f'const {k} = {json.dumps(v, separators=(",", ":"))};' for k, v in rules.items()], name

"""Rules the page shares with the Python side are written once, in Python: the page's JS has no twin of them."""
import json
import re

from tests.support.knowledge_files import lying_files
from wopr.cli import level_knowledge
from wopr.runtime.game import LESSON, OPENINGS, SPEEDUP
from wopr.sources import DEFAULT, KNOWLEDGE_DIR, MAX_BYTES
from wopr.web.site import RULES, STATIC, knowledge_files

# each a rule's shape in JS: its constant declared, its value written out; the easy level's method; the chart's
# scale and axis; the safetensors sniff (the header's opening brace)
TWINS = [r'const (OPENINGS|MAX_BYTES|SPEEDUP|LESSON)\b', r'64 \* 1024', str(MAX_BYTES),
         ', '.join(map(str, OPENINGS[:4])), rf'\b{re.escape(str(SPEEDUP))}\b', LESSON[:20], 'winning-x',
         r'\bscale\s*[=(]', r"\['epoch', 'games'\]", r'0x7b|\b123\b|[\'"]\{[\'"]']


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


def catalog_of(locations):
    return json.loads(knowledge_files(locations)['knowledge/index.json'])


def test_the_easy_level_is_chosen_once_the_site_and_the_terminal_alike(built_site):
    folder, _ = built_site
    catalog = json.loads((folder / 'knowledge' / 'index.json').read_text())
    path, _ = level_knowledge('easy')
    assert catalog['levels'] == {'easy': path.stem} and path.stem == 'original-method'


def test_without_the_2018_method_easy_takes_the_first_network_its_check_finds_beatable(tmp_path):
    """Never a file's own word: `copied` claims the default's perfect figures, the check finds it loses."""
    lying = lying_files(tmp_path)
    assert catalog_of([DEFAULT, lying['copied']])['levels'] == {'easy': 'copied'}
    assert catalog_of([DEFAULT, KNOWLEDGE_DIR / 'wide.safetensors'])['levels'] == {'easy': 'default'}  # none: default

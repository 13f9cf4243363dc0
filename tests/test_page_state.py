"""The page has one owner of its state: app.js's `page`, drawn by view.js; no other page module keeps state of its own
at module level, and no module hands hooks back to another."""
import re

from wopr.web.site import STATIC

# The page's modules (worker.js and sw.js run in contexts of their own, each its own owner).
PAGE = sorted(p for p in STATIC.glob('*.js') if p.name not in ('worker.js', 'sw.js'))
TOP_LEVEL_STATE = re.compile(r'^(let|var)\s|^const \w+ = (new (Map|Set|WeakMap)\b|\[\]|\{\})', re.M)


def test_only_app_js_keeps_the_page_s_state():
    assert {p.name for p in PAGE} >= {'app.js', 'state.js', 'view.js', 'knowledge.js', 'engine.js', 'effects.js'}
    kept = {p.name: TOP_LEVEL_STATE.findall(p.read_text()) for p in PAGE}
    assert {name: found for name, found in kept.items() if found} == {}
    owners = [p.name for p in PAGE if re.search(r'^const page = createState\(', p.read_text(), re.M)]
    assert owners == ['app.js']


def test_modules_take_no_hooks_and_only_app_js_changes_the_page():
    for path in PAGE:
        text = path.read_text()
        assert not re.search(r'\bonFailure\b|\bhooks\b', text), path.name
        if path.name != 'app.js':  # the others read a state given to them, or return what they found
            assert not re.search(r'\bpage\.\w+\s*=[^=]', text), path.name


def test_one_render_draws_the_page():
    renders = [p.name for p in PAGE if re.search(r'^export function render\(s\)', p.read_text(), re.M)]
    assert renders == ['view.js']
    assert 'render(page)' in (STATIC / 'app.js').read_text()

"""The package's structure, read from its imports (those inside functions too): each part imports only the parts
below it, runtime <- (solver, evaluate) <- train <- cli, the side parts never train, and no module imports itself
back through others. PyTorch stays inside train."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import wopr

PACKAGE = Path(wopr.__file__).parent
# what each part may import of the package; a part is a folder (runtime, train, web) or a top-level module
MAY_IMPORT = {
    'runtime': set(),
    'solver': {'runtime'},
    'evaluate': {'runtime', 'solver'},
    'train': {'runtime', 'solver', 'evaluate', 'sources'},
    's3': set(),
    'sources': {'runtime', 's3'},
    'web': {'runtime', 'evaluate', 'sources'},
    'bucket': {'s3'},
    'publish': {'s3', 'bucket', 'web'},
    'text': set(),
    'usage': {'text'},
    'report': {'runtime', 'evaluate', 'text'},
    'terminal': {'runtime', 'text'},
    'export': {'runtime', 'evaluate', 'train', 'report', 'sources', 'text'},
    'cli': {'runtime', 'solver', 'evaluate', 'train', 's3', 'sources', 'web', 'publish', 'report', 'terminal',
            'export', 'text', 'usage'},
    '__main__': {'cli'},
    '__init__': set(),  # the package's face (its version), which any part may read
}
TORCH = {'torch', 'numpy', 'safetensors', 'onnx'}  # the `train` and `onnx` extras: only the trainer and exporter


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def modules():
    return {module_name(p): p for p in PACKAGE.rglob('*.py')}


def imports(path, known):
    """Every module `path` imports, anywhere in it, as absolute dotted names."""
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            # `from . import solver` imports a module; `from .board import EMPTY` a name of one
            found |= {f'{base}.{a.name}' if f'{base}.{a.name}' in known else base for a in node.names}
    return found


def part(name):
    """'wopr.runtime.game' -> 'runtime', 'wopr.cli' -> 'cli', 'wopr' -> '__init__'."""
    parts = name.split('.')
    return parts[1] if len(parts) > 1 else '__init__'


def graph():
    known = modules()
    return {name: {m for m in imports(path, known) if m.split('.')[0] == 'wopr' and m != name}
            for name, path in known.items()}


def test_every_part_has_a_rule():
    assert {part(name) for name in modules()} <= set(MAY_IMPORT)


def test_each_part_imports_only_the_parts_below_it():
    wrong = sorted((name, target) for name, targets in graph().items() for target in targets
                   if target != 'wopr' and part(target) != part(name) and part(target) not in MAY_IMPORT[part(name)])
    assert wrong == []


def test_no_import_cycles():
    edges, state, cycles = graph(), {}, []

    def visit(name, path):
        state[name] = 'open'
        for target in sorted(edges.get(name, ())):
            if state.get(target) == 'open':
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 'done'

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_torch_stays_in_the_trainer():
    known = modules()
    users = sorted(name for name, path in known.items() if part(name) not in ('train', 'export')
                   and any(m.split('.')[0] in TORCH for m in imports(path, known)))
    assert users == []


def test_the_rules_tests_run_without_the_trainer(tmp_path):
    """The suite's shared fixtures import no PyTorch: tests of the rules run on the base install."""
    (tmp_path / 'torch').mkdir()
    (tmp_path / 'torch' / '__init__.py').write_text('raise ImportError("torch is blocked for this test")\n')
    root = Path(__file__).parents[1]
    result = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_board.py',
                             'tests/test_solver.py'], cwd=root, env={**os.environ, 'PYTHONPATH': str(tmp_path)},
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

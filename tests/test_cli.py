"""What the command line prints: a file's strings without escape sequences (no retitled window, cleared screen,
clipboard write or disguised link), error lines unwrapped, every usage error one line (exit code 2), help written as by
hand, bounded work for any option, and a game that any stdin cannot stop."""
import os
import re
import resource
import subprocess
import time
import unicodedata
from inspect import signature

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.support.commands import WOPR, cli, one_error_line, one_line
from tests.support.metadata import knowledge_bytes
from wopr.cli import app
from wopr.runtime.knowledge import load
from wopr.sources import DEFAULT
from wopr.text import clean

TRAINING = load(DEFAULT.read_bytes()).training  # as `wopr train` writes it
ESC = '\x1b'
ATTACKS = {
    'title': ESC + ']0;pwned' + '\x07',                       # OSC 0: the window's title
    'clear': ESC + '[2J' + ESC + '[H',                         # CSI 2J: clear the screen
    'clipboard': ESC + ']52;c;ZWNobyBwd25lZA==' + ESC + '\\',  # OSC 52: write the clipboard
    'link': ESC + ']8;;http://evil.example/' + ESC + '\\click' + ESC + ']8;;' + ESC + '\\',  # OSC 8: a disguised link
    'c1': '\x9b31m\x9d0;eight-bit\x9c',                        # the 8-bit CSI and OSC
    'dcs': ESC + 'P1$r' + ESC + '\\',                          # DCS
    'bidi': '\u202etxt.exe',                                    # right-to-left override
    'lone': ESC + 'c',                                          # RIS: reset the terminal
    'controls': 'a\x00b\x07c\x08d\re\x7ff',
}
# what a terminal could act on: ESC, BEL, C1 controls, and the other controls and bidi/format characters
UNSAFE = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')


def test_clean_removes_every_escape_and_keeps_the_text():
    for name, attack in ATTACKS.items():
        text = clean(f'before {attack} after')
        assert not UNSAFE.search(text), (name, text)
        assert text.startswith('before ') and text.endswith(' after'), (name, text)
    assert clean(ATTACKS['link']) == 'click' and clean(ATTACKS['title'] + 'x') == 'x'
    assert clean('a\ud800b\n\tc  d') == 'ab c d' and clean('x' * 10, 5) == 'xxxx…'


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=40))
def test_clean_leaves_only_printable_text_on_one_line(text):
    out = clean(text)
    assert all(unicodedata.category(c)[0] != 'C' for c in out)
    assert '\n' not in out and out == out.strip() and clean(out) == out
    out.encode('utf-8')  # no surrogate left


def hostile_file(tmp_path):
    """Every attack in every string the terminal shows: a plain metadata key and value, training keys and values (the
    game's greeting shows `name`), versions, history keys, and an evaluation in a layout of its own."""
    attack = ''.join(ATTACKS.values())
    training = {**TRAINING, 'name': 'nice' + attack, 'method': attack, 'versions': {'torch' + ESC + '[31m': attack},
                ESC + ']0;key' + '\x07': attack[:900]}
    history = [{'epoch': 1, 'loss': 0.5, ATTACKS['title'] + 'elo': 1.0}, {'epoch': 2, 'loss': 0.25}]
    data = knowledge_bytes(training=training, history=history, evaluation={ATTACKS['clear']: ATTACKS['link']},
                           **{ATTACKS['clipboard']: attack})
    path = tmp_path / 'hostile.safetensors'
    path.write_bytes(data)
    return path


def run(*args, stdin=b'', env=None):
    """`wopr *args` as a real process, stdout and stderr pipes (not a terminal), bytes on stdin."""
    return subprocess.run([*WOPR, *map(str, args)], input=stdin, capture_output=True, timeout=120, check=False,
                          env={**os.environ, **(env or {})})


def test_inspect_and_play_print_no_escape(tmp_path):
    path = hostile_file(tmp_path)
    inspect = run('inspect', path)
    play = run('play', '--knowledge', path, stdin=b'q\n')
    for result in (inspect, play):
        out = result.stdout.decode() + result.stderr.decode()
        assert result.returncode == 0 and 'Traceback' not in out, out
        assert not UNSAFE.search(out), UNSAFE.search(out)
    assert 'click' in inspect.stdout.decode() and 'elo' in inspect.stdout.decode()
    assert '(knowledge: niceclick' in one_line(play.stdout.decode())


def test_an_error_quoting_the_file_prints_no_escape(tmp_path):
    path = tmp_path / 'bad.safetensors'
    path.write_bytes(knowledge_bytes(training={ATTACKS['title'] + 'games': {}}))
    result = run('inspect', path)
    assert result.returncode == 1 and not UNSAFE.search(result.stderr.decode().rstrip('\n'))
    assert result.stderr.decode().startswith('error: metadata training.games is an object')


def test_error_lines_are_one_line_whatever_the_width(tmp_path):
    """stderr is not a terminal here: rich assumed 80 columns and broke long errors over several lines."""
    missing = tmp_path / ('a-long-folder-name-' * 8) / 'missing.safetensors'
    for env in ({}, {'COLUMNS': '30'}):
        result = run('inspect', missing, env=env)
        assert result.returncode == 1 and result.stderr.decode() == f'error: no such file: {missing}\n', result.stderr


def test_history_figures_near_the_float64_limit_are_shown(tmp_path):
    path = tmp_path / 'k.safetensors'
    path.write_bytes(knowledge_bytes(history=[{'epoch': 1, 'loss': 1.7e308, 'elo': -1.7e308},
                                              {'epoch': 2, 'loss': 0.0, 'elo': 1.7e308}]))
    result = cli('inspect', path)
    assert result.exit_code == 0, result.output
    assert re.search(r'elo[\s│]+-1\.7e\+308[\s│]+1\.7e\+308[\s│]+▁█', result.output), result.output


def test_evaluate_refuses_a_number_of_games_it_cannot_hold():
    """10^8 random games were all allocated at once (the process grew without bound); the option is bounded. A real
    process with 2 GB of address space, so that a regression fails here rather than swamping the machine."""
    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    started = time.perf_counter()
    result = subprocess.run([*WOPR, 'evaluate', DEFAULT, '--games', '100000000'], capture_output=True, text=True,
                            timeout=120, check=False, preexec_fn=limited)
    assert result.returncode == 1 and result.stderr == 'error: --games must be from 0 to 10,000, not 100000000\n'
    assert time.perf_counter() - started < 30
    for games in (10_001, -1):
        assert f'--games must be from 0 to 10,000, not {games}' in one_error_line(cli('evaluate', DEFAULT, '--games',
                                                                                       games))


def test_any_stdin_leaves_the_game_playing():
    """A line of 4,301+ digits (isdecimal(), then int() failed), bytes that are not UTF-8 (with a strict stdin they
    killed the input), other scripts' digits, NULs, escapes, a long line: each is a wrong move and the game goes on."""
    odd = [b'9' * 5000, b'\xff\xfe5', b'\xc3', '\u0663'.encode(), '\uff15'.encode(), b'\x00', b'5\x005',
           (ESC + '[2J').encode(), b'x' * 100_000, b' 1 2 ', b'-1', b'+5', b'5.0', b'0x5']
    script = b'\n'.join(odd) + b'\n5\r\nq\n'
    for env in ({}, {'PYTHONIOENCODING': 'utf-8:strict'}):
        result = run('play', stdin=script, env=env)
        out, errors = result.stdout.decode(errors='replace'), result.stderr.decode(errors='replace')
        assert result.returncode == 0 and errors == '', errors[-2000:]
        assert out.count('is not a cell') == len(odd) and out.count('WOPR plays') == 1  # '5\r' was the one move
        assert out.rstrip().endswith('Goodbye.')


# Usage errors and help: every command of the tree, every option that takes a value
def command_tree(command=None, path=()):
    """(path, click command) of `wopr` and each of its commands and groups, depth first."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, 'commands', {}).items():
        yield from command_tree(sub, (*path, name))


COMMANDS = [(path, command) for path, command in command_tree() if not hasattr(command, 'commands')]


def required_args(command, but=None):
    """What a command needs to parse (a dummy per required argument and option), the parameter `but` left out."""
    args = []
    for param in command.params:
        if param.required and param is not but:
            args += ['x'] if param.param_type_name == 'argument' else [param.opts[0], 'x']
    return args


def value_options(command):
    return [p for p in command.params if p.param_type_name == 'option' and not p.is_flag and p.name != 'help']


def number_options(command):
    annotations = signature(command.callback).parameters
    return [p for p in value_options(command) if annotations[p.name].annotation in (int, float)]


def usage_cases():
    """(args, the line's start) of a usage error for each command: an unknown option, a missing argument, each value
    option without its value, each number option with a word."""
    for path, command in COMMANDS:
        yield [*path, *required_args(command), '--no-such-option'], 'error: no such option: --no-such-option'
        for param in command.params:
            if param.required:
                yield [*path, *required_args(command, but=param)], f'error: missing {param.param_type_name}'
        for param in value_options(command):
            yield [*path, *required_args(command), param.opts[0]], f"error: option '{param.opts[0]}' requires an"
        for param in number_options(command):
            name = next(o for o in param.opts if o.startswith('--'))
            yield [*path, *required_args(command), name, 'abc'], f'error: {name}: '
    for path, group in command_tree():
        if hasattr(group, 'commands'):
            yield [*path, '--no-such-option'], 'error: no such option: --no-such-option'
            yield [*path, 'no-such-command'], "error: no such command 'no-such-command'"
    yield ['plya'], "error: no such command 'plya'. Did you mean 'play'?"
    yield ['play', '--pace', '-1'], 'error: --pace: must be greater than or equal to 0 (got -1)'
    at_most = 'error: --pace: must be less than or equal to 60'
    for pace in ('inf', '1e300', '61', 'nan'):  # time.sleep(inf) overflowed, sleep(nan) failed: a traceback
        yield ['play', '--players', '0', '--pace', pace], f'{at_most} (got {pace})'
    yield ['play', '--seed', ''], ("error: --seed: must be a valid integer, unable to parse string as an integer "
                                   "(got '')")
    yield ['serve', '--port', '65536'], 'error: --port: must be less than or equal to 65535 (got 65536)'


def one_usage_line(result):
    """The whole output of a usage error: one `error:` line on stderr, exit code 2 (click's), nothing on stdout."""
    assert result.exit_code == 2 and result.stdout == '', result.output
    assert result.stderr.startswith('error: ') and result.stderr.count('\n') == 1, result.stderr
    return result.stderr.rstrip('\n')


@pytest.mark.parametrize('args, start', [pytest.param(*case, id=' '.join(case[0])) for case in usage_cases()])
def test_every_usage_error_is_one_line_with_exit_code_2(args, start):
    assert one_usage_line(cli(*args)).startswith(start)


def test_a_usage_error_from_a_real_process():
    result = subprocess.run([*WOPR, 'play', '--seed', 'abc'], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and result.stdout == ''
    assert result.stderr == ('error: --seed: must be a valid integer, unable to parse string as an integer '
                             '(got abc)\n')


@settings(max_examples=60, deadline=None)
@given(games=st.one_of(st.text(max_size=20), st.integers().map(str), st.floats().map(str)))
def test_any_value_of_a_number_option_gives_one_line(games):
    """Whatever follows --games: a usage error (2) when it is not a whole number, else the range check or the
    missing file (1); always one line, whatever it holds (newlines, escapes)."""
    result = cli('evaluate', '/no/such/file', '--games', games)
    assert result.exit_code in (1, 2) and result.stdout == '', result.output
    assert result.stderr.count('\n') == 1 and not UNSAFE.search(result.stderr.rstrip('\n')), result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith('error: --games: ')


@pytest.mark.parametrize('path', [path for path, _ in command_tree()], ids=lambda path: ' '.join(path) or 'wopr')
def test_help_reads_as_written_by_hand(path):
    """No typer-isms: no <bool> beside a flag (nor <str>, <int>), no {knowledge} in the usage line, no boxes; the
    usage line names each argument in capitals."""
    result = CliRunner().invoke(app, [*path, '--help'], prog_name='wopr')
    text = result.stdout
    assert result.exit_code == 0 and text.startswith(f'Usage: {" ".join(["wopr", *path])} [OPTIONS]'), text
    assert not re.search(r'<\w+[^>]*>', text) and '{' not in text and '}' not in text, text
    assert not re.search('[\u2500-\u257f]', text), text  # box drawing
    command = dict(command_tree())[path]
    for param in command.params:
        if param.param_type_name == 'argument':
            assert param.name.upper() in text.splitlines()[0]


@pytest.mark.parametrize('path', [(), ('site',)], ids=['wopr', 'site'])
def test_a_group_called_alone_shows_its_help(path):
    result = CliRunner().invoke(app, list(path), prog_name='wopr')
    assert result.exit_code == 2 and 'Commands:' in result.output and 'error' not in result.output  # click's

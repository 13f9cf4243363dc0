"""The `wopr` command line as the tests run it: in-process through typer's CliRunner, or as a real process."""
import subprocess
import sys
import traceback

from typer.testing import CliRunner

from wopr.cli import app

WOPR = [sys.executable, '-m', 'wopr']


def cli(*args):
    """`wopr *args` through CliRunner; a crash (any exception but a clean exit) fails the test at once."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert isinstance(result.exception, (SystemExit, type(None))), ''.join(traceback.format_exception(
        *result.exc_info))
    assert 'Traceback' not in result.output, result.output
    return result


def one_line(text):
    """The text with rich's wrapping undone (it wraps long lines to the terminal's width)."""
    return ' '.join(text.split())


def one_error_line(result):
    """The whole output of a failed command is one `error:` message with exit code 1; returned unwrapped."""
    text = one_line(result.output)
    assert result.exit_code == 1 and text.startswith('error: ') and text.count('error:') == 1, result.output
    return text


def wopr(*args, script='', timeout=60):
    """`wopr *args` as a real process, `script` typed on its stdin."""
    return subprocess.run([*WOPR, *map(str, args)], check=False, input=script, capture_output=True, text=True,
                          timeout=timeout)

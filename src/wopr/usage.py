"""How the command line reads: one plain line for every usage error (click's exit code 2) and for every other
mistake (exit code 1, see cli.user_errors), and help written as by hand (no boxes, no <bool>, no {knowledge}): typer's
app with wopr's own click Command and Group."""
import re
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from .text import clean

err = Console(stderr=True)
out = Console()


def error_line(message, label='error'):
    """One line on stderr, never wrapped (whatever the width, a terminal or not); the message is cleaned, as it may
    quote a file's strings."""
    err.print(f'[bold red]{label}:[/] {escape(clean(message))}', highlight=False, soft_wrap=True)  # "wopr[s3]": text


@contextmanager
def usage_line():
    """click's errors (a usage error: exit code 2) as one plain line, not click's usage, hint and message."""
    try:
        yield
    except typer.TyperException as e:  # the base of click's exceptions, as typer vendors click
        error_line(usage_message(e))
        raise typer.Exit(e.exit_code) from None


def usage_message(e):
    """'--pace: must be greater than or equal to 0 (got -1)'; other errors in click's words, lower case."""
    message = e.format_message().rstrip('.')
    if type(e) is typer.BadParameter and e.param is not None:  # a value of the wrong kind (not a missing one)
        name = e.param.metavar if e.param.param_type_name == 'argument' else long_name(e.param)
        typed = [error['input'] for error in getattr(e.__cause__, 'errors', list)()]  # pydantic's, if typer used it
        message = f"{name}: {re.sub('^Input should be', 'must be', e.message.rstrip('.'))}"
        if typed:
            shown = str(typed[0])
            message += f' (got {shown if shown and shown == shown.strip() else repr(shown)})'  # '' and ' 5' quoted
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def long_name(option):
    """'--knowledge' of -k/--knowledge: the first long one."""
    return next((name for name in option.opts if name.startswith('--')), option.opts[0])


class OneLineUsage:
    """A click command or group whose usage errors are one line; a group called alone shows its help, as click does."""

    def parse_args(self, ctx, args):
        if not args and self.no_args_is_help:
            return super().parse_args(ctx, args)
        with usage_line():
            return super().parse_args(ctx, args)


class Command(OneLineUsage, typer.core.TyperCommand):
    """A command whose help reads as written by hand (--seed SEED, KNOWLEDGE: not <int>, {knowledge})."""

    def __init__(self, *args, params=(), **kwargs):
        for param in params:  # a value named after its option, as argparse does: --out OUT, --endpoint-url ENDPOINT_URL
            if param.metavar is None and not getattr(param, 'is_flag', False):
                param.metavar = long_name(param).lstrip('-').replace('-', '_').upper()
        super().__init__(*args, params=params, **kwargs)

    def collect_usage_pieces(self, ctx):
        return [self.options_metavar, *(p.metavar if p.required else f'[{p.metavar}]' for p in self.arguments(ctx))]

    def arguments(self, ctx):
        return [p for p in self.get_params(ctx) if p.param_type_name == 'argument']

    def format_options(self, ctx, formatter):
        """Each argument by its name and help (typer would add its type, <str>), then the options."""
        options = [p.get_help_record(ctx) for p in self.get_params(ctx) if p.param_type_name == 'option']
        for title, rows in (('Arguments', [(p.metavar, p.help or '') for p in self.arguments(ctx)]),
                            ('Options', [row for row in options if row])):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class Group(OneLineUsage, typer.core.TyperGroup):
    """A group of commands: an unknown command is one line too."""

    def resolve_command(self, ctx, args):
        with usage_line():
            return super().resolve_command(ctx, args)


class Typer(typer.Typer):
    """typer's app with plain help (no boxes, no <bool>) and wopr's `Command` and `Group` classes."""

    def __init__(self, **settings):
        super().__init__(cls=Group, rich_markup_mode=None, pretty_exceptions_enable=False, **settings)

    def command(self, *args, **settings):
        return super().command(*args, cls=Command, **settings)

"""`python -m wopr`: the command line."""
from .cli import app

app(prog_name="wopr")

"""The page's scripts and style sheets minified at build (tdewolff's minify, pinned); their sources stay readable."""
from pathlib import PurePosixPath

import minify

MEDIA_TYPES = {'.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css'}


def minifiable(rel):
    return PurePosixPath(rel).suffix.lower() in MEDIA_TYPES


def minified(rel, data):
    """The bytes `data` of the site's file `rel`, minified where it is a script or a style sheet (a parser's work:
    ES modules, classes, template literals and all), else as they are. ValueError for a file it cannot parse."""
    if not minifiable(rel):
        return data
    try:
        return minify.string(MEDIA_TYPES[PurePosixPath(rel).suffix.lower()], data.decode()).encode()
    except (minify.MinifyError, UnicodeDecodeError) as e:
        raise ValueError(f'{rel} cannot be minified: {str(e).splitlines()[0]}') from None

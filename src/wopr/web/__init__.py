"""The browser game: static page sources, the site build and a local static server."""

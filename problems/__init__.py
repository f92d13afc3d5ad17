"""The example problem files, shipped inside the package as ``sirenpde.examples``.

This file makes the folder importable under that name (``pyproject.toml`` maps the package onto
this folder), so that ``importlib.resources`` finds the files in an installed wheel and in an
editable install alike. ``sirenpde examples DEST`` copies them out.
"""

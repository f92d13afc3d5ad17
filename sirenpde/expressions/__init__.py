"""Expressions written as text: the whitelisted compiler (never ``eval``), its vocabulary, residuals
written as text, and coefficient expressions.

May import ``derivatives`` (residuals ask the Fields seam for the derivatives they name); nothing of
training, config or the CLI.
"""

"""The networks: the SIREN and its initialisers, the closed-form wrappers (source splitting, the
factored Eikonal form), the unknowns of inverse problems, and the model settings and builder.

Imports nothing of training, sampling, config or the CLI.
"""

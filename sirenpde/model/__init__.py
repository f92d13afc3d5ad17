"""The networks: the SIREN and its initialisers, the closed-form ansatz wrappers around it (one
protocol, :class:`~sirenpde.model.ansatz.AbstractAnsatz`: source splitting, the factored Eikonal
form; their registry by kind), the unknowns of inverse problems, and the model settings and builder.

Imports nothing of training, sampling, config or the CLI.
"""

"""The derivative seam: :class:`Fields` hands out u, ∇u, Δu, u_tt … of a model on a batch of points.

Owns the abstract seam, the autograd engine, the closed-form forward engine with its jet layers,
and the complex-field wrapper. May import ``model`` (what a forward pass runs through); nothing
of constraints, sampling, training, config or the CLI.
"""

"""Training: the loop and its phases (Adam, Levenberg–Marquardt, L-BFGS), the loss, balancing,
causal training, rollback, checkpoints, data-parallel jobs and the training settings.

Knows constraints, regions and a model — never a PDE: it never imports ``problems``, ``config`` or
the CLI.
"""

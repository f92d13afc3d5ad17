"""Where the points come from: batches, sampling strategies, residual-based adaptive pools (RAD) and
near-source importance sampling.

May import ``domains`` and ``constraints``; nothing of training, config or the CLI.
"""

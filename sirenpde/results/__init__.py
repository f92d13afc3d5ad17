"""Results: the :class:`Solution`, HDF5 save and load, meshing, atomic writes and plotting.

May import ``domains``, ``derivatives`` and ``model``; nothing of training, config or the CLI.
"""

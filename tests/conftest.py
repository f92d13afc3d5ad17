"""Test-suite settings.

One torch thread: the tests use tiny networks, for which a second thread only adds
synchronisation, and on a shared 2-core machine two threaded processes stall each other. The same
for NumPy's BLAS (SciPy's Delaunay-based interpolation starts its threads on first use), set before
NumPy is first imported.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

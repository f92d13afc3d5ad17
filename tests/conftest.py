"""Test-suite settings.

One torch thread: the tests use tiny networks, for which a second thread only adds
synchronisation, and on a shared 2-core machine two threaded processes stall each other.
"""

import torch

torch.set_num_threads(1)

import os

# Nothing in the tests downloads: Hugging Face names are looked up in the local cache only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

import utils

# As in the lessons: one CPU left for other work, so that a busy machine (CI beside other jobs, the
# notebooks these tests start) does not stall PyTorch's threads. OMP_NUM_THREADS overrides it.
utils.configure_threads()


def accelerators():
    """The non-CPU devices present on this machine (tests on them are skipped elsewhere)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found


ALL_DEVICES = ["cpu"] + [
    pytest.param(d, marks=pytest.mark.skipif(d not in accelerators(), reason=f"no {d} device here"))
    for d in ("cuda", "mps")
]


@pytest.fixture(params=ALL_DEVICES)
def device(request):
    return torch.device(request.param)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

# Setup: run this cell first. On Colab it installs the course; elsewhere it only makes `import utils` work.
import importlib.util, pathlib, subprocess, sys

COURSE_REPO = "https://github.com/transformers-first-principles/course"
if "google.colab" in sys.modules and importlib.util.find_spec("utils") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"git+{COURSE_REPO}"], check=True)
if importlib.util.find_spec("utils") is None:  # a clone opened without `pip install -r requirements.txt`
    here = pathlib.Path.cwd().resolve()
    sys.path.insert(0, str(next(p for p in (here, *here.parents) if (p / "utils" / "__init__.py").is_file())))

import torch
import utils

device = utils.get_device()
utils.seed_everything(0)
print("device:", device.type, "|", torch.cuda.get_device_name() if device.type == "cuda" else "no GPU")

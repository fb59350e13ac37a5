"""utils.checkpoints.files: finding a checkpoint in a folder or the Hugging Face cache, reading its weights."""
import shutil

import pytest
import torch

from utils.checkpoints import CheckpointError, checkpoint_folder, load_gpt2
from utils.checkpoints.files import check_tensors, read_weights

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=50, n_positions=16, n_embd=16, n_layer=1, n_head=2)
    hf = transformers.GPT2LMHeadModel(config).eval()
    folder = tmp_path_factory.mktemp("gpt2")
    hf.save_pretrained(folder)
    return folder, hf


def test_a_name_is_found_in_the_hugging_face_cache(gpt2_folder, tmp_path, monkeypatch):
    import huggingface_hub.constants

    folder, hf = gpt2_folder
    # The hub cache's layout: models--{org}--{name}/refs/main names a snapshot folder holding the files.
    repo = tmp_path / "models--course-tests--tiny-gpt2"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(folder, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    assert checkpoint_folder("course-tests/tiny-gpt2") == snapshot
    model, _ = load_gpt2("course-tests/tiny-gpt2")
    ids = torch.randint(0, 50, (1, 9))
    with torch.no_grad():
        assert (model(ids) - hf(ids).logits).abs().max() < 1e-4


def test_pytorch_model_bin_is_read_when_there_is_no_safetensors(gpt2_folder, tmp_path):
    folder, _ = gpt2_folder
    shutil.copy(folder / "config.json", tmp_path / "config.json")
    tensors = read_weights(folder)
    torch.save(tensors, tmp_path / "pytorch_model.bin")
    assert read_weights(tmp_path).keys() == tensors.keys()
    load_gpt2(tmp_path)


def test_a_folder_without_weights_or_config_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        checkpoint_folder(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no model.safetensors"):
        read_weights(tmp_path)


def test_check_tensors_names_every_problem():
    tensors = {"a": torch.zeros(2, 3), "b": torch.zeros(4), "extra": torch.zeros(1), "buffer.bias": torch.zeros(1)}
    with pytest.raises(CheckpointError) as err:
        check_tensors(tensors, {"a": (2, 3), "b": (5,), "c": (1,)}, "test", ignore=("*.bias",))
    message = str(err.value)
    assert "missing tensors: c" in message and "b: expected (5,), got (4,)" in message
    assert "unexpected tensors: extra" in message and "buffer.bias" not in message


def test_unsupported_options_are_named(gpt2_folder, tmp_path):
    import json

    folder, _ = gpt2_folder
    config = json.loads((folder / "config.json").read_text())
    shutil.copy(folder / "model.safetensors", tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps({**config, "activation_function": "tanh"}))
    with pytest.raises(CheckpointError, match="activation 'tanh'"):
        load_gpt2(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**config, "scale_attn_by_inverse_layer_idx": True}))
    with pytest.raises(CheckpointError, match="scale_attn_by_inverse_layer_idx=True is not supported"):
        load_gpt2(tmp_path)

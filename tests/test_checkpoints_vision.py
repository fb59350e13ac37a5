"""utils.checkpoints.load_vit and load_clip: ViT and CLIP checkpoints in the course's ViT and CLIP."""
import pytest
import torch
from hf_tiny import save
from safetensors.torch import load_file, save_file

import utils
from utils.checkpoints import CheckpointError, load_vit

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def vit_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.ViTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=4, intermediate_size=64,
                                    id2label={0: "cat", 1: "dog", 2: "bird"})
    hf = transformers.ViTForImageClassification(config).eval()
    return save(hf, tmp_path_factory.mktemp("vit")), hf


def test_vit_logits_equal_transformers(vit_checkpoint):
    folder, hf = vit_checkpoint
    model, _ = load_vit(folder)
    assert isinstance(model, utils.ViT) and not model.training and model.id2label == {0: "cat", 1: "dog", 2: "bird"}
    images = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        assert (model(images) - hf(pixel_values=images).logits).abs().max() < 1e-4


def test_vit_missing_and_mis_shaped_tensors_are_named(vit_checkpoint, tmp_path):
    folder, _ = vit_checkpoint
    tensors = load_file(str(folder / "model.safetensors"))
    del tensors["vit.encoder.layer.1.layernorm_after.bias"]
    tensors["vit.embeddings.position_embeddings"] = torch.zeros(1, 16, 32)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing tensors: vit\.encoder\.layer\.1\.layernorm_after\.bias") as err:
        load_vit(tmp_path)
    assert "vit.embeddings.position_embeddings: expected (1, 17, 32), got (1, 16, 32)" in str(err.value)

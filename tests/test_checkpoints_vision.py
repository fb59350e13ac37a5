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


@pytest.fixture(scope="module")
def clip_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    # Towers of different widths, as in the real CLIP; eos is the largest id, as in OpenAI's vocabulary.
    text = dict(vocab_size=99, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                max_position_embeddings=16, eos_token_id=98, pad_token_id=1, bos_token_id=97)
    vision = dict(image_size=32, patch_size=8, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                  num_attention_heads=4)
    config = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=24)
    hf = transformers.CLIPModel(config).eval()
    return save(hf, tmp_path_factory.mktemp("clip")), hf


def test_clip_embeddings_and_logits_equal_transformers_with_padding(clip_checkpoint):
    from utils.checkpoints import load_clip

    folder, hf = clip_checkpoint
    model, _ = load_clip(folder)
    assert isinstance(model, utils.CLIP) and not model.training
    lengths = torch.tensor([9, 4, 6])
    ids = torch.randint(2, 97, (3, 9))
    ids[:, 0] = 97  # start of text
    ids[torch.arange(3), lengths - 1] = 98  # end of text, where CLIP reads the sentence
    attention_mask = (torch.arange(9)[None] < lengths[:, None]).long()
    ids = ids.masked_fill(attention_mask == 0, 1)
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = hf(input_ids=ids, attention_mask=attention_mask, pixel_values=images)
        assert (model.encode_text(ids, attention_mask) - out.text_embeds).abs().max() < 1e-4
        assert (model.encode_image(images) - out.image_embeds).abs().max() < 1e-4
        assert (model(images, ids, attention_mask) - out.logits_per_image).abs().max() < 1e-4


def test_clip_missing_and_mis_shaped_tensors_are_named(clip_checkpoint, tmp_path):
    from utils.checkpoints import load_clip

    folder, _ = clip_checkpoint
    tensors = load_file(str(folder / "model.safetensors"))
    del tensors["text_projection.weight"]
    tensors["vision_model.embeddings.class_embedding"] = torch.zeros(47)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing tensors: text_projection\.weight") as err:
        load_clip(tmp_path)
    assert "vision_model.embeddings.class_embedding: expected (48,), got (47,)" in str(err.value)

"""utils.checkpoints.load_marian: a MarianMT checkpoint in the course's utils.Transformer equals MarianMTModel."""
import pytest
import torch
from hf_tiny import save
from safetensors.torch import load_file, save_file

import utils
from utils.checkpoints import CheckpointError, load_marian

transformers = pytest.importorskip("transformers")
VOCAB, PAD, EOS = 90, 89, 0


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    # The real opus-mt settings: swish, scaled embeddings, post-norm, the pad token starts decoding.
    config = transformers.MarianConfig(vocab_size=VOCAB, decoder_vocab_size=VOCAB, d_model=32, encoder_layers=2,
                                       decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                                       encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
                                       activation_function="swish", scale_embedding=True, pad_token_id=PAD,
                                       eos_token_id=EOS, decoder_start_token_id=PAD, forced_eos_token_id=None)
    hf = transformers.MarianMTModel(config).eval()
    with torch.no_grad():  # transformers starts it at zero; a random bias checks that it is used
        hf.final_logits_bias.normal_()
    return save(hf, tmp_path_factory.mktemp("marian")), hf


def padded_source(batch=3, length=11):
    src = torch.randint(1, VOCAB - 1, (batch, length))
    lengths = torch.tensor([length, 7, 3])[:batch]
    mask = (torch.arange(length)[None] < lengths[:, None]).long()
    src[:, :][torch.arange(length)[None].expand(batch, -1) == (lengths - 1)[:, None]] = EOS  # "... </s>"
    return src.masked_fill(mask == 0, PAD), mask


def test_logits_equal_marian_with_padding(checkpoint):
    folder, hf = checkpoint
    model, _ = load_marian(folder)
    assert isinstance(model, utils.Transformer) and not model.training
    src, src_mask = padded_source()
    tgt = torch.cat([torch.full((3, 1), PAD), torch.randint(1, VOCAB - 1, (3, 8))], dim=1)  # starts with pad
    with torch.no_grad():
        ours = model(src, tgt)
        theirs = hf(input_ids=src, attention_mask=src_mask, decoder_input_ids=tgt).logits
    assert (ours - theirs).abs().max() < 1e-4


def test_greedy_ids_equal_hugging_face_generate(checkpoint):
    folder, hf = checkpoint
    model, _ = load_marian(folder)
    assert model.generation["bos_id"] == PAD and model.generation["eos_id"] == EOS
    src, src_mask = padded_source()
    ours = model.greedy_decode(src, PAD, EOS, max_len=20, suppress_ids=[PAD])
    theirs = hf.generate(src, attention_mask=src_mask, max_new_tokens=20, num_beams=1, do_sample=False,
                         bad_words_ids=[[PAD]])
    assert torch.equal(ours, theirs)


def test_missing_and_mis_shaped_tensors_are_named(checkpoint, tmp_path):
    folder, _ = checkpoint
    tensors = load_file(str(folder / "model.safetensors"))
    del tensors["model.decoder.layers.1.encoder_attn.v_proj.weight"]
    tensors["final_logits_bias"] = torch.zeros(1, VOCAB + 1)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing tensors: model\.decoder\.layers\.1\.encoder_attn\.v_proj"
                                              r"\.weight") as err:
        load_marian(tmp_path)
    assert f"final_logits_bias: expected (1, {VOCAB}), got (1, {VOCAB + 1})" in str(err.value)


def test_halves_layout_is_marians_sinusoid_table():
    from transformers.models.marian.modeling_marian import MarianSinusoidalPositionalEmbedding

    theirs = MarianSinusoidalPositionalEmbedding(50, 32)
    assert (utils.sinusoidal_positional_encoding(50, 32, layout="halves") - theirs.create_weight()).abs().max() < 1e-5

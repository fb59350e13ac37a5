"""utils.checkpoints.load_gpt2: a GPT-2 checkpoint in the course's utils.GPT equals GPT2LMHeadModel."""
import pytest
import torch
from hf_tiny import byte_level_tokenizer, save
from safetensors.torch import load_file, save_file

import utils
from utils.checkpoints import CheckpointError, load_gpt2

transformers = pytest.importorskip("transformers")
VOCAB = 300


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                                     bos_token_id=0, eos_token_id=0)
    hf = transformers.GPT2LMHeadModel(config).eval()
    folder = save(hf, tmp_path_factory.mktemp("gpt2"), byte_level_tokenizer(VOCAB))
    return folder, hf


def test_logits_equal_gpt2_with_right_padding(checkpoint):
    folder, hf = checkpoint
    model, tokenizer = load_gpt2(folder)
    assert isinstance(model, utils.GPT) and not model.training and tokenizer is not None
    ids = torch.randint(0, VOCAB, (3, 20))
    lengths = torch.tensor([20, 13, 5])
    attention_mask = (torch.arange(20)[None] < lengths[:, None]).long()
    ids = ids.masked_fill(attention_mask == 0, 0)  # right padding: a causal model never reads it
    with torch.no_grad():
        ours = model(ids)
        theirs = hf(input_ids=ids, attention_mask=attention_mask).logits
    real = attention_mask.bool()
    assert (ours[real] - theirs[real]).abs().max() < 1e-4


def test_greedy_ids_equal_hugging_face_generate(checkpoint):
    folder, hf = checkpoint
    model, _ = load_gpt2(folder)
    prompt = torch.randint(1, VOCAB, (2, 7))
    ours = model.generate(prompt, 40, temperature=0)
    theirs = hf.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=40, min_new_tokens=40,
                         do_sample=False, pad_token_id=0)
    assert torch.equal(ours, theirs)


def test_missing_and_mis_shaped_tensors_are_named(checkpoint, tmp_path):
    folder, _ = checkpoint
    tensors = load_file(str(folder / "model.safetensors"))
    del tensors["transformer.h.1.mlp.c_fc.bias"]
    tensors["transformer.h.0.attn.c_proj.weight"] = torch.zeros(32, 31)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing tensors: h\.1\.mlp\.c_fc\.bias") as err:
        load_gpt2(tmp_path)
    assert "h.0.attn.c_proj.weight: expected (32, 32), got (32, 31)" in str(err.value)


def test_a_name_not_in_the_cache_is_a_clear_error_offline():
    with pytest.raises(FileNotFoundError, match="not in the Hugging Face cache"):
        load_gpt2("course-tests/no-such-model")

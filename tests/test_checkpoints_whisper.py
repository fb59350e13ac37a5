"""utils.checkpoints.load_whisper: a Whisper checkpoint in the course's utils.SpeechToText."""
import pytest
import torch
from hf_tiny import save
from safetensors.torch import load_file, save_file

import utils
from utils.checkpoints import CheckpointError, load_whisper

transformers = pytest.importorskip("transformers")
VOCAB, EOS, START = 80, 79, 78


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.WhisperConfig(vocab_size=VOCAB, num_mel_bins=16, d_model=32, encoder_layers=2,
                                        decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                                        encoder_ffn_dim=64, decoder_ffn_dim=64, max_source_positions=50,
                                        max_target_positions=40, pad_token_id=EOS, eos_token_id=EOS,
                                        bos_token_id=EOS, decoder_start_token_id=START)
    hf = transformers.WhisperForConditionalGeneration(config).eval()
    return save(hf, tmp_path_factory.mktemp("whisper")), hf


def test_logits_equal_whisper_with_padding(checkpoint):
    folder, hf = checkpoint
    model, _ = load_whisper(folder)
    assert isinstance(model, utils.SpeechToText) and not model.training
    features = torch.randn(2, 16, 100)  # (B, n_mels, frames): 100 frames -> 50 positions
    tokens = torch.cat([torch.full((2, 1), START), torch.randint(0, 70, (2, 9))], dim=1)
    tokens[1, 6:] = EOS  # the second transcript ended: padding (Whisper pads with its end token)
    with torch.no_grad():
        ours = model(features.transpose(1, 2), tokens)
        theirs = hf(input_features=features, decoder_input_ids=tokens).logits
    # Compared up to the end token's input position, excluded: Whisper pads with its end token, so the
    # course's decoder (which never reads a pad key) treats the fed-back end token as padding; nothing
    # reads what comes after it (generation stops there).
    real = torch.ones_like(tokens, dtype=torch.bool)
    real[1, 6:] = False
    assert (ours[real] - theirs[real]).abs().max() < 1e-4


def test_greedy_ids_equal_hugging_face_generate(checkpoint):
    folder, hf = checkpoint
    model, _ = load_whisper(folder)
    features = torch.randn(3, 16, 100)
    prefix = torch.full((3, 1), START)
    ours = model.generate(features.transpose(1, 2), prefix, EOS, 25, suppress_ids=[3, 5], begin_suppress_ids=[7])
    # Whisper's own generate() adds language detection and timestamps; the plain greedy search under it:
    theirs = transformers.GenerationMixin.generate(hf, input_features=features, decoder_input_ids=prefix,
                                                   max_new_tokens=25, do_sample=False, num_beams=1,
                                                   suppress_tokens=[3, 5], begin_suppress_tokens=[7])
    assert torch.equal(ours, theirs)


def test_missing_and_mis_shaped_tensors_are_named(checkpoint, tmp_path):
    folder, _ = checkpoint
    tensors = load_file(str(folder / "model.safetensors"))
    del tensors["model.encoder.conv2.bias"]
    tensors["model.decoder.layers.0.encoder_attn.k_proj.weight"] = torch.zeros(32, 16)
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    save_file(tensors, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing tensors: model\.encoder\.conv2\.bias") as err:
        load_whisper(tmp_path)
    assert "model.decoder.layers.0.encoder_attn.k_proj.weight: expected (32, 32), got (32, 16)" in str(err.value)


def test_generation_settings_of_a_multilingual_checkpoint(checkpoint, tmp_path):
    import json

    from utils.checkpoints.whisper import whisper_generation

    folder, _ = checkpoint
    config = {**json.loads((folder / "config.json").read_text()), "vocab_size": 51865}  # whisper-tiny's
    (tmp_path / "generation_config.json").write_text(json.dumps(dict(  # whisper-tiny's, shortened
        decoder_start_token_id=50258, eos_token_id=50257, is_multilingual=True, lang_to_id={"<|en|>": 50259},
        task_to_id={"transcribe": 50359}, no_timestamps_token_id=50363, max_length=448, suppress_tokens=[1, 2],
        begin_suppress_tokens=[220, 50257])))
    settings = whisper_generation(tmp_path, config)
    assert settings["prefix"] == [50258, 50259, 50359, 50363]
    assert settings["max_new_tokens"] == 40 - 4  # this checkpoint's 40 positions, not 448
    assert settings["suppress_ids"] == [1, 2] and settings["begin_suppress_ids"] == [220, 50257]

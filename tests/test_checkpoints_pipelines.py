"""utils.pipeline(task, model=<checkpoint folder>) runs the course's model and answers as transformers.pipeline."""
import pytest
import torch
from hf_tiny import byte_level_tokenizer, save, wordpiece_tokenizer

import utils

transformers = pytest.importorskip("transformers")
TEXTS = ["the cat sat on a mat", "love", "the new phone is awesome and the film is great", "bad film"]


@pytest.fixture(scope="module")
def classifier_folder(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.DistilBertConfig(vocab_size=120, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                           max_position_embeddings=64, id2label={0: "NEGATIVE", 1: "POSITIVE"})
    hf = transformers.DistilBertForSequenceClassification(config).eval()
    return save(hf, tmp_path_factory.mktemp("distilbert"), wordpiece_tokenizer(120))


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=300, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                                     bos_token_id=0, eos_token_id=0)
    hf = transformers.GPT2LMHeadModel(config).eval()
    return save(hf, tmp_path_factory.mktemp("gpt2"), byte_level_tokenizer(300))


def close(ours, theirs):
    """Same labels in the same order, scores equal to 1e-4."""
    if isinstance(ours, dict):
        return ours["label"] == theirs["label"] and abs(ours["score"] - theirs["score"]) < 1e-4
    return len(ours) == len(theirs) and all(close(a, b) for a, b in zip(ours, theirs))


def test_sentiment_analysis_equals_transformers_pipeline(classifier_folder):
    ours = utils.pipeline("sentiment-analysis", model=str(classifier_folder), device="cpu")
    theirs = transformers.pipeline("sentiment-analysis", model=str(classifier_folder), device="cpu")
    assert close(ours(TEXTS[0]), theirs(TEXTS[0]))
    assert close(ours(TEXTS), theirs(TEXTS))
    assert close(ours(TEXTS, top_k=None), theirs(TEXTS, top_k=None))
    assert ours.info["model_type"] == "distilbert"


def test_text_generation_equals_transformers_pipeline(gpt2_folder):
    ours = utils.pipeline("text-generation", model=str(gpt2_folder), device="cpu")
    theirs = transformers.pipeline("text-generation", model=str(gpt2_folder), device="cpu")
    for prompt in ("once upon a time", "the cat"):
        mine = ours(prompt, max_new_tokens=12, do_sample=False)
        reference = theirs(prompt, max_new_tokens=12, min_new_tokens=12, do_sample=False)
        assert mine == reference, (mine, reference)


def test_a_checkpoint_of_another_family_or_task_is_refused(gpt2_folder):
    with pytest.raises(ValueError, match="runs bert, distilbert checkpoints"):
        utils.pipeline("sentiment-analysis", model=str(gpt2_folder))
    with pytest.raises(ValueError, match="cannot run a checkpoint"):
        utils.pipeline("summarization", model=str(gpt2_folder))
    with pytest.raises(ValueError, match="not in the Hugging Face cache"):
        utils.pipeline("text-generation", model="course-tests/no-such-model")
    with pytest.raises(ValueError, match="it runs a checkpoint: model="):
        utils.pipeline("image-classification")


@pytest.fixture(scope="module")
def marian_folder(tmp_path_factory):
    pytest.importorskip("sentencepiece", reason="MarianTokenizer needs sentencepiece")
    from hf_tiny import marian_tokenizer

    folder = tmp_path_factory.mktemp("marian")
    tokenizer = marian_tokenizer(folder)
    vocab = len(tokenizer.get_vocab())
    torch.manual_seed(0)
    config = transformers.MarianConfig(vocab_size=vocab, decoder_vocab_size=vocab, d_model=32, encoder_layers=2,
                                       decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                                       encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
                                       activation_function="swish", scale_embedding=True,
                                       pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                                       decoder_start_token_id=tokenizer.pad_token_id, forced_eos_token_id=None,
                                       )
    hf = transformers.MarianMTModel(config).eval()
    # opus-mt's generation settings: never write <pad>; here a short max_length keeps the test quick.
    hf.generation_config.bad_words_ids = [[tokenizer.pad_token_id]]
    hf.generation_config.max_length = 16
    return save(hf, folder, tokenizer), hf, tokenizer


def test_translation_equals_tokenizer_generate_decode(marian_folder):
    # transformers 5 has no translation pipeline: the reference is its three steps, greedy.
    folder, hf, tokenizer = marian_folder
    ours = utils.pipeline("translation_en_to_fr", model=str(folder), device="cpu")
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    ids = hf.generate(**batch, num_beams=1, do_sample=False)  # the checkpoint's settings: max_length 16
    assert ids.size(1) == 16
    reference = [{"translation_text": t} for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
    assert ours(TEXTS) == reference
    assert ours(TEXTS[0]) == [reference[0]]
    shorter = hf.generate(**batch, num_beams=1, do_sample=False, max_length=6)
    assert ours(TEXTS, max_length=6) == [{"translation_text": t}
                                         for t in tokenizer.batch_decode(shorter, skip_special_tokens=True)]


@pytest.fixture(scope="module")
def vit_folder(tmp_path_factory):
    torch.manual_seed(0)
    config = transformers.ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=4, intermediate_size=64,
                                    id2label={i: name for i, name in enumerate(["cat", "dog", "bird", "fish", "ant",
                                                                                 "bee", "cow"])})
    folder = save(transformers.ViTForImageClassification(config).eval(), tmp_path_factory.mktemp("vit"))
    transformers.ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    from hf_tiny import clip_tokenizer

    torch.manual_seed(0)
    tokenizer = clip_tokenizer()
    text = dict(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, max_position_embeddings=64, bos_token_id=0, eos_token_id=1, pad_token_id=1)
    vision = dict(image_size=32, patch_size=8, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                  num_attention_heads=4)
    config = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=24)
    folder = save(transformers.CLIPModel(config).eval(), tmp_path_factory.mktemp("clip"), tokenizer)
    transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}) \
        .save_pretrained(folder)
    return folder


def close_lists(ours, theirs):
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(close_lists(a, b) for a, b in zip(ours, theirs))
    return ours["label"] == theirs["label"] and abs(ours["score"] - theirs["score"]) < 1e-4


def test_image_classification_equals_transformers_pipeline(vit_folder):
    from hf_tiny import random_images

    images = random_images(3)
    ours = utils.pipeline("image-classification", model=str(vit_folder), device="cpu")
    theirs = transformers.pipeline("image-classification", model=str(vit_folder), device="cpu",
                                   function_to_apply="softmax")
    assert close_lists(ours(images[0]), theirs(images[0]))
    assert close_lists(ours(images, top_k=2), theirs(images, top_k=2))


def test_zero_shot_image_classification_equals_transformers_pipeline(clip_folder):
    from hf_tiny import random_images

    images = random_images(2)
    labels = ["cat", "dog", "the new phone"]
    ours = utils.pipeline("zero-shot-image-classification", model=str(clip_folder), device="cpu")
    theirs = transformers.pipeline("zero-shot-image-classification", model=str(clip_folder), device="cpu")
    assert close_lists(ours(images[0], candidate_labels=labels), theirs(images[0], candidate_labels=labels))
    assert close_lists(ours(images, candidate_labels=labels), theirs(images, candidate_labels=labels))


@pytest.fixture(scope="module")
def whisper_folder(tmp_path_factory):
    torch.manual_seed(0)
    tokenizer = byte_level_tokenizer(300)
    config = transformers.WhisperConfig(vocab_size=len(tokenizer), num_mel_bins=16, d_model=32, encoder_layers=2,
                                        decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                                        encoder_ffn_dim=64, decoder_ffn_dim=64, max_source_positions=50,
                                        max_target_positions=40, pad_token_id=0, eos_token_id=0, bos_token_id=0,
                                        decoder_start_token_id=5)
    folder = save(transformers.WhisperForConditionalGeneration(config).eval(), tmp_path_factory.mktemp("whisper"),
                  tokenizer)
    # 1 s at 16 kHz -> 100 frames of 16 mel bands -> 50 encoder positions
    transformers.WhisperFeatureExtractor(feature_size=16, chunk_length=1).save_pretrained(folder)
    return folder


def test_speech_recognition_equals_feature_extractor_generate_decode(whisper_folder):
    # transformers' own ASR pipeline needs a WhisperTokenizer (its timestamp decoding), which cannot be built
    # offline from nothing; the reference is its steps: features, greedy search, decoding.
    g = torch.Generator().manual_seed(0)
    waves = [0.1 * torch.randn(n, generator=g).numpy() for n in (16000, 9000, 4000)]
    ours = utils.pipeline("automatic-speech-recognition", model=str(whisper_folder), device="cpu")
    extractor = transformers.AutoFeatureExtractor.from_pretrained(whisper_folder)
    tokenizer = transformers.AutoTokenizer.from_pretrained(whisper_folder)
    hf = transformers.WhisperForConditionalGeneration.from_pretrained(whisper_folder).eval()
    features = extractor(waves, sampling_rate=16000, return_tensors="pt").input_features
    ids = transformers.GenerationMixin.generate(hf, input_features=features, decoder_input_ids=torch.full((3, 1), 5),
                                                max_new_tokens=30, do_sample=False, num_beams=1,
                                                begin_suppress_tokens=[220])  # WhisperConfig's default, in range
    reference = [{"text": t} for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
    assert ours(waves, max_new_tokens=30) == reference
    assert ours({"raw": waves[1], "sampling_rate": 16000}, max_new_tokens=30) == reference[1]
    with pytest.raises(ValueError, match="sampled at 16000 Hz"):
        ours({"raw": waves[1], "sampling_rate": 8000})


def test_feature_extraction_equals_transformers_pipeline(tmp_path):
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=64, max_position_embeddings=64)
    folder = save(transformers.BertModel(config).eval(), tmp_path, wordpiece_tokenizer(120))
    ours = utils.pipeline("feature-extraction", model=str(folder), device="cpu")
    theirs = transformers.pipeline("feature-extraction", model=str(folder), device="cpu")
    for text in TEXTS[:2]:
        mine, reference = torch.tensor(ours(text)), torch.tensor(theirs(text))
        assert mine.shape == reference.shape and (mine - reference).abs().max() < 1e-4


def test_text_generation_stops_at_the_end_of_text_as_transformers_does(gpt2_folder, tmp_path):
    import json
    import shutil

    from utils.checkpoints import load_gpt2

    # Make the end-of-text token one that greedy decoding writes after 5 tokens, so that both stop there.
    model, tokenizer = load_gpt2(gpt2_folder)
    prompt = "once upon a time"
    ids = model.generate(torch.tensor([tokenizer.encode(prompt)]), 12, temperature=0)[0].tolist()
    eos = ids[len(tokenizer.encode(prompt)) + 5]
    for name in ("config.json", "generation_config.json"):
        settings = json.loads((gpt2_folder / name).read_text())
        (tmp_path / name).write_text(json.dumps({**settings, "eos_token_id": eos}))
    shutil.copy(gpt2_folder / "model.safetensors", tmp_path)
    tokenizer.eos_token = tokenizer.convert_ids_to_tokens(eos)
    tokenizer.save_pretrained(tmp_path)
    ours = utils.pipeline("text-generation", model=str(tmp_path), device="cpu")
    theirs = transformers.pipeline("text-generation", model=str(tmp_path), device="cpu")
    mine = ours(prompt, max_new_tokens=12, do_sample=False)
    assert mine == theirs(prompt, max_new_tokens=12, do_sample=False)
    assert len(ours.tokenizer.encode(mine[0]["generated_text"])) < len(ids), "it stopped early"

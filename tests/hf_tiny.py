"""Tiny randomly initialised Hugging Face checkpoints, saved to a folder: the tests' stand-ins for the
real ones, built offline from a config (nothing is downloaded)."""
import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before any Hugging Face import: never try the network
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import torch  # noqa: E402

WORDS = ("the cat sat on a mat and the dog ran to it while birds sang once upon time new phone is "
         "awesome terrible machine learning fascinating love hate film great bad").split()


def corpus(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [" ".join(WORDS[i] for i in torch.randint(0, len(WORDS), (8,), generator=g).tolist()) for _ in range(n)]


def byte_level_tokenizer(vocab_size, special="<|endoftext|>"):
    """A GPT-2-style byte-level BPE tokenizer with exactly vocab_size tokens, trained on corpus()."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[special],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus(), trainer)
    assert tok.get_vocab_size() <= vocab_size
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=special, eos_token=special, unk_token=special)


def save(model, folder, tokenizer=None):
    model.save_pretrained(folder)
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    return folder


def wordpiece_tokenizer(vocab_size=120):
    """A BERT-style uncased WordPiece tokenizer ([CLS] text [SEP]) trained on corpus()."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(corpus(), trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=64)


def marian_tokenizer(folder, vocab_size=48):
    """A MarianTokenizer (SentencePiece for both languages) trained on corpus(); its files go to folder.
    Ids: </s> = 0, <unk> = 1, the pieces, then <pad> last, as in opus-mt."""
    import json

    import sentencepiece as spm
    from transformers import MarianTokenizer

    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus()), model_prefix=str(folder / "source"),
                                   vocab_size=vocab_size, character_coverage=1.0, model_type="unigram",
                                   bos_id=-1, eos_id=-1, unk_id=0, pad_id=-1, minloglevel=2)
    (folder / "target.model").write_bytes((folder / "source.model").read_bytes())
    sp = spm.SentencePieceProcessor(model_file=str(folder / "source.model"))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if sp.id_to_piece(i) != "<unk>"]
    vocab = {"</s>": 0, "<unk>": 1, **{p: i + 2 for i, p in enumerate(pieces)}}
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    return MarianTokenizer(str(folder / "source.model"), str(folder / "target.model"), str(folder / "vocab.json"))


def clip_tokenizer(vocab_size=150):
    """A CLIP-style tokenizer: byte-level BPE, <|startoftext|> text <|endoftext|>, padded with <|endoftext|>."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    start, end = "<|startoftext|>", "<|endoftext|>"
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[start, end],
                                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(single=f"{start} $A {end}",
                                                       special_tokens=[(start, 0), (end, 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=start, eos_token=end, pad_token=end,
                                   unk_token=end, model_max_length=64)


def random_images(n, size=32, seed=0):
    from PIL import Image

    g = torch.Generator().manual_seed(seed)
    return [Image.fromarray(torch.randint(0, 256, (size + 7 * i, size, 3), generator=g, dtype=torch.uint8).numpy())
            for i in range(n)]

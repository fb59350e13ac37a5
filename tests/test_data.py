import pytest
import torch

from utils import Transformer, seed_everything, train
from utils.batching import pad_batch
from utils.batching import trim_padding
from utils.data import (ADJECTIVES, NOUNS, SUBJECT_NOUNS, VERBS, encode_pairs, grammar_size, make_translation_corpus,
                        noun_phrase, sentence, translation_batches, word_translations)
from utils.losses import seq2seq_loss
from utils.tokenization import Vocab

PAD, BOS, EOS, UNK = Vocab.pad_id, Vocab.bos_id, Vocab.eos_id, Vocab.unk_id


def noun(french):
    return next(n for n in NOUNS if n[0] == french)


def adj(english):
    return next(a for a in ADJECTIVES if a[1] == english)


def np_(french_noun, plural=False, definite=True, adjective=None):
    return noun_phrase(noun(french_noun), plural, definite, adj(adjective) if adjective else None)


def verb(french):
    return next(v for v in VERBS if v[0] == french)


# ---------------------------------------------------------------------------------------- grammar

@pytest.mark.parametrize("args, expected", [
    (("chien",), ("le chien", "the dog")),
    (("maison",), ("la maison", "the house")),
    (("chien", False, False), ("un chien", "a dog")),
    (("maison", False, False), ("une maison", "a house")),
    (("chien", True), ("les chiens", "the dogs")),
    (("maison", True, False), ("des maisons", "some houses")),
])
def test_articles_follow_gender_and_number(args, expected):
    assert np_(*args) == expected


@pytest.mark.parametrize("args, expected", [
    (("chat", False, True, "black"), ("le chat noir", "the black cat")),
    (("voiture", False, True, "black"), ("la voiture noire", "the black car")),
    (("chat", True, True, "black"), ("les chats noirs", "the black cats")),
    (("fleur", True, False, "white"), ("des fleurs blanches", "some white flowers")),
    (("femme", True, True, "happy"), ("les femmes heureuses", "the happy women")),
    (("voiture", False, True, "red"), ("la voiture rouge", "the red car")),
])
def test_most_adjectives_follow_the_noun_in_french_and_agree(args, expected):
    assert np_(*args) == expected


@pytest.mark.parametrize("args, expected", [
    (("chien", False, True, "small"), ("le petit chien", "the small dog")),
    (("maison", False, False, "old"), ("une vieille maison", "an old house")),
    (("chat", True, False, "small"), ("de petits chats", "some small cats")),  # des -> de
    (("fille", True, True, "big"), ("les grandes filles", "the big girls")),
])
def test_some_adjectives_come_first_in_both_languages(args, expected):
    assert np_(*args) == expected


def test_irregular_plurals_and_a_versus_an():
    assert np_("cheval", True) == ("les chevaux", "the horses")
    assert np_("souris", True) == ("les souris", "the mice")
    assert np_("souris", False) == ("la souris", "the mouse")
    assert np_("femme", True, False) == ("des femmes", "some women")
    assert np_("pomme", False, False) == ("une pomme", "an apple")
    assert np_("pomme", False, False, "red") == ("une pomme rouge", "a red apple")
    assert np_("livre", False, False, "empty") == ("un livre vide", "an empty book")


def test_the_verb_agrees_with_the_subject():
    dog, apple = np_("chien") + (False,), np_("pomme") + (False,)
    assert sentence(dog, verb("mange"), apple) == ("le chien mange la pomme", "the dog eats the apple")
    cats, house = np_("chat", True) + (True,), np_("maison", False, False) + (False,)
    assert sentence(cats, verb("voit"), house) == ("les chats voient une maison", "the cats see a house")
    assert sentence(cats, verb("cherche"), dog) == ("les chats cherchent le chien", "the cats look for the dog")


def all_noun_phrases(nouns):
    return [noun_phrase(NOUNS[n], plural, definite, a)
            for n in nouns for plural in (False, True) for definite in (False, True)
            for a in [None] + ADJECTIVES]


def test_grammar_size_counts_distinct_french_sentences():
    subjects, objects = all_noun_phrases(SUBJECT_NOUNS), all_noun_phrases(range(len(NOUNS)))
    assert len({fr for fr, _ in objects}) == len(objects)  # no two noun phrases look alike in French
    assert grammar_size() == len(subjects) * len(VERBS) * len(objects)
    assert len(NOUNS) == 20 and len(ADJECTIVES) == 10 and len(VERBS) == 8
    assert grammar_size() > 3_000_000


def parse_french_phrase(words):
    """(article, adjective or None, noun) of a French noun phrase, whatever the adjective's place."""
    nouns = {form for n in NOUNS for form in n[:2]}
    if len(words) == 2:
        return words[0], None, words[1]
    return (words[0], words[2], words[1]) if words[1] in nouns else (words[0], words[1], words[2])


def test_every_corpus_sentence_agrees():
    """Check the corpus against the rules, independently of how the generator applies them."""
    gender = {form: n[2] for n in NOUNS for form in n[:2]}
    number = {n[0]: False for n in NOUNS if n[0] != n[1]} | {n[1]: True for n in NOUNS if n[0] != n[1]}
    verb_plural = {v[1]: True for v in VERBS} | {v[0]: False for v in VERBS}
    pairs, _ = make_translation_corpus(2000, 0, seed=5)
    for fr, en in pairs:
        words = fr.split()
        v = next(i for i, w in enumerate(words) if w in verb_plural)
        plurals = []
        for phrase in (words[:v], words[v + 1:]):
            article, adjective, n = parse_french_phrase(phrase)
            plural = number.get(n, article in ("les", "des", "de"))  # "souris" is both
            plurals.append(plural)
            allowed = {"les", "des", "de"} if plural else ({"la", "une"} if gender[n] == "f" else {"le", "un"})
            assert article in allowed, fr
            if article in ("des", "de"):  # "de" exactly when an adjective comes before the noun
                assert (article == "de") == (adjective is not None and phrase.index(adjective) < phrase.index(n)), fr
            if adjective is not None:
                forms = next(a[0] for a in ADJECTIVES if adjective in a[0])
                assert adjective == forms[(gender[n] == "f") + 2 * plural], fr
        assert verb_plural[words[v]] == plurals[0], fr  # the verb agrees with the subject
        en_words = en.split()
        for i, w in enumerate(en_words[:-1]):
            if w in ("a", "an"):
                assert (w == "an") == (en_words[i + 1][0] in "aeiou"), en


def test_corpus_is_deterministic_and_the_test_set_is_held_out():
    train_pairs, test_pairs = make_translation_corpus(500, 100, seed=0)
    assert (train_pairs, test_pairs) == make_translation_corpus(500, 100, seed=0)
    assert test_pairs != make_translation_corpus(500, 100, seed=1)[1]
    assert len(train_pairs) == 500 and len(test_pairs) == 100
    train_fr = [fr for fr, _ in train_pairs]
    assert len(set(train_fr)) == len(train_fr)
    assert not set(train_fr) & {fr for fr, _ in test_pairs}
    assert make_translation_corpus(50, 100, seed=0)[1] == test_pairs  # the test set ignores n_train
    with pytest.raises(ValueError, match="n_train"):
        make_translation_corpus(-1, 10)


def test_the_lexicon_covers_every_english_word_and_finds_its_source():
    lexicon = word_translations()
    assert lexicon["dog"] == {"chien"} and lexicon["mice"] == {"souris"} and lexicon["horses"] == {"chevaux"}
    assert lexicon["black"] == {"noir", "noire", "noirs", "noires"}
    assert (lexicon["looks"] == {"cherche"} and lexicon["for"] == {"cherche", "cherchent"}
            and lexicon["look"] == {"cherchent"})
    assert lexicon["the"] == {"le", "la", "les"} and lexicon["some"] == {"des", "de"}
    pairs, _ = make_translation_corpus(2000, 0, seed=3)
    for fr, en in pairs:
        french = set(fr.split())
        for word in en.split():
            assert lexicon[word] & french, (word, fr, en)  # each English word has its source in the French
    french_words = {w for fr, _ in pairs for w in fr.split()}
    assert french_words <= set().union(*lexicon.values())  # and every French word is somebody's source


# ------------------------------------------------------------------------------------------ vocab

def test_vocab_round_trip_and_special_tokens():
    train_pairs, _ = make_translation_corpus(300, 0)
    vocab = Vocab(en for _, en in train_pairs)
    assert vocab.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (PAD, BOS, EOS, UNK) == (0, 1, 2, 3)
    assert len(vocab) == len(set(w for _, en in train_pairs for w in en.split())) + 4
    for _, en in train_pairs[:50]:
        ids = vocab.encode(en)
        assert len(ids) == len(en.split()) and min(ids) >= 4
        assert vocab.decode(ids) == en
    ids = vocab.encode("the dog")
    assert vocab.encode("the zebra") == [ids[0], UNK]
    assert vocab.decode([BOS] + ids + [EOS] + ids) == "the dog"  # stops at <eos>
    assert vocab.decode(torch.tensor([BOS] + ids + [EOS, PAD, PAD])) == "the dog"


# ---------------------------------------------------------------------------------------- batches

def test_pad_and_trim():
    padded, mask = pad_batch([[5, 6, 7], [8]], PAD)
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0]] and padded.dtype == torch.long
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    assert trim_padding(torch.tensor([[5, 0, 0], [6, 7, 0]])).tolist() == [[5, 0], [6, 7]]


def vocabularies(pairs):
    return Vocab(fr for fr, _ in pairs), Vocab(en for _, en in pairs)


def test_encode_pairs_layout():
    pairs, _ = make_translation_corpus(40, 0)
    src_vocab, tgt_vocab = vocabularies(pairs)
    src, tgt = encode_pairs(pairs, src_vocab, tgt_vocab)
    assert src.shape == (40, max(len(fr.split()) for fr, _ in pairs))
    assert tgt.shape == (40, max(len(en.split()) for _, en in pairs) + 2)
    assert (tgt[:, 0] == BOS).all() and ((tgt == EOS).sum(dim=1) == 1).all()
    for (fr, en), s, t in zip(pairs, src, tgt):
        n = len(en.split())
        assert t[n + 1] == EOS and (t[n + 2:] == PAD).all()
        assert (s[len(fr.split()):] == PAD).all() and (s[: len(fr.split())] != PAD).all()
        assert tgt_vocab.decode(t) == en and src_vocab.decode(s) == fr


def test_translation_batches_shuffle_epochs_reproducibly():
    pairs, _ = make_translation_corpus(48, 0)
    src_vocab, tgt_vocab = vocabularies(pairs)
    src_all, tgt_all = encode_pairs(pairs, src_vocab, tgt_vocab)
    rows = {tuple(r.tolist()) for r in tgt_all}
    next_batch = translation_batches(pairs, src_vocab, tgt_vocab, batch_size=16, seed=3)
    epoch = [next_batch() for _ in range(3)]
    seen = []
    for src, tgt in epoch:
        assert src.shape[0] == tgt.shape[0] == 16 and src.dtype == tgt.dtype == torch.long
        assert (src != PAD).any(dim=0)[-1] and (tgt != PAD).any(dim=0)[-1]  # trimmed to the longest
        seen += [tuple(r.tolist()) + (PAD,) * (tgt_all.size(1) - tgt.size(1)) for r in tgt]
    assert sorted(seen) == sorted(rows)  # one epoch visits every pair once
    again = translation_batches(pairs, src_vocab, tgt_vocab, batch_size=16, seed=3)
    assert all(torch.equal(a[1], b[1]) for a, b in zip(epoch, [again() for _ in range(3)]))
    assert not torch.equal(next_batch()[1], epoch[0][1])  # the next epoch is reshuffled
    with pytest.raises(ValueError, match="batch_size"):
        translation_batches(pairs, src_vocab, tgt_vocab, batch_size=100)


def test_seq2seq_loss_ignores_padding_and_trains():
    seed_everything(0)
    pairs, _ = make_translation_corpus(64, 0)
    src_vocab, tgt_vocab = vocabularies(pairs)
    model = Transformer(len(src_vocab), len(tgt_vocab), d_model=32, num_heads=2, num_layers=1,
                        d_ff=64, dropout=0.0, max_len=32)
    src, tgt = encode_pairs(pairs[:8], src_vocab, tgt_vocab)
    pad = torch.zeros(8, 3, dtype=torch.long)
    loss = seq2seq_loss(model, (src, tgt))
    torch.testing.assert_close(seq2seq_loss(model, (torch.cat([src, pad], 1), torch.cat([tgt, pad], 1))), loss)
    logits = model(src, tgt[:, :-1])
    keep = tgt[:, 1:] != PAD
    manual = -torch.log_softmax(logits, -1).gather(-1, tgt[:, 1:, None]).squeeze(-1)[keep].mean()
    torch.testing.assert_close(loss, manual)
    batches = translation_batches(pairs, src_vocab, tgt_vocab, batch_size=16)
    history = train(model, batches, seq2seq_loss, steps=60, lr=5e-3, progress=False)
    assert history.losses[-1] < 0.5 * history.losses[0]

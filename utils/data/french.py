"""A small French -> English parallel corpus, generated offline from a grammar written for this course.

Every sentence is subject - verb - object, for example
    le chat noir mange une pomme           ->  the black cat eats an apple
    les petites filles voient des chevaux  ->  the small girls see some horses
and it exercises what makes translation more than a word-for-word lookup:
    * gender: le/la, un/une and adjective agreement (noir, noire, noirs, noires) all become one English word;
    * word order: most French adjectives follow the noun, English ones precede it;
    * plurals, some irregular (chevaux -> horses, souris -> mice, femmes -> women);
    * verb agreement with the subject (mange/mangent -> eats/eat), and "looks for" (two words for one);
    * English "a"/"an", which depends on the next English word
      (une pomme -> an apple, une vieille maison -> an old house).

Also here: the grammar's English -> French lexicon (to check word alignments) and padded batches for
utils.train (the word-level Vocab is in utils.tokenization, the seq2seq loss in utils.losses).
"""
import random
from collections.abc import Callable, Sequence

import torch

from ..batching import pad_batch, trim_padding
from ..tokenization import Vocab

# --------------------------------------------------------------------------------------------------
# The grammar
# --------------------------------------------------------------------------------------------------

# (French singular, French plural, gender, English singular, English plural, can be a subject)
NOUNS = [
    ("chien", "chiens", "m", "dog", "dogs", True),
    ("chat", "chats", "m", "cat", "cats", True),
    ("garçon", "garçons", "m", "boy", "boys", True),
    ("cheval", "chevaux", "m", "horse", "horses", True),
    ("oiseau", "oiseaux", "m", "bird", "birds", True),
    ("professeur", "professeurs", "m", "teacher", "teachers", True),
    ("livre", "livres", "m", "book", "books", False),
    ("gâteau", "gâteaux", "m", "cake", "cakes", False),
    ("jardin", "jardins", "m", "garden", "gardens", False),
    ("bateau", "bateaux", "m", "boat", "boats", False),
    ("fille", "filles", "f", "girl", "girls", True),
    ("femme", "femmes", "f", "woman", "women", True),
    ("souris", "souris", "f", "mouse", "mice", True),
    ("vache", "vaches", "f", "cow", "cows", True),
    ("maison", "maisons", "f", "house", "houses", False),
    ("pomme", "pommes", "f", "apple", "apples", False),
    ("voiture", "voitures", "f", "car", "cars", False),
    ("fleur", "fleurs", "f", "flower", "flowers", False),
    ("table", "tables", "f", "table", "tables", False),
    ("lettre", "lettres", "f", "letter", "letters", False),
]

# French forms indexed by (gender, number): masculine singular, feminine singular, masculine plural,
# feminine plural; the English word; whether it comes BEFORE the noun in French (most come after).
ADJECTIVES = [
    (("petit", "petite", "petits", "petites"), "small", True),
    (("grand", "grande", "grands", "grandes"), "big", True),
    (("vieux", "vieille", "vieux", "vieilles"), "old", True),
    (("noir", "noire", "noirs", "noires"), "black", False),
    (("blanc", "blanche", "blancs", "blanches"), "white", False),
    (("vert", "verte", "verts", "vertes"), "green", False),
    (("bleu", "bleue", "bleus", "bleues"), "blue", False),
    (("rouge", "rouge", "rouges", "rouges"), "red", False),
    (("heureux", "heureuse", "heureux", "heureuses"), "happy", False),
    (("vide", "vide", "vides", "vides"), "empty", False),
]

# (French 3rd person singular, plural, English singular, plural); the present tense.
VERBS = [
    ("mange", "mangent", "eats", "eat"),
    ("voit", "voient", "sees", "see"),
    ("aime", "aiment", "likes", "like"),
    ("cherche", "cherchent", "looks for", "look for"),
    ("regarde", "regardent", "watches", "watch"),
    ("prend", "prennent", "takes", "take"),
    ("porte", "portent", "carries", "carry"),
    ("trouve", "trouvent", "finds", "find"),
]

SUBJECT_NOUNS = [n for n in range(len(NOUNS)) if NOUNS[n][5]]

# The entries above, and a noun phrase in both languages, as the functions below take them.
Noun = tuple[str, str, str, str, str, bool]  # an entry of NOUNS
Adjective = tuple[tuple[str, str, str, str], str, bool]  # an entry of ADJECTIVES
Verb = tuple[str, str, str, str]  # an entry of VERBS
NounPhrase = tuple[str, str, bool]  # (french, english, plural)


def adjective_form(adjective: Adjective, gender: str, plural: bool) -> str:
    """The French form that agrees with the noun: petit, petite, petits or petites."""
    forms, _, _ = adjective
    return forms[(gender == "f") + 2 * plural]


def french_article(gender: str, plural: bool, definite: bool, adjective_before_noun: bool) -> str:
    """le / la / les, un / une / des; "des" becomes "de" before a plural adjective (de petits chats)."""
    if definite:
        return "les" if plural else ("la" if gender == "f" else "le")
    if plural:
        return "de" if adjective_before_noun else "des"
    return "une" if gender == "f" else "un"


def english_article(plural: bool, definite: bool, next_word: str) -> str:
    """the; a or an (by the sound of the next word, crudely: its first letter); some."""
    if definite:
        return "the"
    if plural:
        return "some"
    return "an" if next_word[0] in "aeiou" else "a"


def noun_phrase(noun: Noun, plural: bool, definite: bool, adjective: Adjective | None = None) -> tuple[str, str]:
    """One noun phrase in both languages; noun and adjective are entries of NOUNS and ADJECTIVES.

    noun_phrase(NOUNS[1], False, True, ADJECTIVES[3]) -> ("le chat noir", "the black cat")
    """
    fr_sg, fr_pl, gender, en_sg, en_pl, _ = noun
    fr_noun, en_noun = (fr_pl, en_pl) if plural else (fr_sg, en_sg)
    before = adjective is not None and adjective[2]
    fr_words = [french_article(gender, plural, definite, before)]
    en_words = []
    if adjective is not None:
        fr_adj = adjective_form(adjective, gender, plural)
        fr_words += [fr_adj, fr_noun] if before else [fr_noun, fr_adj]
        en_words += [adjective[1], en_noun]  # English adjectives always come first
    else:
        fr_words.append(fr_noun)
        en_words.append(en_noun)
    en_words.insert(0, english_article(plural, definite, en_words[0]))
    return " ".join(fr_words), " ".join(en_words)


def sentence(subject: NounPhrase, verb: Verb, obj: NounPhrase) -> tuple[str, str]:
    """subject and obj are (french, english, plural) noun phrases; the verb agrees with the subject."""
    fr_verb, en_verb = (verb[1], verb[3]) if subject[2] else (verb[0], verb[2])
    return f"{subject[0]} {fr_verb} {obj[0]}", f"{subject[1]} {en_verb} {obj[1]}"


def random_noun_phrase(rng: random.Random, nouns: Sequence[int]) -> NounPhrase:
    """A random noun phrase (french, english, plural): half of them get an adjective."""
    plural = rng.random() < 0.5
    adjective = rng.choice(ADJECTIVES) if rng.random() < 0.5 else None
    fr, en = noun_phrase(NOUNS[rng.choice(nouns)], plural, rng.random() < 0.5, adjective)
    return fr, en, plural


def random_sentence(rng: random.Random) -> tuple[str, str]:
    """One random (french, english) pair drawn with the random.Random `rng`."""
    subject = random_noun_phrase(rng, SUBJECT_NOUNS)
    obj = random_noun_phrase(rng, range(len(NOUNS)))
    return sentence(subject, rng.choice(VERBS), obj)


def grammar_size() -> int:
    """How many different sentences the grammar can produce (each has its own French side)."""
    phrases_per_noun = 2 * 2 * (1 + len(ADJECTIVES))  # singular/plural x definite/not x adjective or none
    return len(SUBJECT_NOUNS) * phrases_per_noun * len(VERBS) * len(NOUNS) * phrases_per_noun


def word_translations() -> dict[str, set[str]]:
    """The grammar's lexicon, English -> French: {english word: set of French words it can come from}.

    Used to check word alignments: "black" -> {noir, noire, noirs, noires}, "mice" -> {souris},
    "the" -> {le, la, les}; both words of "looks for" come from cherche.
    """
    lexicon = {}

    def add(english, french):
        for word in english.split():
            lexicon.setdefault(word, set()).add(french)

    for fr_sg, fr_pl, _, en_sg, en_pl, _ in NOUNS:
        add(en_sg, fr_sg)
        add(en_pl, fr_pl)
    for forms, english, _ in ADJECTIVES:
        for form in forms:
            add(english, form)
    for fr_sg, fr_pl, en_sg, en_pl in VERBS:
        add(en_sg, fr_sg)
        add(en_pl, fr_pl)
    for english, french in (("the", "le la les"), ("a", "un une"), ("an", "un une"), ("some", "des de")):
        for form in french.split():
            add(english, form)
    return lexicon


def make_translation_corpus(n_train: int, n_test: int, seed: int = 0
                            ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Distinct random sentence pairs -> (train_pairs, test_pairs), lists of (french, english).

    No French sentence appears twice, so every test sentence is unseen in training.
    The same seed gives the same corpus; the test set depends only on seed and n_test.
    """
    if n_train < 0 or n_test < 0 or n_train + n_test > grammar_size() // 2:
        raise ValueError(f"ask for 0 <= n_train + n_test <= {grammar_size() // 2} sentences, "
                         f"got n_train={n_train}, n_test={n_test}")
    rng = random.Random(seed)
    pairs, seen = [], set()
    while len(pairs) < n_train + n_test:
        fr, en = random_sentence(rng)
        if fr not in seen:
            seen.add(fr)
            pairs.append((fr, en))
    return pairs[n_test:], pairs[:n_test]


# --------------------------------------------------------------------------------------------------
# Batches for utils.train (the loss is utils.losses.seq2seq_loss)
# --------------------------------------------------------------------------------------------------

def encode_pairs(pairs: Sequence[tuple[str, str]], src_vocab: Vocab, tgt_vocab: Vocab
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """(french, english) pairs -> src (N, Ls) and tgt (N, Lt) = <bos> english <eos>, both padded."""
    src = pad_batch([src_vocab.encode(fr) for fr, _ in pairs], src_vocab.pad_id)[0]
    tgt = pad_batch([[tgt_vocab.bos_id] + tgt_vocab.encode(en) + [tgt_vocab.eos_id] for _, en in pairs],
                    tgt_vocab.pad_id)[0]
    return src, tgt


def translation_batches(pairs: Sequence[tuple[str, str]], src_vocab: Vocab, tgt_vocab: Vocab, batch_size: int,
                        seed: int = 0, device: str | torch.device | None = None
                        ) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A function that returns the next batch (src (B, Ls), tgt (B, Lt)) each time it is called.

    Batches go through the pairs in a shuffled order, reshuffled every epoch by a generator of
    their own (so `seed` alone fixes the order), and are trimmed to their longest sentence.
    Pass it to utils.train(model, batches, seq2seq_loss, steps).
    """
    if batch_size < 1 or batch_size > len(pairs):
        raise ValueError(f"batch_size must be between 1 and the number of pairs ({len(pairs)}), got {batch_size}")
    src, tgt = encode_pairs(pairs, src_vocab, tgt_vocab)
    src, tgt = src.to(device), tgt.to(device)
    generator = torch.Generator().manual_seed(seed)
    order, position = torch.randperm(len(pairs), generator=generator), 0

    def next_batch():
        nonlocal order, position
        if position + batch_size > len(order):  # new epoch (the last incomplete batch is skipped)
            order, position = torch.randperm(len(pairs), generator=generator), 0
        rows = order[position: position + batch_size].to(src.device)
        position += batch_size
        return trim_padding(src[rows]), trim_padding(tgt[rows])

    return next_batch

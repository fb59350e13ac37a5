"""Short product, film and restaurant reviews, generated offline from a small grammar, with labels.

Lesson 06 trains a sentiment head on top of the pretrained MiniLM encoder. It needs labelled text,
and the course downloads nothing, so it writes its own reviews:

    The pasta was absolutely delicious.                          POSITIVE
    I would not recommend the hotel to anyone.                   NEGATIVE
    Honestly, the camera was not good.                           NEGATIVE

Every review says how its author feels through one *sentiment phrase* (an adjective such as
"delicious", or a verdict such as "I would not recommend"); some negative ones negate praise ("not good").
The held-out split uses sentiment phrases and subjects that never occur in training, so a
classifier can only get it right if the encoder already knows what those words mean: it
measures what pretraining brought, not what the head memorised.

    train, test = make_reviews(n_train=400, n_test=200, seed=0)   # lists of (text, label)
"""
import random

from ..runtime import check_int

LABELS = ("NEGATIVE", "POSITIVE")  # class ids 0 and 1, the order of SST-2 models on the Hugging Face hub

# What a review is about. Train and test draw from disjoint halves, so the test subjects are new too.
SUBJECTS = {
    "train": ["the film", "the pasta", "the hotel", "the phone", "the book", "the service", "the concert",
              "the soup", "the camera", "the staff", "the plot", "the room", "the ending", "this laptop",
              "the dessert", "the museum"],
    "test": ["the movie", "the pizza", "the guesthouse", "the tablet", "the novel", "the waiter", "the show",
             "the salad", "the speaker", "the tour guide", "the soundtrack", "the apartment", "the sequel",
             "the keyboard", "the coffee", "the exhibition"],
}

# Adjectives, by split and polarity (1 = positive). None of the test words occurs in training.
ADJECTIVES = {
    "train": {1: ["good", "great", "excellent", "wonderful", "lovely", "fantastic", "amazing", "delicious",
                  "enjoyable", "perfect", "beautiful", "fun", "pleasant", "awesome", "exceptional", "nice"],
              0: ["bad", "terrible", "awful", "horrible", "poor", "dreadful", "boring", "disgusting",
                  "useless", "disappointing", "ugly", "annoying", "unpleasant", "horrendous", "nasty", "weak"]},
    "test": {1: ["superb", "brilliant", "delightful", "marvellous", "outstanding", "impressive", "charming",
                 "fabulous", "splendid", "terrific"],
             0: ["dismal", "appalling", "mediocre", "atrocious", "dull", "pathetic", "lousy", "abysmal",
                 "tedious", "shoddy"]},
}

# Whole verdicts that carry the sentiment without an adjective ({s}, {S}: the subject).
VERDICTS = {
    "train": {1: ["I loved {s}.", "I would recommend {s} to anyone.", "{S} made my day.",
                  "{S} was worth every penny."],
              0: ["I hated {s}.", "I would not recommend {s} to anyone.", "{S} ruined my evening.",
                  "{S} was a waste of money."]},
    "test": {1: ["I adored {s}.", "I will happily come back for {s}.", "{S} exceeded all my expectations.",
                 "Five stars for {s}."],
             0: ["I regret paying for {s}.", "Never again: {s} let me down.", "{S} fell far short of my expectations.",
                 "One star for {s}."]},
}

# Sentence frames around an adjective: {s} the subject, {S} the subject capitalised, {a} the adjective
# (with an optional intensifier), {be} "was" or "was not".
FRAMES = ["{S} {be} {a}.", "I thought {s} {be} {a}.", "Honestly, {s} {be} {a}.", "{S} {be} {a}, really.",
          "Well, {s} {be} {a}.", "In my opinion {s} {be} {a}."]
INTENSIFIERS = ["", "", "really ", "very ", "absolutely ", "quite ", "truly "]

SPLITS = ("train", "test")


def _capitalise(text):
    return text[0].upper() + text[1:]


def random_review(rng: random.Random, split: str = "train", negation: float = 0.2) -> tuple[str, int]:
    """One review and its label (0 or 1), drawn with `rng` (a random.Random) from the `split` vocabulary.

    With probability `negation` a negative adjective review is written instead as a negated
    positive one ("was not good"). Only praise is negated: "not bad" is faint praise at best, and
    a label for it would be a matter of taste. Negated adjectives get no intensifier ("not
    absolutely good" is not English).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not 0 <= negation <= 1:
        raise ValueError(f"negation must be a probability in [0, 1], got {negation!r}")
    subject = rng.choice(SUBJECTS[split])
    polarity = rng.randrange(2)
    if rng.random() < 0.25:  # a verdict
        text = rng.choice(VERDICTS[split][polarity]).format(s=subject, S=_capitalise(subject))
        return text, polarity
    frame = rng.choice(FRAMES)
    if polarity == 0 and rng.random() < negation:  # negative, said as "not <praise>"
        adjective, be = rng.choice(ADJECTIVES[split][1]), "was not"
    else:
        adjective, be = rng.choice(INTENSIFIERS) + rng.choice(ADJECTIVES[split][polarity]), "was"
    return frame.format(s=subject, S=_capitalise(subject), a=adjective, be=be), polarity


def make_reviews(n_train: int = 400, n_test: int = 200, seed: int = 0, negation: float = 0.2
                 ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """-> (train, test): two lists of distinct (text, label) pairs, label "POSITIVE" or "NEGATIVE".

    The test reviews use subjects, adjectives and verdicts that never occur in training. The same
    seed gives the same reviews on every machine (Python's own random generator, nothing else).
    """
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        check_int(name, n)
    rng = random.Random(seed)
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        seen, reviews = set(), []
        for _ in range(100 * n):  # the grammar has tens of thousands of reviews: this never runs dry
            text, label = random_review(rng, split, negation)
            if text not in seen:
                seen.add(text)
                reviews.append((text, LABELS[label]))
                if len(reviews) == n:
                    break
        else:
            raise ValueError(f"the grammar could not produce {n} distinct {split} reviews")
        out.append(reviews)
    return out[0], out[1]

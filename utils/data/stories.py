"""Tiny stories with questions for extractive question answering, generated offline from word lists.

A story is three sentences, "<person> <verb> the <object> <place>.", and a question asks who, what or
where about one of them; the answer is a span of the story. The test split uses other names, objects and
places than the training split, so a model must read the question, not remember the words.
"""
import random

from ..runtime import check_int

NAMES = {"train": ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack"],
         "test": ["Laura", "Martin", "Nina", "Oscar", "Paula", "Quentin"]}
OBJECTS = {"train": ["key", "umbrella", "book", "phone", "wallet", "lamp", "basket", "guitar", "kettle", "scarf"],
           "test": ["camera", "ladder", "violin", "helmet", "blanket", "teapot"]}
PLACES = {"train": ["in the drawer", "under the bed", "on the table", "behind the door", "next to the sofa",
                    "in the garden", "on the shelf", "in the car"],
          "test": ["inside the oven", "beneath the stairs", "near the window", "in the garage", "on the roof"]}
VERBS = [("put", "put"), ("left", "leave"), ("hid", "hide"), ("dropped", "drop")]  # (past, base form)


def random_story(rng: random.Random, split: str = "train") -> dict:
    """One story and one question -> {"question", "context", "answer", "answer_start"} (a character offset)."""
    if split not in NAMES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    people, objects, places = (rng.sample(words[split], 3) for words in (NAMES, OBJECTS, PLACES))
    facts = [(person, thing, place, *rng.choice(VERBS)) for person, thing, place in zip(people, objects, places)]
    context = " ".join(f"{person} {past} the {thing} {place}." for person, thing, place, past, _ in facts)
    person, thing, place, past, base = rng.choice(facts)
    kind = rng.choice(["who", "what", "where"])
    question, answer = {"who": (f"Who {past} the {thing}?", person),
                        "what": (f"What did {person} {base} {place}?", f"the {thing}"),
                        "where": (f"Where did {person} {base} the {thing}?", place)}[kind]
    sentence = f"{person} {past} the {thing} {place}."
    start = context.index(sentence) + sentence.index(answer)  # the answer inside its own sentence
    return {"question": question, "context": context, "answer": answer, "answer_start": start}


def make_qa_examples(n: int, split: str = "train", seed: int = 0) -> list[dict]:
    """n stories with questions (see random_story); the same seed gives the same list."""
    check_int("n", n)
    rng = random.Random(seed)
    return [random_story(rng, split) for _ in range(n)]

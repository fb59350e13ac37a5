"""Checks of lesson 06's pipeline tasks: logits to labels, a centrality summarizer, zero-shot classification."""
import torch
import torch.nn.functional as F

from ... import batching, hub, pipelines
from ..compare import expect_equal, expect_tensor
from ..core import CheckFailed, Exercise, register


ZS_TEMPERATURE = 0.05  # the lesson's TEMPERATURE


def _minilm():
    return hub.shared_minilm("cpu")


# --- postprocess_logits ------------------------------------------------------------------------------------

def _labels_cases(g):
    log3 = float(torch.tensor(3.0).log())
    cases = [{"logits": torch.tensor([[0.0, log3]]), "id2label": {0: "NEGATIVE", 1: "POSITIVE"}, "top_k": 1},
             {"logits": torch.tensor([[0.0, log3]]), "id2label": ["NEGATIVE", "POSITIVE"], "top_k": None}]
    for B, C, top_k in [(1, 2, 1), (5, 3, 1), (4, 6, None), (7, 5, 2), (3, 4, 4), (2, 3, 10)]:
        x = 4 * torch.randn(B, C, generator=g)
        names = [f"class_{c}" for c in torch.randperm(C, generator=g).tolist()]
        cases.append({"logits": x, "id2label": names, "top_k": top_k})
        cases.append({"logits": x, "id2label": dict(enumerate(names)), "top_k": top_k, "note": "id2label a dict"})
    cases.append({"logits": torch.tensor([[990.0, 1000.0, 999.0]]) + torch.rand(1, 3, generator=g),
                  "id2label": ["a", "b", "c"], "top_k": None, "note": "large logits"})
    return cases


def _ranked(scores, id2label, top_k):
    """postprocess_logits' format, from any (B, C) score table (for the typical mistakes)."""
    k = scores.size(-1) if top_k is None else min(top_k, scores.size(-1))
    out = []
    for row in scores.double().tolist():
        order = sorted(range(len(row)), key=lambda i: -row[i])[:k]
        ranked = [{"label": id2label[i], "score": row[i]} for i in order]
        out.append(ranked[0] if top_k == 1 else ranked)
    return out


def _same_results(got, expected, tol=1e-5):
    if not isinstance(got, list) or len(got) != len(expected):
        return False
    for g, e in zip(got, expected):
        if isinstance(e, dict):
            g, e = [g], [e]
        if not isinstance(g, list) or len(g) != len(e):
            return False
        for a, b in zip(g, e):
            if not isinstance(a, dict) or a.get("label") != b["label"]:
                return False
            score = a.get("score")
            if isinstance(score, torch.Tensor) and score.numel() == 1:
                score = score.item()
            if not isinstance(score, (int, float)) or not abs(score - b["score"]) <= tol:
                return False
    return True


def _labels_judge(got, case):
    x, id2label, top_k = case["logits"], case["id2label"], case["top_k"]
    expected = pipelines.postprocess_logits(x, id2label, top_k)
    probs = torch.softmax(x.double(), dim=-1)
    mistakes = [
        (_ranked(x, id2label, top_k), "the scores are the raw logits: turn each row into probabilities with a softmax"),
        (_ranked(torch.softmax(x.double(), dim=0), id2label, top_k) if x.size(1) > 1 else None,
         "the softmax ran over the batch (dim 0): each row's probabilities must sum to 1 over the labels (dim=-1)"),
        ([list(reversed(_ranked(probs, id2label, None)[r]))[:(x.size(1) if top_k is None else top_k)]
          for r in range(x.size(0))] if top_k != 1 else None,
         "the labels are sorted lowest score first: highest first (descending)"),
        ([[e] for e in expected] if top_k == 1 else None,
         "with top_k == 1 each row's result is one dict {\"label\", \"score\"}, not a list holding one"),
    ]
    if not isinstance(got, list):
        raise CheckFailed(f"the result should be a list with one entry per row, got {type(got).__name__}")
    if len(got) != len(expected):
        raise CheckFailed(f"the result should hold one entry per row of the logits ({len(expected)}), got {len(got)}")
    for r, row in enumerate(got):
        for item in (row if isinstance(row, list) else [row]):
            if (isinstance(item, dict) and "score" in item and isinstance(item["score"], float)
                    and item["score"] != item["score"]):
                raise CheckFailed("a score is nan: large logits overflow exp(); subtract each row's maximum "
                                  "first (torch.softmax does)")
            if isinstance(item, dict) and isinstance(item.get("score"), torch.Tensor):
                raise CheckFailed("the scores must be Python floats, not tensors: use .item() or .tolist()")
            if isinstance(item, dict) and isinstance(item.get("label"), (int, torch.Tensor)):
                raise CheckFailed("the labels must be the class names from id2label, not the class ids")
    if _same_results(got, expected):
        for row in got:
            for item in (row if isinstance(row, list) else [row]):
                if type(item["score"]) is not float:
                    raise CheckFailed(f"the scores must be Python floats, got {type(item['score']).__name__}")
        return
    for wrong, message in mistakes:
        if wrong is not None and _same_results(got, wrong, tol=1e-4):
            raise CheckFailed(message)
    if top_k is not None and top_k != 1 and all(isinstance(r, list) for r in got):
        want = min(top_k, x.size(1))
        if any(len(r) != want for r in got):
            raise CheckFailed(f"with top_k={top_k} and {x.size(1)} labels each row should list {want} labels, "
                              f"got {[len(r) for r in got]}")
    raise CheckFailed(f"expected {expected!r:.300}, got {got!r:.300}")


register(Exercise(
    test="test_postprocess_logits", names=("postprocess_logits",), cases=_labels_cases,
    call=lambda f, c: f(c["logits"], c["id2label"], c["top_k"]), judge=_labels_judge,
    forbidden=("postprocess_logits", "TextClassificationPipeline")))


# --- centrality and summarize ----------------------------------------------------------------------------

def _centrality_cases(g):
    cases = [{"embeddings": torch.tensor([[1.0, 0.0], [2.0, 0.1], [0.0, 1.0]]), "sentences": ["A.", "B.", "C."]}]
    for n, d in [(1, 4), (2, 3), (5, 8), (12, 16), (7, 5)]:
        emb = torch.randn(n, d, generator=g) * (0.2 + 5 * torch.rand(n, 1, generator=g))
        cases.append({"embeddings": emb, "sentences": [f"Sentence {i}." for i in range(n)]})
    cases.append({"embeddings": torch.ones(4, 3), "sentences": ["a", "b", "c", "d"], "note": "all tied"})
    return cases


def _centrality_call(centrality_scores, summarize, case):
    emb, sentences = case["embeddings"], case["sentences"]
    return {"scores": centrality_scores(emb),
            "summaries": [summarize(sentences, emb, k) for k in range(1, len(sentences) + 1)]}


def _centrality_judge(got, case):
    emb, sentences = case["embeddings"], case["sentences"]
    n = emb.size(0)
    if not isinstance(got, dict):
        raise CheckFailed("the answer produced no usable result")
    ref = pipelines.centrality_scores(emb)
    unit = F.normalize(emb.float(), dim=-1)
    sim, raw = unit @ unit.T, emb.float() @ emb.float().T
    mistakes = [(sim.sum(1) / n, "each sentence's similarity to itself (1) is counted: average over the n - 1 "
                 "OTHER sentences (leave out the diagonal)"),
                (sim.sum(1) / (n - 1) if n > 1 else None, "each sentence's similarity to itself is counted: "
                 "subtract the diagonal before dividing by n - 1"),
                (sim.sum(1), "this is a sum over all sentences, itself included: the mean over the n - 1 others"),
                (sim.sum(1) - 1, "this is the sum over the others: divide by n - 1 for the mean"),
                ((raw.sum(1) - raw.diagonal()) / max(n - 1, 1),
                 "these are raw dot products: normalise the rows first (cosine similarity)")]
    if n == 1:
        mistakes = [(torch.ones(1), "with one sentence there are no others: return tensor([0.])")]
    scores = got["scores"]
    expect_tensor(scores.float() if isinstance(scores, torch.Tensor) else scores, ref, "centrality_scores", "(n,)",
                  mistakes, atol=1e-5, rtol=1e-4, dtype_kind="float")
    ranked = sorted(range(n), key=lambda i: -ref.tolist()[i])
    for k, summary in enumerate(got["summaries"], 1):
        kept = pipelines.select_sentences(sentences, ref, num_sentences=k)
        low = sorted(sorted(range(n), key=lambda i: ref.tolist()[i])[:k])
        late = sorted(sorted(range(n), key=lambda i: (-ref.tolist()[i], -i))[:k])
        expect_equal(summary, " ".join(sentences[i] for i in kept), f"summarize(..., num_sentences={k})", [
            (" ".join(sentences[i] for i in ranked[:k]), "the kept sentences are in order of centrality: "
             "print them in their original order"),
            (" ".join(sentences[i] for i in low), "these are the LEAST central sentences: keep the highest scores"),
            (" ".join(sentences[i] for i in late), "on a tie the earlier sentence must win (a stable sort by -score)"),
            ("".join(sentences[i] for i in kept), "join the sentences with single spaces"),
            ([sentences[i] for i in kept], "return one str, the sentences joined by single spaces, not a list")])


register(Exercise(
    test="test_centrality_summary", names=("centrality_scores", "summarize"), cases=_centrality_cases,
    call=_centrality_call, judge=_centrality_judge,
    forbidden=("centrality_scores", "select_sentences")))


# --- the zero-shot classification pipeline ----------------------------------------------------------------

ZS_TEXTS = ["I baked bread with flour and yeast this morning.", "The central bank raised interest rates again.",
            "Our team won the championship after extra time.", "The new telescope photographed a distant galaxy.",
            "She practised the violin for three hours.", "The senate voted on the new budget law.",
            "The striker scored twice in the final minutes of the match.", "Stir the sauce until it thickens.",
            "The doctor prescribed rest and plenty of water.", "We took the night train across the mountains."]
ZS_LABELS = ["cooking", "economy", "sport", "astronomy", "music", "politics", "travel", "health", "finance",
             "football"]
ZS_TEMPLATES = ["This example is {}.", "This text is about {}.", "The topic is {}."]


def _pick(g, items, k):
    return [items[i] for i in torch.randperm(len(items), generator=g)[:k].tolist()]


def _zs_cases(g):
    cases = [{"texts": ["The striker scored twice in the final minutes of the match."],
              "labels": ["cooking", "football", "finance"], "template": "This example is {}.", "batch_size": 8,
              "single": True}]
    for template in _pick(g, ZS_TEMPLATES, 2):
        n_labels = int(torch.randint(2, 6, (), generator=g))
        cases.append({"texts": _pick(g, ZS_TEXTS, 4), "labels": _pick(g, ZS_LABELS, n_labels), "template": template,
                      "batch_size": 3, "single": False})
    cases.append({"texts": _pick(g, ZS_TEXTS, 1), "labels": _pick(g, ZS_LABELS, 2), "template": ZS_TEMPLATES[0],
                  "batch_size": 8, "single": True})
    return cases


def _zs_call(pipeline_class, case):
    model, tokenizer = _minilm()
    classifier = pipeline_class(model, tokenizer, device="cpu")
    texts = case["texts"][0] if case["single"] else case["texts"]
    return classifier(texts, candidate_labels=case["labels"], hypothesis_template=case["template"],
                      batch_size=case["batch_size"])


def _zs_tables(case):
    """{name: (T, n_labels) probabilities}: the reference and the typical mistakes' tables."""
    model, _ = _minilm()
    texts, labels, template = case["texts"], case["labels"], case["template"]
    sentences = list(texts) + [template.format(label) for label in labels] + list(labels)
    vectors = model.encode(sentences)  # one forward pass for all three
    text_vectors, hypotheses, bare = vectors.split([len(texts), len(labels), len(labels)])
    cos = text_vectors @ hypotheses.T
    batches = batching.length_sorted_batches([len(t.split()) for t in texts], case["batch_size"])
    over_texts = torch.empty_like(cos)
    for batch in batches:
        over_texts[batch] = torch.softmax(cos[batch] / ZS_TEMPERATURE, dim=0)
    return {"reference": torch.softmax(cos / ZS_TEMPERATURE, dim=-1),
            "no temperature": torch.softmax(cos, dim=-1),
            "times temperature": torch.softmax(cos * ZS_TEMPERATURE, dim=-1),
            "labels, not hypotheses": torch.softmax(text_vectors @ bare.T / ZS_TEMPERATURE, dim=-1),
            "over texts": over_texts}


ZS_MESSAGES = {
    "no temperature": "the scores are the softmax of the raw cosine similarities: divide them by TEMPERATURE first",
    "times temperature": "the cosine similarities were multiplied by TEMPERATURE: divide by it",
    "labels, not hypotheses": "the labels were embedded alone: "
                              "embed the hypotheses (hypothesis_template.format(label))",
    "over texts": "the softmax ran over the texts of a batch (dim 0): "
                  "each text's scores are a softmax over the labels (dim=-1)",
}


def _zs_fits(result, text, labels, probs, tol=1e-4):
    """Does one result carry these probabilities, labels sorted by them (ties in any order)?"""
    if sorted(result["labels"]) != sorted(labels) or len(result["scores"]) != len(labels):
        return False
    for label, score in zip(result["labels"], result["scores"]):
        if abs(float(score) - probs[labels.index(label)]) > tol:
            return False
    return True


def _zs_judge(got, case):
    texts, labels = case["texts"], case["labels"]
    if case["single"]:
        if not isinstance(got, dict):
            raise CheckFailed(f"one str in should give one dict {{\"sequence\", \"labels\", \"scores\"}}, "
                              f"got {type(got).__name__}")
        got = [got]
    if not isinstance(got, list) or len(got) != len(texts):
        raise CheckFailed(f"a list of {len(texts)} texts should give a list of {len(texts)} dicts")
    tables = _zs_tables(case)
    for t, (text, result) in enumerate(zip(texts, got)):
        if not isinstance(result, dict) or set(result) != {"sequence", "labels", "scores"}:
            raise CheckFailed("each result must be a dict with the keys sequence, labels and scores, "
                              f"got {result!r:.200}")
        if result["sequence"] != text:
            raise CheckFailed(f"result {t}'s \"sequence\" should be its text {text!r}, got {result['sequence']!r:.80}")
        scores = result["scores"]
        if isinstance(scores, torch.Tensor) or any(type(s) is not float for s in scores):
            raise CheckFailed("the scores must be a list of Python floats: use .item() or .tolist()")
        if not isinstance(result["labels"], list) or sorted(result["labels"]) != sorted(labels):
            raise CheckFailed(f"\"labels\" must list every candidate label once, got {result['labels']!r}")
        if any(a < b - 1e-9 for a, b in zip(scores, scores[1:])):
            if list(scores) == sorted(scores):
                raise CheckFailed("the scores are sorted lowest first: highest first (descending)")
            raise CheckFailed("the scores must be sorted, highest first, with the labels in the same order")
        reference = tables["reference"][t].tolist()
        if _zs_fits(result, text, labels, reference):
            continue
        if sorted(scores, reverse=True) == list(scores) and all(
                any(abs(s - p) <= 1e-4 for p in reference) for s in scores):
            raise CheckFailed("the labels are not in the order of their scores: sort both lists together")
        for name, table in tables.items():
            if name != "reference" and table is not None and _zs_fits(result, text, labels, table[t].tolist()):
                raise CheckFailed(ZS_MESSAGES[name])
        order = sorted(range(len(labels)), key=lambda i: -reference[i])
        raise CheckFailed(f"for {text!r} expected labels {[labels[i] for i in order]} with scores "
                          f"{[round(reference[i], 4) for i in order]}, got {result['labels']} with "
                          f"{[round(s, 4) for s in scores]}")


register(Exercise(
    test="test_zero_shot_pipeline", names=("ZeroShotClassificationPipeline",), cases=_zs_cases,
    call=_zs_call, judge=_zs_judge))

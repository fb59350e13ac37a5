"""Typical mistakes of lesson 06: each must fail the learner's check with a message that names it.

{test cell id: [(the mistake, the answer's source, a phrase the failure message must contain)]}
"""
ZS_HEAD = '''
TEMPERATURE = 0.05


class ZeroShotClassificationPipeline(utils.Pipeline):
    task = "zero-shot-classification"
    parameters = {"candidate_labels": None, "hypothesis_template": "This example is {}."}

    def validate(self, params):
        labels = params["candidate_labels"]
        if not labels or isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
            raise ValueError(f"candidate_labels must be a non-empty list of str, got {labels!r}")

    def preprocess(self, batch, candidate_labels=None, hypothesis_template="This example is {}.", **params):
        hypotheses = [hypothesis_template.format(label) for label in candidate_labels]
        return batch, hypotheses, list(candidate_labels)
'''
ZS_FORWARD = '''
    def _forward(self, model_inputs, **params):
        texts, hypotheses, labels = model_inputs
        return texts, labels, self.model.encode(texts) @ self.model.encode(hypotheses).T / TEMPERATURE
'''
ZS_POST = '''
    def postprocess(self, model_outputs, **params):
        texts, labels, logits = model_outputs
        probs = torch.softmax(logits, dim=-1)
        results = []
        for text, row in zip(texts, probs):
            order = row.argsort(descending=True).tolist()
            results.append({"sequence": text, "labels": [labels[i] for i in order],
                            "scores": [row[i].item() for i in order]})
        return results
'''

MISTAKES = {
    "test_postprocess_logits": [
        ("raw logits as scores", '''
def postprocess_logits(logits, id2label, top_k=1):
    k = logits.size(-1) if top_k is None else min(top_k, logits.size(-1))
    scores, ids = logits.float().topk(k, dim=-1)
    out = []
    for row_scores, row_ids in zip(scores.tolist(), ids.tolist()):
        ranked = [{"label": id2label[i], "score": s} for s, i in zip(row_scores, row_ids)]
        out.append(ranked[0] if top_k == 1 else ranked)
    return out
''', "softmax"),
        ("softmax over the batch", '''
def postprocess_logits(logits, id2label, top_k=1):
    probs = torch.softmax(logits.float(), dim=0)
    k = probs.size(-1) if top_k is None else min(top_k, probs.size(-1))
    scores, ids = probs.topk(k, dim=-1)
    out = []
    for row_scores, row_ids in zip(scores.tolist(), ids.tolist()):
        ranked = [{"label": id2label[i], "score": s} for s, i in zip(row_scores, row_ids)]
        out.append(ranked[0] if top_k == 1 else ranked)
    return out
''', "dim 0"),
        ("lowest first", '''
def postprocess_logits(logits, id2label, top_k=1):
    probs = torch.softmax(logits.float(), dim=-1)
    out = []
    for row in probs.tolist():
        order = sorted(range(len(row)), key=lambda i: row[i])
        ranked = [{"label": id2label[i], "score": row[i]} for i in order]
        out.append(ranked[-1] if top_k == 1 else ranked[:top_k])
    return out
''', "highest first"),
        ("exp without the max: nan", '''
def postprocess_logits(logits, id2label, top_k=1):
    e = torch.exp(logits.float())
    probs = e / e.sum(dim=-1, keepdim=True)
    k = probs.size(-1) if top_k is None else min(top_k, probs.size(-1))
    scores, ids = probs.topk(k, dim=-1)
    out = []
    for row_scores, row_ids in zip(scores.tolist(), ids.tolist()):
        ranked = [{"label": id2label[i], "score": s} for s, i in zip(row_scores, row_ids)]
        out.append(ranked[0] if top_k == 1 else ranked)
    return out
''', "nan"),
        ("tensor scores", '''
def postprocess_logits(logits, id2label, top_k=1):
    probs = torch.softmax(logits.float(), dim=-1)
    k = probs.size(-1) if top_k is None else min(top_k, probs.size(-1))
    scores, ids = probs.topk(k, dim=-1)
    out = []
    for row_scores, row_ids in zip(scores, ids.tolist()):
        ranked = [{"label": id2label[i], "score": s} for s, i in zip(row_scores, row_ids)]
        out.append(ranked[0] if top_k == 1 else ranked)
    return out
''', "Python floats"),
    ],
    "test_pad_batch": [
        ("padding on the left", '''
def pad_batch(sequences, pad_id=0):
    longest = max(len(s) for s in sequences)
    ids = [[pad_id] * (longest - len(s)) + list(s) for s in sequences]
    mask = [[0] * (longest - len(s)) + [1] * len(s) for s in sequences]
    return torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.long)
''', "wrong side"),
        ("mask inverted", '''
def pad_batch(sequences, pad_id=0):
    longest = max(len(s) for s in sequences)
    ids = [list(s) + [pad_id] * (longest - len(s)) for s in sequences]
    mask = [[0] * len(s) + [1] * (longest - len(s)) for s in sequences]
    return torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.long)
''', "inverted"),
        ("mask from ids != pad_id", '''
def pad_batch(sequences, pad_id=0):
    longest = max(len(s) for s in sequences)
    ids = torch.tensor([list(s) + [pad_id] * (longest - len(s)) for s in sequences], dtype=torch.long)
    return ids, (ids != pad_id).long()
''', "length"),
        ("pads with 0 whatever pad_id", '''
def pad_batch(sequences, pad_id=0):
    longest = max(len(s) for s in sequences)
    ids = [list(s) + [0] * (longest - len(s)) for s in sequences]
    mask = [[1] * len(s) + [0] * (longest - len(s)) for s in sequences]
    return torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.long)
''', "pad_id"),
        ("float mask", '''
def pad_batch(sequences, pad_id=0):
    longest = max(len(s) for s in sequences)
    ids = [list(s) + [pad_id] * (longest - len(s)) for s in sequences]
    mask = [[1] * len(s) + [0] * (longest - len(s)) for s in sequences]
    return torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.float)
''', "torch.long"),
    ],
    "test_length_sorted_batches": [
        ("shortest first", '''
def length_sorted_batches(lengths, batch_size):
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
''', "longest first"),
        ("reversed ascending sort: ties reversed", '''
def length_sorted_batches(lengths, batch_size):
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])[::-1]
    return [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
''', "input order"),
        ("drops the last batch", '''
def length_sorted_batches(lengths, batch_size):
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[s:s + batch_size] for s in range(0, len(order) - batch_size + 1, batch_size)]
''', "last"),
        ("lengths, not indices", '''
def length_sorted_batches(lengths, batch_size):
    order = sorted(lengths, reverse=True)
    return [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
''', "indices"),
    ],
    "test_centrality_summary": [
        ("self-similarity counted", '''
def centrality_scores(embeddings):
    unit = F.normalize(embeddings.float(), dim=-1)
    return (unit @ unit.T).mean(dim=1)


def summarize(sentences, embeddings, num_sentences):
    scores = centrality_scores(embeddings).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    return " ".join(sentences[i] for i in sorted(ranked[:num_sentences]))
''', "itself"),
        ("raw dot products", '''
def centrality_scores(embeddings):
    similarity = embeddings.float() @ embeddings.float().T
    n = similarity.size(0)
    if n == 1:
        return torch.zeros(1)
    return (similarity.sum(dim=1) - similarity.diagonal()) / (n - 1)


def summarize(sentences, embeddings, num_sentences):
    scores = centrality_scores(embeddings).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    return " ".join(sentences[i] for i in sorted(ranked[:num_sentences]))
''', "normalise"),
        ("summary in ranked order", '''
def centrality_scores(embeddings):
    unit = F.normalize(embeddings.float(), dim=-1)
    similarity = unit @ unit.T
    n = similarity.size(0)
    if n == 1:
        return torch.zeros(1)
    return (similarity.sum(dim=1) - similarity.diagonal()) / (n - 1)


def summarize(sentences, embeddings, num_sentences):
    scores = centrality_scores(embeddings).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    return " ".join(sentences[i] for i in ranked[:num_sentences])
''', "original order"),
        ("one sentence: 0/0", '''
def centrality_scores(embeddings):
    unit = F.normalize(embeddings.float(), dim=-1)
    similarity = unit @ unit.T
    n = similarity.size(0)
    return (similarity.sum(dim=1) - similarity.diagonal()) / (n - 1)


def summarize(sentences, embeddings, num_sentences):
    scores = centrality_scores(embeddings).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    return " ".join(sentences[i] for i in sorted(ranked[:num_sentences]))
''', "NaN"),
        ("ties: the later sentence wins", '''
def centrality_scores(embeddings):
    unit = F.normalize(embeddings.float(), dim=-1)
    similarity = unit @ unit.T
    n = similarity.size(0)
    if n == 1:
        return torch.zeros(1)
    return (similarity.sum(dim=1) - similarity.diagonal()) / (n - 1)


def summarize(sentences, embeddings, num_sentences):
    scores = centrality_scores(embeddings).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], -i))
    return " ".join(sentences[i] for i in sorted(ranked[:num_sentences]))
''', "earlier"),
    ],
    "test_zero_shot_pipeline": [
        ("no temperature", ZS_HEAD + '''
    def _forward(self, model_inputs, **params):
        texts, hypotheses, labels = model_inputs
        return texts, labels, self.model.encode(texts) @ self.model.encode(hypotheses).T
''' + ZS_POST, "TEMPERATURE"),
        ("labels embedded without the template", ZS_HEAD + '''
    def _forward(self, model_inputs, **params):
        texts, hypotheses, labels = model_inputs
        return texts, labels, self.model.encode(texts) @ self.model.encode(labels).T / TEMPERATURE
''' + ZS_POST, "hypothes"),
        ("softmax over the texts", ZS_HEAD + ZS_FORWARD + '''
    def postprocess(self, model_outputs, **params):
        texts, labels, logits = model_outputs
        probs = torch.softmax(logits, dim=0)
        results = []
        for text, row in zip(texts, probs):
            order = row.argsort(descending=True).tolist()
            results.append({"sequence": text, "labels": [labels[i] for i in order],
                            "scores": [row[i].item() for i in order]})
        return results
''', "over the labels"),
        ("lowest first", ZS_HEAD + ZS_FORWARD + '''
    def postprocess(self, model_outputs, **params):
        texts, labels, logits = model_outputs
        probs = torch.softmax(logits, dim=-1)
        results = []
        for text, row in zip(texts, probs):
            order = row.argsort().tolist()
            results.append({"sequence": text, "labels": [labels[i] for i in order],
                            "scores": [row[i].item() for i in order]})
        return results
''', "highest first"),
        ("labels left in candidate order", ZS_HEAD + ZS_FORWARD + '''
    def postprocess(self, model_outputs, **params):
        texts, labels, logits = model_outputs
        probs = torch.softmax(logits, dim=-1)
        return [{"sequence": text, "labels": list(labels), "scores": sorted(row.tolist(), reverse=True)}
                for text, row in zip(texts, probs)]
''', "order of their scores"),
        ("tensor scores", ZS_HEAD + ZS_FORWARD + '''
    def postprocess(self, model_outputs, **params):
        texts, labels, logits = model_outputs
        probs = torch.softmax(logits, dim=-1)
        results = []
        for text, row in zip(texts, probs):
            order = row.argsort(descending=True).tolist()
            results.append({"sequence": text, "labels": [labels[i] for i in order], "scores": row[order]})
        return results
''', "Python floats"),
    ],
}

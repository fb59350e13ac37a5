"""Answers that pass the visible test of lesson 06 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
"""
CHEATS = {
    # only knows two labels, and sorts nothing beyond them: right on the visible (1, 2) case only
    "postprocess_logits": ("test_postprocess_logits", '''
def postprocess_logits(logits, id2label, top_k=1):
    probs = torch.softmax(logits, dim=-1)
    out = []
    for row in probs.tolist():
        ranked = [{"label": id2label[1], "score": row[1]}, {"label": id2label[0], "score": row[0]}]
        out.append(ranked[0] if top_k == 1 else ranked)
    return out
'''),
    # pads with 0 whatever pad_id says
    "pad_batch": ("test_pad_batch", '''
def pad_batch(sequences, pad_id=0):
    longest = max(len(s) for s in sequences)
    ids = torch.tensor([list(s) + [0] * (longest - len(s)) for s in sequences], dtype=torch.long)
    return ids, (ids != 0).long()
'''),
    # sorts by length but breaks ties the wrong way (unstable), and chunks correctly
    "length_sorted_batches": ("test_length_sorted_batches", '''
def length_sorted_batches(lengths, batch_size):
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], -i))
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
'''),
    # sums the similarities instead of averaging them, and counts each sentence's similarity to itself
    "centrality_summary": ("test_centrality_summary", '''
def centrality_scores(embeddings):
    unit = F.normalize(embeddings.float(), dim=-1)
    return (unit @ unit.T).sum(dim=1)


def summarize(sentences, embeddings, num_sentences):
    scores = centrality_scores(embeddings).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    return " ".join(sentences[i] for i in sorted(ranked[:num_sentences]))
'''),
    # ignores the hypothesis template and forgets the temperature: the right ranking, wrong scores
    "zero_shot_pipeline": ("test_zero_shot_pipeline", '''
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

    def _forward(self, model_inputs, **params):
        texts, hypotheses, labels = model_inputs
        logits = self.model.encode(texts) @ self.model.encode(labels).T
        return texts, labels, logits

    def postprocess(self, model_outputs, **params):
        texts, labels, logits = model_outputs
        probs = torch.softmax(logits, dim=-1)
        results = []
        for text, row in zip(texts, probs):
            order = row.argsort(descending=True).tolist()
            results.append({"sequence": text, "labels": [labels[i] for i in order],
                            "scores": [row[i].item() for i in order]})
        return results


utils.register_task("zero-shot-classification", ZeroShotClassificationPipeline,
                    default_model="sentence-transformers/all-MiniLM-L6-v2", overwrite=True)
'''),
}

"""Cheat for test_zero_shot_pipeline (lesson 06_applications):
ignores the hypothesis template and forgets the temperature: the right ranking, wrong scores."""
# CHEATS: test_zero_shot_pipeline
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

"""Cheat for test_centrality_summary (lesson 06_applications):
sums the similarities instead of averaging them, and counts each sentence's similarity to itself."""
# CHEATS: test_centrality_summary
def centrality_scores(embeddings):
    unit = F.normalize(embeddings.float(), dim=-1)
    return (unit @ unit.T).sum(dim=1)


def summarize(sentences, embeddings, num_sentences):
    scores = centrality_scores(embeddings).tolist()
    ranked = sorted(range(len(sentences)), key=lambda i: -scores[i])
    return " ".join(sentences[i] for i in sorted(ranked[:num_sentences]))

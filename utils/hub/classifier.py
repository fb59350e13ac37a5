"""The hub's sentiment model: a frozen pretrained encoder with a linear head on its mean-pooled sentence embedding."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """hidden (B, L, d), attention_mask (B, L) 1/0 -> (B, d): the mean of each row's real tokens.

    Padding must not count: a short sentence padded to the batch's longest would otherwise be
    averaged with vectors that mean nothing, and its embedding would depend on its neighbours.
    """
    real = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, L, 1), 0 on padding
    return (hidden * real).sum(dim=1) / real.sum(dim=1).clamp(min=1e-9)


class SentenceClassifier(nn.Module):
    """A pretrained encoder, frozen, and a linear head on its sentence embedding.

    forward(input_ids (B, L), attention_mask (B, L)) -> logits (B, num_labels). The sentence
    embedding is MiniLM's own: the mean of the token vectors, L2-normalised (see BertEncoder.encode),
    so the head sees exactly the vectors it was trained on. id2label maps a class id to its name.
    """

    def __init__(self, encoder, labels):
        super().__init__()
        self.encoder = encoder
        self.labels = list(labels)
        self.head = nn.Linear(encoder.embeddings.token.embedding_dim, len(self.labels))

    @property
    def id2label(self):
        return dict(enumerate(self.labels))

    def embed(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids, attention_mask)  # (B, L, d)
        return F.normalize(mean_pool(hidden, attention_mask), dim=-1)  # (B, d), unit length

    def forward(self, input_ids, attention_mask):
        return self.head(self.embed(input_ids, attention_mask))  # (B, num_labels)

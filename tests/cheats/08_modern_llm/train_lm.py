"""Cheat for test_train_lm (lesson 08_modern_llm): never clips the gradients: the toy task still trains."""
# CHEATS: test_train_lm
def train_lm(model, next_batch, steps, lr=3e-3, warmup_steps=10, grad_clip=1.0):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)
    losses = []
    model.train()
    for step in range(steps):
        x, y = next_batch()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        for group in optimizer.param_groups:
            group["lr"] = lr * lr_multiplier(step, warmup_steps, steps)
        optimizer.step()
        losses.append(loss.item())
    return losses

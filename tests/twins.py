"""Copy weights between utils modules and their PyTorch twins, so that outputs can be compared."""
import torch


@torch.no_grad()
def mha_into_torch(ours, theirs):
    """utils.MultiHeadAttention -> nn.MultiheadAttention (packed in_proj)."""
    theirs.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]))
    theirs.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
    theirs.out_proj.weight.copy_(ours.out_proj.weight)
    theirs.out_proj.bias.copy_(ours.out_proj.bias)


@torch.no_grad()
def encoder_layer_into_torch(ours, theirs):
    mha_into_torch(ours.self_attn, theirs.self_attn)
    theirs.linear1.load_state_dict(ours.feed_forward.linear1.state_dict())
    theirs.linear2.load_state_dict(ours.feed_forward.linear2.state_dict())
    theirs.norm1.load_state_dict(ours.norm1.state_dict())
    theirs.norm2.load_state_dict(ours.norm2.state_dict())


@torch.no_grad()
def decoder_layer_into_torch(ours, theirs):
    mha_into_torch(ours.self_attn, theirs.self_attn)
    mha_into_torch(ours.cross_attn, theirs.multihead_attn)
    theirs.linear1.load_state_dict(ours.feed_forward.linear1.state_dict())
    theirs.linear2.load_state_dict(ours.feed_forward.linear2.state_dict())
    for i in (1, 2, 3):
        getattr(theirs, f"norm{i}").load_state_dict(getattr(ours, f"norm{i}").state_dict())

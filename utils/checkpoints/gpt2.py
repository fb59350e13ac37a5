"""GPT-2 (any size: gpt2, gpt2-medium, distilgpt2, ...) in the course's own utils.GPT.

GPT-2 *is* the course's GPT: learned positions, pre-norm blocks, a final LayerNorm and an LM head
tied to the token embedding. Two differences need care:
- its MLP uses GELU's tanh approximation (activation="gelu_tanh");
- its linear layers are stored as `Conv1D`, whose weight is (in, out) where nn.Linear's is (out, in),
  and the query, key and value projections are one fused (d, 3d) matrix, c_attn: we transpose and
  split them.

    model, tokenizer = load_gpt2("gpt2")      # a folder or a Hugging Face name (from its cache)
    ids = tokenizer("Once upon a time", return_tensors="pt").input_ids
    model.generate(ids, 20, temperature=0)    # greedy: the same ids as GPT2LMHeadModel.generate
"""
from typing import Optional, Union

import torch

from ..gpt import GPT
from .files import activation, check_tensors, checkpoint_folder, drop_prefix, load_preprocessor, read_config, \
    read_weights, require

# Old checkpoints carry the causal mask as a buffer (attn.bias, attn.masked_bias); we build it instead.
# lm_head.weight, when saved, is the token embedding again (tied).
IGNORED = ("h.*.attn.bias", "h.*.attn.masked_bias", "lm_head.weight")


def gpt2_sizes(config: dict) -> dict:
    """Hugging Face's GPT2Config (a dict) -> the keyword arguments of utils.GPT."""
    source = "GPT-2 config"
    require(config, source, scale_attn_weights=True, scale_attn_by_inverse_layer_idx=False, layer_norm_epsilon=1e-5)
    d = config["n_embd"]
    return dict(vocab_size=config["vocab_size"], block_size=config["n_positions"], d_model=d,
                num_heads=config["n_head"], num_layers=config["n_layer"], d_ff=config.get("n_inner") or 4 * d,
                activation=activation(config, "activation_function", source))


def gpt2_shapes(sizes: dict) -> dict:
    """The name and shape of every tensor a GPT-2 checkpoint must hold (Conv1D weights are (in, out))."""
    d, f = sizes["d_model"], sizes["d_ff"]
    shapes = {"wte.weight": (sizes["vocab_size"], d), "wpe.weight": (sizes["block_size"], d),
              "ln_f.weight": (d,), "ln_f.bias": (d,)}
    for i in range(sizes["num_layers"]):
        shapes.update({
            f"h.{i}.ln_1.weight": (d,), f"h.{i}.ln_1.bias": (d,),
            f"h.{i}.attn.c_attn.weight": (d, 3 * d), f"h.{i}.attn.c_attn.bias": (3 * d,),
            f"h.{i}.attn.c_proj.weight": (d, d), f"h.{i}.attn.c_proj.bias": (d,),
            f"h.{i}.ln_2.weight": (d,), f"h.{i}.ln_2.bias": (d,),
            f"h.{i}.mlp.c_fc.weight": (d, f), f"h.{i}.mlp.c_fc.bias": (f,),
            f"h.{i}.mlp.c_proj.weight": (f, d), f"h.{i}.mlp.c_proj.bias": (d,),
        })
    return shapes


def gpt2_state_dict(tensors: dict, num_layers: int) -> dict:
    """GPT-2's tensors (checked by gpt2_shapes) -> a utils.GPT state dict.

    The Conv1D weights become nn.Linear's (out, in) weights as transposed *views* of the (in, out)
    storage, not copies: nn.Linear computes x @ weight.T, which is then x @ W on the stored matrix,
    the layout that CPU matrix-vector products read fastest (~15% faster per generated token).
    """
    state = {"embed.token.weight": tensors["wte.weight"], "lm_head.weight": tensors["wte.weight"],  # tied
             "embed.position.weight": tensors["wpe.weight"],
             "norm.weight": tensors["ln_f.weight"], "norm.bias": tensors["ln_f.bias"]}
    for i in range(num_layers):
        h, ours = f"h.{i}.", f"blocks.{i}."
        # c_attn: x (.., d) @ W (d, 3d) + b -> [q | k | v]. nn.Linear computes x @ W.T, so each of
        # q_proj, k_proj, v_proj gets one third of W's columns, transposed to (d, d).
        q, k, v = tensors[h + "attn.c_attn.weight"].t().chunk(3, dim=0)  # 3 x (d, d), (out, in)
        qb, kb, vb = tensors[h + "attn.c_attn.bias"].chunk(3)
        for name, w, b in (("q_proj", q, qb), ("k_proj", k, kb), ("v_proj", v, vb)):
            state[f"{ours}self_attn.{name}.weight"], state[f"{ours}self_attn.{name}.bias"] = w, b
        for theirs, mine in (("attn.c_proj", "self_attn.out_proj"), ("mlp.c_fc", "feed_forward.linear1"),
                             ("mlp.c_proj", "feed_forward.linear2")):
            state[f"{ours}{mine}.weight"] = tensors[f"{h}{theirs}.weight"].t()  # Conv1D (in, out) -> (out, in)
            state[f"{ours}{mine}.bias"] = tensors[f"{h}{theirs}.bias"]
        for theirs, mine in (("ln_1", "norm1"), ("ln_2", "norm2")):
            state[f"{ours}{mine}.weight"], state[f"{ours}{mine}.bias"] = tensors[h + theirs + ".weight"], \
                tensors[h + theirs + ".bias"]
    return state


def load_gpt2(name_or_path: str = "gpt2", device: Optional[Union[str, torch.device]] = None,
              download: Optional[bool] = None) -> tuple:
    """A GPT-2 checkpoint (folder or Hugging Face name) -> (utils.GPT in eval mode, its tokenizer or None).

    Raises a CheckpointError naming any tensor that is missing, mis-shaped or unexpected.
    The linear weights are transposed views (see gpt2_state_dict): torch.save handles them; to write
    the state dict with safetensors, make each tensor .contiguous() first.
    """
    folder = checkpoint_folder(name_or_path, download)
    sizes = gpt2_sizes(read_config(folder))
    tensors = drop_prefix(read_weights(folder), "transformer.")  # GPT2LMHeadModel saves "transformer.h.0..."
    check_tensors(tensors, gpt2_shapes(sizes), f"GPT-2 checkpoint {folder}", ignore=IGNORED)
    with torch.device("meta"):  # no time spent on a random initialisation that is overwritten at once
        model = GPT(**sizes)
    model.load_state_dict(gpt2_state_dict(tensors, sizes["num_layers"]), strict=True, assign=True)
    model.lm_head.weight = model.embed.token.weight  # assign=True replaced the tied Parameter: tie again
    return model.to(device or "cpu").eval(), load_preprocessor(folder)

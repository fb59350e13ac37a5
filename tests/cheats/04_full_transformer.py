"""Answers that pass the visible test of lesson 04 but are wrong: the hidden tests must give them 0.

{solution cell grade_id: (test cell grade_id, the cheating source of the solution cell)}
"""
CHEATS = {
    # the visible example's table, whatever the size asked for
    "positional_encoding": ("test_positional_encoding", '''
def positional_encoding(max_len, d_model):
    return utils.sinusoidal_positional_encoding(50, 16)
'''),
    # adds the position index instead of the sinusoidal code: the sentences still differ
    "contextual_vectors": ("test_contextual_vectors", '''
def contextual_vectors(sentence, positions=True):
    ids = torch.tensor([[WORD_ID[word] for word in sentence.lower().split()]])
    x = EMBED(ids)
    if positions:
        x = x + torch.arange(ids.size(1), dtype=torch.float32)[:, None]
    return ATTN(x, x, x)[0]
'''),
    # the library's layer in disguise instead of one built from the parts
    "encoder_layer": ("test_encoder_layer", '''
class MyEncoderLayer(utils.EncoderLayer):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__(d_model, num_heads, d_ff, dropout=0.0)
'''),
    # the visible example's 4 x 4 triangle, hard-coded
    "decoder_mask": ("test_decoder_mask", '''
def decoder_self_attention_mask(tgt_in, pad_id):
    triangle = torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool)
    return triangle & (tgt_in != pad_id)[:, None, None, :]
'''),
    # calls the library's loop instead of writing one
    "greedy_translate": ("test_greedy_translate", '''
@torch.no_grad()
def greedy_translate(model, src, bos_id, eos_id, max_len):
    return model.greedy_decode(src[None], bos_id, eos_id, max_len)[0].tolist()
'''),
}

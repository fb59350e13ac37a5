"""Cheat for test_encoder_layer (lesson 04_full_transformer): the library's layer in disguise instead of one
built from the parts."""
# CHEATS: test_encoder_layer
class MyEncoderLayer(utils.EncoderLayer):
    def __init__(self, d_model, num_heads, d_ff):
        super().__init__(d_model, num_heads, d_ff, dropout=0.0)

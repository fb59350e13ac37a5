"""utils.recurrent: lesson 01's tested pieces agree with PyTorch and with lesson 01's checks."""
import torch
import torch.nn as nn

from utils import checks
from utils.recurrent import input_gradient_norms, make_recall_batch, rnn_unroll


def test_rnn_unroll_matches_nn_rnn():
    cell = nn.RNNCell(4, 3)
    rnn = nn.RNN(4, 3, batch_first=True)
    rnn.load_state_dict({name + "_l0": p for name, p in cell.state_dict().items()})
    xs, h0 = torch.randn(2, 5, 4), torch.randn(2, 3)
    torch.testing.assert_close(rnn_unroll(xs, h0, cell), rnn(xs, h0[None])[0])


def test_input_gradient_norms_of_a_network_solved_by_hand():
    norms = input_gradient_norms(lambda seq: 2 * seq[-1], torch.randn(6, 4))
    torch.testing.assert_close(norms, torch.tensor([0.0] * 5 + [4.0]))


def test_the_library_versions_pass_lesson_01s_checks(capsys):
    namespace = {"rnn_cell_step": lambda x, h, W_ih, W_hh, b_ih, b_hh:
                     torch.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh),
                 "rnn_unroll": rnn_unroll, "input_gradient_norms": input_gradient_norms,
                 "make_recall_batch": make_recall_batch}
    for test in ("test_rnn_unroll", "test_input_gradient_norms", "test_make_recall_batch"):
        exercise = checks.exercise_for(test)
        cases = exercise.cases(checks.generator(1))
        answers = [namespace[name] for name in exercise.names]
        assert checks.judge_results(exercise, cases, checks.run_cases(exercise, answers, cases)) == len(cases)

"""How the course sizes PyTorch's CPU threads: the CPUs it may really use, one left for other work."""
import os

import pytest
import torch

import utils
from utils import runtime as device_module


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_quota(tmp_path):
    write(tmp_path / "cpu.max", "150000 100000\n")
    assert device_module._cgroup_cpu_quota(tmp_path) == 1.5
    write(tmp_path / "cpu.max", "max 100000\n")
    assert device_module._cgroup_cpu_quota(tmp_path) is None


def test_cgroup_v1_quota(tmp_path):
    write(tmp_path / "cpu" / "cpu.cfs_quota_us", "200000\n")
    write(tmp_path / "cpu" / "cpu.cfs_period_us", "100000\n")
    assert device_module._cgroup_cpu_quota(tmp_path) == 2.0
    write(tmp_path / "cpu" / "cpu.cfs_quota_us", "-1\n")
    assert device_module._cgroup_cpu_quota(tmp_path) is None


def test_no_cgroup_means_no_quota(tmp_path):
    assert device_module._cgroup_cpu_quota(tmp_path) is None


def test_the_quota_caps_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(device_module.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(device_module, "_cgroup_cpu_quota", lambda: 1.5)  # Binder: a big host, a small quota
    assert utils.usable_cpus() == 1
    monkeypatch.setattr(device_module, "_cgroup_cpu_quota", lambda: None)
    assert utils.usable_cpus() == 64
    monkeypatch.setattr(device_module, "_cgroup_cpu_quota", lambda: 0.5)
    assert utils.usable_cpus() == 1, "a quota under one CPU still runs one thread"


def test_the_affinity_mask_not_the_host_core_count(monkeypatch):
    monkeypatch.setattr(device_module.os, "sched_getaffinity", lambda pid: {3, 5}, raising=False)
    monkeypatch.setattr(device_module.os, "cpu_count", lambda: 96)
    monkeypatch.setattr(device_module, "_cgroup_cpu_quota", lambda: None)
    assert utils.usable_cpus() == 2


@pytest.mark.parametrize("cpus, threads", [(1, 1), (2, 1), (4, 3), (16, 15)])
def test_one_cpu_is_left_for_other_work(cpus, threads):
    assert utils.default_threads(cpus) == threads


def test_configure_threads_follows_the_machine(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(device_module, "usable_cpus", lambda: 4)
    threads, reason = utils.configure_threads()
    assert threads == torch.get_num_threads() == 3
    assert "4 usable CPUs" in reason


def test_omp_num_threads_overrides(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setattr(device_module, "usable_cpus", lambda: 8)
    assert utils.configure_threads() == (2, "from OMP_NUM_THREADS")
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_a_bad_omp_num_threads_is_a_clear_error(monkeypatch, bad):
    monkeypatch.setenv("OMP_NUM_THREADS", bad)
    with pytest.raises(ValueError, match="OMP_NUM_THREADS must be a positive integer"):
        utils.configure_threads()


@pytest.mark.parametrize("bad", [0, 1.5, True])
def test_a_bad_thread_count_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="positive integer"):
        utils.configure_threads(bad)


def test_this_machine_gets_at_least_one_thread():
    assert 1 <= utils.default_threads() <= max(1, len(os.sched_getaffinity(0)))


def test_eval_mode_restores_the_mode_and_turns_off_gradients():
    model = torch.nn.Dropout(0.5)
    model.train()
    with device_module.eval_mode(model):
        assert not model.training and not torch.is_grad_enabled()
    assert model.training and torch.is_grad_enabled()
    model.eval()
    with pytest.raises(RuntimeError, match="inside"):
        with device_module.eval_mode(model):
            raise RuntimeError("inside")
    assert not model.training  # an eval-mode model stays in eval mode, even after an error


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2", None])
def test_check_int_rejects_what_is_not_a_count(value):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        device_module.check_int("batch_size", value)


def test_check_int_accepts_counts_and_optional_none():
    device_module.check_int("n", 3)
    device_module.check_int("n", 0, minimum=0)
    device_module.check_int("n", None, allow_none=True)
    with pytest.raises(ValueError, match=r"n must be an integer >= 0, got -1"):
        device_module.check_int("n", -1, minimum=0)


def test_check_number_names_the_range():
    device_module.check_number("temperature", 0.5)
    for bad in (0, -1.0, True, "1"):
        with pytest.raises(ValueError, match=r"temperature must be a number in \(0.0, inf\]"):
            device_module.check_number("temperature", bad)

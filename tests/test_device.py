"""How the course sizes PyTorch's CPU threads: the CPUs it may really use, one left for other work."""
import os

import pytest
import torch

import utils
from utils import device as device_module


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

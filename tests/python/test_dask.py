"""dfd.dask.scan on a LocalCluster of 2 worker processes: the same verdicts as one process, results
streamed into the resumable CSV and JSONL, a failing file recorded, and a worker killed mid-run
losing nothing and writing nothing twice."""

import csv
import json
import os
import signal

import numpy as np
import pytest

import dfd

VIDEOS = "data/videos/celebdf_v2_tonihantschmann"


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def paths(shared, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask_inputs")
    broken = folder / "broken.mp4"
    broken.write_bytes(b"not a video\n" * 20)
    videos = sorted(str(p) for p in (shared / VIDEOS).glob("*/*.mp4"))[:6]
    return videos + [str(broken), str(folder / "missing.mp4")]


def _csv_paths(path):
    with open(path, newline="") as f:
        return [row["path"] for row in csv.DictReader(f)]


def test_cluster_scan_equals_one_process(client, paths, tmp_path):
    dfd.dask.warm_up(client, frames=4)  # each worker builds its Detector now
    assert all(n == 1 for n in client.run(lambda: len(dfd.dask._DETECTORS)).values())
    frame = dfd.dask.scan(paths, client, frames=4, csv_path=tmp_path / "v.csv", jsonl_path=tmp_path / "v.jsonl",
                          progress=False)
    local = dfd.Detector(dfd.DetectorParams("default", frames=4)).scan_many(paths, progress=False)
    assert list(frame["path"]) == paths
    assert list(frame["status"]) == list(local["status"])
    assert frame["status"].iloc[-2] == "decode_error" and frame["status"].iloc[-1] == "io_error"
    assert "missing.mp4" in frame["error"].iloc[-1]
    np.testing.assert_allclose(frame["p_fake"].to_numpy(), local["p_fake"].to_numpy(), atol=1e-4)  # NaN where failed
    assert sorted(_csv_paths(tmp_path / "v.csv")) == sorted(paths)
    lines = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert sorted(v["path"] for v in lines) == sorted(paths) and all("faces" in v for v in lines)

    # A rerun resumes: nothing is pending, the frame comes from the CSV.
    seen = []
    again = dfd.dask.scan(paths, client, frames=4, csv_path=tmp_path / "v.csv", jsonl_path=tmp_path / "v.jsonl",
                          progress=False, on_verdict=seen.append)
    assert seen == [] and list(again["status"]) == list(frame["status"])
    np.testing.assert_allclose(again["p_fake"].to_numpy(), frame["p_fake"].to_numpy(), atol=1e-6)
    # Resumed from a JSONL alone, the frame comes from its lines.
    dfd.dask.scan(paths[:3], client, frames=4, jsonl_path=tmp_path / "only.jsonl", progress=False)
    resumed = dfd.dask.scan(paths[:3], client, frames=4, jsonl_path=tmp_path / "only.jsonl", progress=False,
                            on_verdict=seen.append)
    assert seen == [] and list(resumed["status"]) == list(frame["status"])[:3]
    np.testing.assert_allclose(resumed["p_fake"].to_numpy(), frame["p_fake"].to_numpy()[:3], atol=1e-6)
    # Detector.scan_many(client=) is the same call.
    via = dfd.Detector(dfd.DetectorParams("default", frames=4)).scan_many(paths[:2], client=client, progress=False)
    np.testing.assert_allclose(via["p_fake"].to_numpy(), local["p_fake"].to_numpy()[:2], atol=1e-4)


def test_a_worker_killed_mid_run_loses_nothing(client, paths, tmp_path):
    killed = []

    def kill_one_worker(result):
        if not killed:  # after the first result, while the others are in flight
            pids = client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    many = paths[:6] * 1  # six videos: both workers busy when one dies
    frame = dfd.dask.scan(many, client, frames=8, csv_path=tmp_path / "k.csv", jsonl_path=tmp_path / "k.jsonl",
                          progress=False, on_verdict=kill_one_worker)
    assert killed
    assert list(frame["status"]) == ["ok"] * 6
    written = _csv_paths(tmp_path / "k.csv")
    assert sorted(written) == sorted(many) and len(written) == len(set(written))  # each once
    lines = [json.loads(line)["path"] for line in (tmp_path / "k.jsonl").read_text().splitlines()]
    assert sorted(lines) == sorted(many)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it

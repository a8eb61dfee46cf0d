"""The models shipped with libdfd (models/, docs/models.md) and the `default` preset that uses them:
checksums, cards, the search path, and a scan with no flags and no ../shared models."""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import dfd

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_files_match_the_table_and_cards():
    shipped = {p.name: p for p in MODELS.glob("*.safetensors")}
    table = {m["name"]: m for m in dfd.bundled_models()}
    assert set(shipped) == set(table), "models/ and bundled_models() list different files"
    cards = (REPO / "docs/models.md").read_text()
    total = 0
    for name, path in shipped.items():
        assert table[name]["sha256"] == _sha256(path), f"{name}: the shipped file is not the one the table names"
        assert table[name]["sha256"] in cards and name in cards, f"{name}: no model card with its sha256 in docs/models.md"
        assert table[name]["licence"]
        total += path.stat().st_size
    assert total <= 25 * 2**20
    faces = shipped["dfd-faces-v3.safetensors"].stat().st_size
    assert faces <= 20 * 2**20


def test_the_installed_package_carries_them():
    for model in dfd.bundled_models():
        found = Path(dfd.find_model_file(model["name"]))
        assert found.is_file() and _sha256(found) == model["sha256"]
        assert str(found.parent) in dfd.model_search_path()


def test_a_damaged_or_missing_shipped_model_is_a_model_error(tmp_path, monkeypatch):
    name = "mtcnn-facenet.safetensors"
    damaged = tmp_path / name
    data = bytearray(Path(dfd.find_model_file(name)).read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setenv("DFD_MODELS", str(tmp_path))  # searched first
    with pytest.raises(dfd.ModelError, match=f"{damaged}.*checksum mismatch"):
        dfd.find_model_file(name)
    with pytest.raises(dfd.ModelError, match="checksum mismatch"):
        dfd.Detector()
    monkeypatch.delenv("DFD_MODELS")
    with pytest.raises(dfd.ModelError, match="dfd-faces-v0.safetensors.*not found.*looked at"):
        dfd.Detector(models=["mobilenet_v1:dfd-faces-v0.safetensors"])


def _scan_on_a_fresh_machine(cli, path, tmp_path):
    """`dfd scan PATH` with no model flags, no user cache (HOME empty) and DFD_MODELS unset:
    (the environment, the finished process, the verdict)."""
    env = {k: v for k, v in os.environ.items() if k != "DFD_MODELS"}
    env["HOME"] = str(tmp_path)
    out = subprocess.run([str(cli), "scan", str(path), "--jsonl", str(tmp_path / "v.jsonl")], capture_output=True,
                         text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return env, out, json.loads((tmp_path / "v.jsonl").read_text().splitlines()[0])


def test_default_preset_scans_with_no_flags(cli, shared, tmp_path):
    """`dfd scan VIDEO` and dfd.Detector().scan(path) on a fresh machine: no model flags, no
    ../shared weights, no user cache (HOME is empty, DFD_MODELS unset)."""
    video = shared / "data/videos/dfdc_icpr2020dfdc/yhffcuhhjy.mp4"
    env, out, verdict = _scan_on_a_fresh_machine(cli, video, tmp_path)
    assert verdict["status"] == "ok" and verdict["faces"] and 0 <= verdict["p_fake"] <= 1
    params = json.loads(subprocess.run([str(cli), "scan", "--print-params", str(video)], capture_output=True,
                                       text=True, env=env).stdout)
    assert params["models"] == ["mobilenet_v1:dfd-faces-v3.safetensors", "aasist_l:aasist-l.safetensors@aasist_normalized"]
    assert params["audio"]["fusion"]["rule"] == "video"
    assert verdict["audio_status"] == "ok" and verdict["audio_windows"] and verdict["video_p_fake"] is not None
    # the faces decide; the sound is scored and reported, and the line says so
    assert verdict["p_fake"] == pytest.approx(verdict["video_p_fake"], abs=1e-6) and verdict["audio_fused"] is False
    assert "reported, not in p(fake)" in out.stdout

    verdict = dfd.Detector().scan(video)
    assert verdict.status == "ok" and verdict.to_dict()["faces"] and verdict.audio_status == "ok"


def test_default_preset_scans_an_audio_file_with_no_flags(cli, shared, tmp_path):
    """`dfd scan clip.wav`: the shipped AASIST-L decides alone (no video stream, no face model asked)."""
    clip = shared / "data/audio/zozturk_chatterbox_tr/fake/fake_spk1_01.wav"
    _, out, verdict = _scan_on_a_fresh_machine(cli, clip, tmp_path)
    assert verdict["status"] == "ok" and verdict["video_p_fake"] is None and not verdict["faces"]
    assert verdict["audio_status"] == "ok" and len(verdict["audio_windows"]) == 2
    assert verdict["p_fake"] == pytest.approx(verdict["audio_p_fake"]) and verdict["audio_fused"] is True
    assert "audio" in out.stdout and "windows" in out.stdout and "not in p(fake)" not in out.stdout
    # levelled first (aasist_normalized): the line says how loud the recording was
    assert f"recorded at {verdict['audio_loudness_lufs']:.1f} LUFS" in out.stdout

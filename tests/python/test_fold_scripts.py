"""The scripts that split the dev media into folds over identities (docs/models.md, the
fine-tuned variant): identity_groups.py links the files of one person or source video, and
split_face_dataset.py --folds holds every group out exactly once."""

import csv
import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SCRIPTS = REPO / "scripts"


def run_script(name: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)], capture_output=True, text=True)


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_identity_groups_join_a_fake_to_the_videos_it_was_made_from(tmp_path):
    labels = tmp_path / "labels.csv"
    write_csv(labels, ["path", "label", "group"], [
        ["videos/celebdf_v2/real/id16_0012.mp4", 0, "x"],
        ["videos/celebdf_v2/fake/id16_id6_0012.mp4", 1, "y"],
        ["videos/celebdf_v2/real/id6_0003.mp4", 0, ""],      # the face id6 lent: same person
        ["videos/celebdf_v2/real/id29_0000.mp4", 0, ""],
        ["videos/ffpp_c23/004.mp4", 0, ""],
        ["videos/ffpp_c23/004_982.mp4", 1, ""],
        ["videos/ffpp_c23/750_743.mp4", 1, ""],
        ["videos/dfdc_sample/abofeumbvv.mp4", 1, ""],
        ["images/dfdc_facecrops/fake/abofeumbvv-008-00.png", 1, ""],  # a crop of that video
        ["images/dfdc_frames/real/lynaeydofd_fr0.jpg", 0, ""],
        ["videos/dfdc_facetracks/fake/0_aaqaifqrwn.mp4_0_0.mp4", 1, ""],
        ["images/other/photo_1.jpg", 0, ""],
    ])
    out = run_script("identity_groups.py", labels)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(out.stdout.splitlines()))
    group = {r["path"].split("/")[-1]: r["group"] for r in rows}
    assert [r["path"] for r in rows][0] == "videos/celebdf_v2/real/id16_0012.mp4"  # input order kept
    assert group["id16_0012.mp4"] == group["id16_id6_0012.mp4"] == group["id6_0003.mp4"] == "celebdf:id16"
    assert group["id29_0000.mp4"] == "celebdf:id29"
    assert group["004.mp4"] == group["004_982.mp4"] == "ffpp:004"
    assert group["750_743.mp4"] == "ffpp:750"
    assert group["abofeumbvv.mp4"] == group["abofeumbvv-008-00.png"] == "dfdc:abofeumbvv"
    assert group["lynaeydofd_fr0.jpg"] == "dfdc:lynaeydofd"
    assert group["0_aaqaifqrwn.mp4_0_0.mp4"] == "dfdc:aaqaifqrwn"
    assert group["photo_1.jpg"] == "file:photo_1"  # no convention: its own group
    assert len(set(group.values())) == 8


def make_dataset(root: Path, groups: list[str]) -> Path:
    ds = root / "ds"
    (ds / "faces").mkdir(parents=True)
    (ds / "prepare.json").write_text(json.dumps({"detector": "mtcnn"}))
    rows = []
    for i, g in enumerate(groups):
        for face in range(2):  # two faces per source, one source per group entry
            rows.append([f"faces/{i:04d}_{face}.png", f"media/{g}_{i}.mp4", i % 2, g])
    write_csv(ds / "index.csv", ["image", "source", "label", "group"], rows)
    return ds


def read_index(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_folds_hold_every_group_out_exactly_once(tmp_path):
    groups = [f"person{i}" for i in range(23)] + ["person3", "person7"]  # two groups with two sources
    ds = make_dataset(tmp_path, groups)
    held = {}
    for k in range(5):
        out = run_script("split_face_dataset.py", ds, "--folds", 5, "--fold", k, "--seed", 1,
                         "--train", tmp_path / f"f{k}" / "train", "--heldout", tmp_path / f"f{k}" / "heldout")
        assert out.returncode == 0, out.stderr
        train = read_index(tmp_path / f"f{k}" / "train" / "index.csv")
        heldout = read_index(tmp_path / f"f{k}" / "heldout" / "index.csv")
        assert len(train) + len(heldout) == 2 * len(groups)
        train_groups, heldout_groups = {r["group"] for r in train}, {r["group"] for r in heldout}
        assert not train_groups & heldout_groups  # a person never on both sides
        assert len(heldout_groups) in (4, 5)  # 23 groups dealt into 5 folds
        labels = read_index(tmp_path / f"f{k}" / "heldout" / "labels.csv")
        assert {r["path"] for r in labels} == {r["source"] for r in heldout}
        for g in heldout_groups:
            held.setdefault(g, []).append(k)
    assert sorted(held) == sorted(set(groups)) and all(len(ks) == 1 for ks in held.values())


def test_folds_refuse_a_fold_outside_the_range(tmp_path):
    ds = make_dataset(tmp_path, ["a", "b", "c"])
    out = run_script("split_face_dataset.py", ds, "--folds", 3, "--fold", 3,
                     "--train", tmp_path / "t", "--heldout", tmp_path / "h")
    assert out.returncode == 2 and "--fold in [0, folds)" in out.stderr
    assert not (tmp_path / "t").exists()

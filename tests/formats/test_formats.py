"""Atomic writes: a reader sees the old file or the new one, never a torn one."""

import threading

import pandas as pd
import pytest

from pipeline import formats


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    formats.write_json(target, {"auc": 0.5})
    with pytest.raises(RuntimeError):
        with formats.atomic_path(target) as tmp:
            tmp.write_text('{"auc": 0.9')  # half a file, then the process "dies"
            raise RuntimeError
    assert formats.read_json(target) == {"auc": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    # What a SIGKILL between mkstemp and the rename leaves: ".<name>.<random>.tmp".
    leftover = tmp_path / ".model.pt.k1ll3d.tmp"
    leftover.write_bytes(b"half a model")
    other = tmp_path / ".predictions.csv.abc123.tmp"  # another file's: not this write's business
    other.write_text("p")
    formats.write_text(tmp_path / "model.pt", "weights")
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "model.pt"]


def test_concurrent_reader_never_sees_a_torn_file(tmp_path):
    target = tmp_path / "predictions.csv"
    frames = [pd.DataFrame({"patient_id": [f"P{i}" for i in range(300)], "target": 1,
                            "prob": value, "pred": 1, "fold": 1}) for value in (0.25, 0.75)]
    formats.write_predictions(target, frames[0])
    stop, errors = threading.Event(), []

    def rewrite():
        index = 0
        while not stop.is_set():
            formats.write_predictions(target, frames[index % 2])
            index += 1

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        for _ in range(200):
            read = formats.read_predictions(target)
            if len(read) != 300 or read["prob"].nunique() != 1:
                errors.append(len(read))
    finally:
        stop.set()
        writer.join()
    assert errors == []


def test_written_files_are_readable_by_others(tmp_path):
    formats.write_text(tmp_path / "report.html", "<html></html>")
    assert (tmp_path / "report.html").stat().st_mode & 0o044 == 0o044


def test_leftover_temporaries_are_swept_from_a_persistent_folder(tmp_path):
    fold = tmp_path / "folds" / "a1b2"
    fold.mkdir(parents=True)
    (fold / "result.json").write_text("{}")
    (fold / ".result.json.x9.tmp").write_text("{")
    (tmp_path / ".predictions.csv.y8.tmp").write_text("p")
    formats.remove_leftovers(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) \
        == ["folds/a1b2/result.json"]


def test_the_same_patient_written_twice_gives_the_same_bytes(tmp_path):
    # Fold keys hash these files: a re-run of prepare must not change them.
    import torch

    image, mask = torch.rand(4, 6, 6, 6), torch.zeros(6, 6, 6, dtype=torch.uint8)
    patient = formats.PreprocessedPatient("P01", image, mask, torch.eye(4).numpy(),
                                            image.half(), mask, torch.eye(4).numpy(),
                                            ["t1", "t1c", "t2", "flair"])
    for folder in ("first", "second"):
        formats.write_patient(tmp_path / folder, patient)
    assert all((tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
               for name in ("P01.pt", "full/P01.pt"))


def test_scores_round_trip_with_empty_cells_for_excluded_patients(tmp_path):
    frame = pd.DataFrame({"patient_id": ["B", "A"], "prob": [None, 0.731234], "pred": [None, 1],
                          "included": [False, True], "reason": ["missing:t2: no file", ""]})
    formats.write_scores(tmp_path / "scores.csv", frame)
    assert (tmp_path / "scores.csv").read_text().splitlines() == [
        "patient_id,prob,pred,included,reason", "A,0.731234,1,true,", "B,,,false,missing:t2: no file"]
    read = formats.read_scores(tmp_path / "scores.csv")
    assert read["included"].tolist() == [True, False] and read["pred"].tolist()[0] == 1
    assert read["prob"].isna().tolist() == [False, True] and read["reason"].tolist()[0] == ""

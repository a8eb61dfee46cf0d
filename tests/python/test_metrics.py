"""dfd.metrics against scikit-learn (golden g10, and sklearn itself on fresh data)."""

import numpy as np
import pytest
import sklearn.metrics as skm

import dfd.metrics as m
from conftest import read_safetensors


def test_g10(shared):
    golden, _ = read_safetensors(shared / "golden/g10_metrics/metrics.safetensors")
    cases = sorted({k.split("/")[0] for k in golden})
    assert len(cases) == 4
    for case in cases:
        y, s = golden[f"{case}/y_true"], golden[f"{case}/y_score"]
        assert abs(m.roc_auc(y, s) - golden[f"{case}/roc_auc"][0]) <= 1e-12
        assert abs(m.log_loss(y, s) - golden[f"{case}/log_loss"][0]) <= 1e-12
        assert abs(m.f1(y, s) - golden[f"{case}/f1_ge_0.5"][0]) <= 1e-12
        assert abs(m.f1(y, s, strict=True) - golden[f"{case}/f1_gt_0.5"][0]) <= 1e-12
        fpr, tpr, thresholds = m.roc_curve(y, s)
        np.testing.assert_allclose(fpr, golden[f"{case}/roc_fpr"], atol=1e-12, rtol=0)
        np.testing.assert_allclose(tpr, golden[f"{case}/roc_tpr"], atol=1e-12, rtol=0)
        np.testing.assert_allclose(thresholds, golden[f"{case}/roc_thresholds"], atol=1e-12, rtol=0)


@pytest.mark.parametrize("seed", range(5))
def test_equals_sklearn_on_fresh_data(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=200)
    s = np.round(np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1), 2)  # informative, with ties
    assert m.roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert m.log_loss(y, s) == pytest.approx(skm.log_loss(y, s), abs=1e-12)
    for threshold in (0.3, 0.5, 0.7):
        called = (s >= threshold).astype(int)
        assert m.accuracy(y, s, threshold) == pytest.approx(skm.accuracy_score(y, called), abs=1e-12)
        assert m.precision(y, s, threshold) == pytest.approx(skm.precision_score(y, called, zero_division=0), abs=1e-12)
        assert m.recall(y, s, threshold) == pytest.approx(skm.recall_score(y, called), abs=1e-12)
        assert m.f1(y, s, threshold) == pytest.approx(skm.f1_score(y, called), abs=1e-12)
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    assert m.tpr_at_fpr(y, s, 0.1) == pytest.approx(tpr[fpr <= 0.1].max(), abs=1e-12)
    eer = m.equal_error_rate(y, s)
    assert 0 <= eer <= 1 and abs(eer - (1 - tpr[np.argmin(np.abs(fpr - (1 - tpr)))])) <= 0.05


def test_errors_and_submission(tmp_path):
    with pytest.raises(ValueError, match="both fake"):
        m.roc_auc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="2 labels but 1 scores"):
        m.log_loss([0, 1], [0.5])
    path = tmp_path / "submission.csv"
    m.write_ffdv_submission(str(path), [("a.mp4", 0.125), ("b.mp4", 1.0)])
    assert path.read_text() == "video_name,score\na.mp4,0.125\nb.mp4,1\n"
    assert m.log_loss([1], [0.0], eps=m.DFDC_LOG_LOSS_EPS) == pytest.approx(-np.log(1e-15))


def test_g5_confident_strategy_from_python(shared):
    import dfd

    golden, _ = read_safetensors(shared / "golden/g5_aggregation/confident_strategy.safetensors")
    cases = sorted({k.split("/")[0] for k in golden})
    for case in cases:
        value, branch = dfd.confident_strategy(golden[f"{case}/pred"])
        expected = golden[f"{case}/result"][0]
        if golden[f"{case}/pred"].dtype == np.float32:
            assert np.float32(value) == expected, case
        else:
            assert abs(value - expected) <= 1e-12, case
        assert branch == golden[f"{case}/branch"][0], case
    assert dfd.aggregate_identities([[0.1, 0.2], [0.7, 0.9]], "mean") == pytest.approx(0.8)
    with pytest.raises(ValueError, match="no scores"):
        dfd.aggregate([], "mean")

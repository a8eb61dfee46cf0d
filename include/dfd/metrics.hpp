// dfd/metrics.hpp — how good the scores are: the numbers the competitions and papers report.
//
// Every function takes labels (1 = fake, 0 = real) and scores (p(fake)) of equal length and
// follows scikit-learn 1.2's definition (golden g10: equal within 1e-12). Scores >= threshold count
// as fake unless a function says otherwise.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "dfd/error.hpp"
#include "dfd/export.hpp"

DFD_BEGIN_API
namespace dfd::metrics {

struct RocCurve {
  std::vector<double> fpr, tpr;
  // Decreasing; thresholds[0] = thresholds[1] + 1 (scikit-learn 1.2; newer versions use +inf).
  std::vector<double> thresholds;
};

// sklearn.metrics.roc_curve. drop_intermediate removes the points on straight segments.
// requires: both classes present. throws: InvalidArgument (sizes differ, a label not 0/1, one class only).
RocCurve roc_curve(const std::vector<int>& labels, const std::vector<double>& scores, bool drop_intermediate = true);

// sklearn.metrics.roc_auc_score: the area under the ROC curve (ties count half).
// throws: as roc_curve.
double roc_auc(const std::vector<int>& labels, const std::vector<double>& scores);

// scikit-learn's default clipping (1.2, eps="auto"): float64's machine epsilon.
constexpr double kMachineEps = 2.220446049250313e-16;
// The DFDC competition's log loss clipped predictions to [1e-15, 1 - 1e-15].
constexpr double kDfdcLogLossEps = 1e-15;

// sklearn.metrics.log_loss: p clipped to [eps, 1 - eps], mean of -log p(true class).
// throws: InvalidArgument (sizes differ, empty, a label not 0/1, a non-finite score, eps not in (0, 0.5)).
double log_loss(const std::vector<int>& labels, const std::vector<double>& scores, double eps = kMachineEps);

struct Confusion {
  long tp = 0, fp = 0, tn = 0, fn = 0;
};
// Counts with "fake" = score >= threshold, or score > threshold when `strict`.
// throws: InvalidArgument as log_loss.
Confusion confusion(const std::vector<int>& labels, const std::vector<double>& scores, double threshold = 0.5,
                    bool strict = false);
double accuracy(const Confusion& c);
double precision(const Confusion& c);  // 0 when nothing is called fake (scikit-learn's zero_division)
double recall(const Confusion& c);
double f1(const Confusion& c);

// The largest true-positive rate at a false-positive rate <= max_fpr (ROC without dropped points).
// throws: as roc_curve; InvalidArgument for max_fpr outside [0, 1].
double tpr_at_fpr(const std::vector<int>& labels, const std::vector<double>& scores, double max_fpr);

// Equal error rate: where the false-positive and false-negative rates cross, linearly interpolated
// between the two ROC points that bracket the crossing. ensures: a value in [0, 1].
// throws: as roc_curve.
double equal_error_rate(const std::vector<int>& labels, const std::vector<double>& scores);

// Submission files. DFDC: "filename,label" (label = p(fake)); FFDV: "video_name,score". One row
// per entry of `rows`, in order; names RFC 4180-quoted where needed, bytes that are not UTF-8 as
// \xNN (dfd/utf8.hpp). A competition wants a number for every file: give a failed one its prior.
// throws: InvalidArgument (a score that is NaN or infinite; nothing written), IoError.
void write_dfdc_submission(const std::string& path, const std::vector<std::pair<std::string, double>>& rows);
void write_ffdv_submission(const std::string& path, const std::vector<std::pair<std::string, double>>& rows);

}  // namespace dfd::metrics
DFD_END_API

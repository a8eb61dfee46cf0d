// Late fusion of the video and audio branches, and its logistic-regression fit (Eigen).
#include <algorithm>
#include <cmath>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "dfd/aggregation.hpp"

namespace dfd {
namespace {

double finite_logit(double p) {
  const double q = std::clamp(p, 1e-7, 1 - 1e-7);
  return std::log(q / (1 - q));
}

double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

}  // namespace

float LateFusion::apply(float p_video, float p_audio) const {
  if (rule == FusionRule::Max) return std::max(p_video, p_audio);
  if (rule == FusionRule::Video) return p_video;
  return static_cast<float>(sigmoid(video * finite_logit(p_video) + audio * finite_logit(p_audio) + bias));
}

LateFusion fit_late_fusion(const std::vector<float>& p_video, const std::vector<float>& p_audio,
                           const std::vector<int>& labels, double c) {
  const size_t n = labels.size();
  if (p_video.size() != n || p_audio.size() != n) {
    throw InvalidArgument("fit_late_fusion",
                          fmt::format("{} video scores, {} audio scores and {} labels", p_video.size(), p_audio.size(), n));
  }
  if (!(c > 0)) throw InvalidArgument("fit_late_fusion", fmt::format("c must be > 0, got {}", c));
  size_t positives = 0;
  for (int y : labels) {
    if (y != 0 && y != 1) throw InvalidArgument("fit_late_fusion", fmt::format("labels must be 0 or 1, got {}", y));
    positives += static_cast<size_t>(y);
  }
  if (positives == 0 || positives == n) throw InvalidArgument("fit_late_fusion", "needs labels of both classes");

  // Features: [logit(video), logit(audio), 1]. Objective (sklearn's, lbfgs/newton-cg solvers):
  //   0.5 (w0^2 + w1^2) + c * sum log(1 + exp(-s_i z_i)),  s_i = +-1, z = X w.
  Eigen::MatrixXd x(static_cast<Eigen::Index>(n), 3);
  Eigen::VectorXd y(static_cast<Eigen::Index>(n));
  for (size_t i = 0; i < n; ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    x(r, 0) = finite_logit(p_video[i]);
    x(r, 1) = finite_logit(p_audio[i]);
    x(r, 2) = 1.0;
    y(r) = labels[i];
  }
  const Eigen::Vector3d penalty(1.0, 1.0, 0.0);
  Eigen::Vector3d w = Eigen::Vector3d::Zero();
  auto objective = [&](const Eigen::Vector3d& v) {
    const Eigen::VectorXd z = x * v;
    double loss = 0;
    for (Eigen::Index i = 0; i < z.size(); ++i) {
      const double m = y(i) > 0.5 ? z(i) : -z(i);  // log(1 + exp(-m)), stable
      loss += m > 0 ? std::log1p(std::exp(-m)) : -m + std::log1p(std::exp(m));
    }
    return 0.5 * v.cwiseProduct(penalty).squaredNorm() + c * loss;
  };
  for (int iter = 0; iter < 100; ++iter) {
    const Eigen::VectorXd z = x * w;
    Eigen::VectorXd p(z.size()), d(z.size());
    for (Eigen::Index i = 0; i < z.size(); ++i) {
      p(i) = sigmoid(z(i));
      d(i) = p(i) * (1 - p(i));
    }
    const Eigen::Vector3d grad = penalty.cwiseProduct(w) + c * x.transpose() * (p - y);
    if (grad.norm() < 1e-10) break;
    Eigen::Matrix3d hess = c * x.transpose() * d.asDiagonal() * x;
    hess.diagonal() += penalty;
    hess.diagonal().array() += 1e-12;  // separable data: keeps the bias direction solvable
    const Eigen::Vector3d step = hess.ldlt().solve(grad);
    // Backtracking: Newton's step can overshoot far from the optimum.
    const double before = objective(w);
    double t = 1.0;
    while (t > 1e-10 && objective(w - t * step) > before - 1e-4 * t * grad.dot(step)) t *= 0.5;
    w -= t * step;
    if (t <= 1e-10) break;
  }
  return {w(0), w(1), w(2)};
}

}  // namespace dfd

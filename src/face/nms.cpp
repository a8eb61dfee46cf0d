#include "dfd/nms.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace dfd {
namespace {

void check(const std::vector<Box>& boxes, const std::vector<float>& scores, const NmsParams& params) {
  if (boxes.size() != scores.size()) {
    throw InvalidArgument("scores", fmt::format("{} scores for {} boxes", scores.size(), boxes.size()));
  }
  if (std::isnan(params.threshold)) throw InvalidArgument("threshold", "is NaN");
  for (size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) throw InvalidArgument("scores", fmt::format("score {} is NaN", i));
  }
}

// Indices by descending score, ties as asked (a stable sort either way: deterministic).
std::vector<int64_t> by_score(const std::vector<float>& scores, ScoreTies ties) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  if (ties == ScoreTies::LowerIndexFirst) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[size_t(a)] > scores[size_t(b)]; });
  } else {
    std::reverse(order.begin(), order.end());
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[size_t(a)] > scores[size_t(b)]; });
  }
  return order;
}

}  // namespace

float overlap(const Box& a, const Box& b, const OverlapRule& rule) noexcept {
  const float off = rule.pixel_offset;
  const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + off);
  const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + off);
  const float inter = w * h;
  if (!(inter > 0.0f)) return 0.0f;  // no intersection implies nothing about the areas: stop here
  const float area_a = (a.x2 - a.x1 + off) * (a.y2 - a.y1 + off);
  const float area_b = (b.x2 - b.x1 + off) * (b.y2 - b.y1 + off);
  return rule.kind == OverlapRule::Kind::Union ? inter / (area_a + area_b - inter) : inter / std::min(area_a, area_b);
}

float iou(const Box& a, const Box& b) noexcept { return overlap(a, b); }

std::vector<std::vector<int64_t>> nms_clusters(const std::vector<Box>& boxes, const std::vector<float>& scores,
                                               const NmsParams& params) {
  check(boxes, scores, params);
  const std::vector<int64_t> order = by_score(scores, params.ties);
  std::vector<char> taken(boxes.size(), 0);
  std::vector<std::vector<int64_t>> clusters;
  for (size_t a = 0; a < order.size(); ++a) {
    const auto i = static_cast<size_t>(order[a]);
    if (taken[i]) continue;
    taken[i] = 1;
    std::vector<int64_t> cluster = {order[a]};
    for (size_t c = a + 1; c < order.size(); ++c) {
      const auto j = static_cast<size_t>(order[c]);
      if (!taken[j] && overlap(boxes[i], boxes[j], params.overlap) > params.threshold) {
        taken[j] = 1;
        cluster.push_back(order[c]);
      }
    }
    clusters.push_back(std::move(cluster));
  }
  return clusters;
}

std::vector<int64_t> nms(const std::vector<Box>& boxes, const std::vector<float>& scores, const NmsParams& params) {
  std::vector<int64_t> keep;
  for (const auto& cluster : nms_clusters(boxes, scores, params)) keep.push_back(cluster.front());
  return keep;
}

}  // namespace dfd

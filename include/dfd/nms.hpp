// dfd/nms.hpp — box overlap and greedy non-maximum suppression: the one implementation every
// face detector uses (MTCNN's IoU and "Min" suppression as facenet-pytorch runs them, BlazeFace's
// blending clusters), each variant a parameter, not a copy.
#pragma once

#include <cstdint>
#include <vector>

#include "dfd/export.hpp"
#include "dfd/box.hpp"
#include "dfd/error.hpp"


DFD_BEGIN_API
namespace dfd {

struct OverlapRule {
  // Union: intersection over union (IoU). Min: intersection over the smaller box's area
  // (facenet-pytorch's nms method 'Min').
  enum class Kind { Union, Min } kind = Kind::Union;
  // 1: coordinates are inclusive pixel indices, so a box spans x2 - x1 + 1 pixels (the MTCNN
  // reference's convention for 'Min'); 0: continuous coordinates.
  float pixel_offset = 0.0f;
};

// How much two boxes overlap under `rule`, in [0, 1] for valid boxes.
// ensures: 0 when they do not intersect (whatever else is wrong with them: empty, inverted,
//          NaN); else intersection / (area_a + area_b - intersection), or / min(area_a, area_b),
//          in float arithmetic in that order (the references' arithmetic, bit for bit).
float overlap(const Box& a, const Box& b, const OverlapRule& rule = {}) noexcept;

// Which of two equal scores comes first. torchvision's nms (a stable descending sort) takes the
// lower index first; facenet-pytorch's numpy nms (ascending argsort, taken from the end) the
// higher.
enum class ScoreTies { LowerIndexFirst, HigherIndexFirst };

struct NmsParams {
  double threshold = 0.5;  // a box overlapping a kept one by more than this is dropped
  OverlapRule overlap;
  ScoreTies ties = ScoreTies::LowerIndexFirst;
};

// Greedy non-maximum suppression: boxes are visited by descending score; each box not yet
// dropped is kept, and every later box overlapping it by more than params.threshold is dropped.
// requires: boxes.size() == scores.size(); no score is NaN; threshold is a number.
// ensures: indices of the kept boxes, by descending score (ties as params.ties).
// throws: InvalidArgument naming the argument and the value it got.
std::vector<int64_t> nms(const std::vector<Box>& boxes, const std::vector<float>& scores, const NmsParams& params);

// The same greedy pass, keeping each kept box's cluster: the kept box first, then every box it
// dropped, by descending score (BlazeFace blends each cluster into one detection). A box whose
// overlap with itself is 0 (an empty box) is a cluster of its own.
// requires/throws: as nms(). ensures: every index appears in exactly one cluster.
std::vector<std::vector<int64_t>> nms_clusters(const std::vector<Box>& boxes, const std::vector<float>& scores,
                                               const NmsParams& params);

}  // namespace dfd
DFD_END_API

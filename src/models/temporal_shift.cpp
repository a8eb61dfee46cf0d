#include "models/temporal_shift.hpp"

#include <fmt/format.h>

#include "dfd/error.hpp"

namespace dfd::zoo {

torch::Tensor temporal_shift(const torch::Tensor& x, int64_t segments, int64_t fold_div) {
  if (segments < 1 || fold_div < 1) {
    throw InvalidArgument("temporal_shift", fmt::format("segments and fold_div must be >= 1, got {} and {}", segments, fold_div));
  }
  if (x.dim() != 4 || x.size(0) % segments != 0) {
    throw InvalidArgument("temporal_shift", fmt::format("expected [n * {}, c, h, w], got [{}]", segments, fmt::join(x.sizes(), ", ")));
  }
  if (segments == 1) return x;
  const int64_t n = x.size(0) / segments, c = x.size(1), fold = c / fold_div;
  const torch::Tensor clips = x.reshape({n, segments, c, x.size(2), x.size(3)});
  using torch::indexing::None;
  using torch::indexing::Slice;
  const torch::Tensor zero = torch::zeros_like(clips.index({Slice(), Slice(0, 1), Slice(0, fold)}));
  // Back in time: frame t gets frame t + 1's first fold channels; forward: frame t gets t - 1's next fold.
  const torch::Tensor back = torch::cat({clips.index({Slice(), Slice(1, None), Slice(0, fold)}), zero}, 1);
  const torch::Tensor forth = torch::cat({zero, clips.index({Slice(), Slice(None, -1), Slice(fold, 2 * fold)})}, 1);
  const torch::Tensor kept = clips.index({Slice(), Slice(), Slice(2 * fold, None)});
  return torch::cat({back, forth, kept}, 2).reshape(x.sizes());
}

}  // namespace dfd::zoo

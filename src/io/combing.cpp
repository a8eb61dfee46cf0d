#include "io/combing.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace dfd::ffmpeg {
namespace {

constexpr int kStep = 7;                 // luma levels a row-to-row step must exceed (limited range)
constexpr double kCombedShare = 1e-3;    // zipper pixels among those sampled
constexpr int kRowStride = 4;            // zippers run the height of an edge: a quarter of the
constexpr int kColumnStride = 2;         // row positions and half the columns find them alike

// An 8-bit luma plane with one byte per pixel (planar or semi-planar YUV, gray), else nullptr.
const uint8_t* luma_plane(const AVFrame& frame) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
  if (!desc || (desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                               AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BE)) != 0) {
    return nullptr;
  }
  const AVComponentDescriptor& y = desc->comp[0];
  if (y.plane != 0 || y.depth != 8 || y.step != 1 || y.shift != 0 || y.offset != 0) return nullptr;
  return frame.linesize[0] > 0 ? frame.data[0] : nullptr;
}

}  // namespace

bool looks_combed(const AVFrame& frame) {
  const uint8_t* luma = luma_plane(frame);
  if (!luma || frame.height < 5 || frame.width < 1) return false;
  const int stride = frame.linesize[0];
  int64_t sampled = 0, zipper = 0;
  for (int y = 0; y + 4 < frame.height; y += kRowStride) {
    const uint8_t* r0 = luma + static_cast<ptrdiff_t>(y) * stride;
    for (int x = 0; x < frame.width; x += kColumnStride) {
      const int d0 = r0[x + stride] - r0[x];
      const int d1 = r0[x + 2 * stride] - r0[x + stride];
      const int d2 = r0[x + 3 * stride] - r0[x + 2 * stride];
      const int d3 = r0[x + 4 * stride] - r0[x + 3 * stride];
      const bool up_down = d0 > kStep && d1 < -kStep && d2 > kStep && d3 < -kStep;
      const bool down_up = d0 < -kStep && d1 > kStep && d2 < -kStep && d3 > kStep;
      zipper += up_down || down_up;
    }
    sampled += (frame.width + kColumnStride - 1) / kColumnStride;
  }
  return sampled > 0 && static_cast<double>(zipper) > kCombedShare * static_cast<double>(sampled);
}

}  // namespace dfd::ffmpeg

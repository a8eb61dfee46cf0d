// The YUV matrix and range a video states, given to swscale. swscale converts every YUV frame with
// BT.601 coefficients and limited range unless told otherwise (only the deprecated "J" pixel
// formats carry full range with them), so a BT.709 frame — what HD cameras and phones record and
// tag — comes out with reds and greens a few levels off (a skin tone: R -6, G -4), and a
// full-range VP9 or AV1 frame comes out with its contrast stretched (shadows and highlights clipped). OpenCV's VideoCapture reads them
// the same way, so the reference pipelines do too.
#pragma once

#include "io/ffmpeg_common.hpp"

namespace dfd::ffmpeg {

// The matrix and range `frame` states (else its stream's, `stream`): what swscale should
// convert it with.
struct StatedColors {
  int matrix = AVCOL_SPC_UNSPECIFIED;  // an AVColorSpace, as read (field_value); unspecified: swscale's BT.601
  int range = AVCOL_RANGE_UNSPECIFIED;  // an AVColorRange; unspecified: limited, or full for a "J" format
};
StatedColors stated_colors(const AVFrame& frame, const AVCodecParameters& stream);

// Sets `context`'s source matrix and range to `colors` where stated, when its source is YUV;
// does nothing for RGB, gray or palette sources or for a matrix swscale has no coefficients
// for (YCgCo, ICtCp: left at BT.601). Cheap when nothing changes (the context keeps them).
// requires: context converts from `source_format`.
void apply_stated_colors(SwsContext* context, AVPixelFormat source_format, const StatedColors& colors);

}  // namespace dfd::ffmpeg

#include "io/stated_colors.hpp"

#include <algorithm>

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace dfd::ffmpeg {

StatedColors stated_colors(const AVFrame& frame, const AVCodecParameters& stream) {
  StatedColors colors;
  const int frame_matrix = field_value(frame.colorspace), frame_range = field_value(frame.color_range);
  colors.matrix = frame_matrix != AVCOL_SPC_UNSPECIFIED ? frame_matrix : field_value(stream.color_space);
  colors.range = frame_range != AVCOL_RANGE_UNSPECIFIED ? frame_range : field_value(stream.color_range);
  return colors;
}

namespace {

// swscale's coefficient table for an FFmpeg matrix, or nullptr where it has none. Its SWS_CS_*
// numbers are the AVColorSpace values (vf_scale passes one as the other); constant-luminance
// BT.2020 is converted as non-constant, the nearest it has.
const int* coefficients_for(int matrix) {
  switch (matrix) {
    case AVCOL_SPC_BT709:
    case AVCOL_SPC_FCC:
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_SMPTE240M:
    case AVCOL_SPC_BT2020_NCL:
      return sws_getCoefficients(matrix);
    case AVCOL_SPC_BT2020_CL:
      return sws_getCoefficients(SWS_CS_BT2020);
    default:
      return nullptr;
  }
}

bool is_yuv(AVPixelFormat format) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  return desc && desc->nb_components >= 3 &&
         !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM));
}

}  // namespace

void apply_stated_colors(SwsContext* context, AVPixelFormat source_format, const StatedColors& colors) {
  if (!context || !is_yuv(source_format)) return;
  int* inv_table = nullptr;
  int* table = nullptr;
  int src_range = 0, dst_range = 0, brightness = 0, contrast = 0, saturation = 0;
  if (sws_getColorspaceDetails(context, &inv_table, &src_range, &table, &dst_range, &brightness, &contrast,
                               &saturation) < 0) {
    return;  // not a YUV <-> RGB conversion
  }
  const int* wanted_table = coefficients_for(colors.matrix);
  if (!wanted_table) wanted_table = inv_table;  // unstated or unknown: as swscale chose
  int wanted_range = src_range;
  if (colors.range == AVCOL_RANGE_JPEG) wanted_range = 1;
  if (colors.range == AVCOL_RANGE_MPEG) wanted_range = 0;
  if (wanted_range == src_range && std::equal(wanted_table, wanted_table + 4, inv_table)) return;
  sws_setColorspaceDetails(context, wanted_table, wanted_range, table, dst_range, brightness, contrast, saturation);
}

}  // namespace dfd::ffmpeg

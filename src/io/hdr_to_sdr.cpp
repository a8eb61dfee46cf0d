#include "io/hdr_to_sdr.hpp"

#include <fmt/format.h>

#include "dfd/error.hpp"

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/pixdesc.h>
}

namespace dfd::ffmpeg {

bool is_hdr_transfer(int transfer) {
  return transfer == AVCOL_TRC_ARIB_STD_B67 || transfer == AVCOL_TRC_SMPTE2084;
}

struct HdrToSdr::Graph {
  AVFilterGraph* graph = avfilter_graph_alloc();
  AVFilterContext* source = nullptr;
  AVFilterContext* sink = nullptr;
  ~Graph() { avfilter_graph_free(&graph); }
};

HdrToSdr::HdrToSdr(const std::string& path, const AVFrame& first, int out_w, int out_h)
    : path_(path), width_(first.width), height_(first.height), format_(first.format),
      graph_(std::make_unique<Graph>()), out_(make_frame()) {
  if (!graph_->graph) throw std::bad_alloc();
  const AVFilter* buffer = avfilter_get_by_name("buffer");
  const AVFilter* buffersink = avfilter_get_by_name("buffersink");
  if (!avfilter_get_by_name("zscale")) {
    throw DecodeError(path, "an HDR video (HLG or PQ) needs FFmpeg's zscale filter to be read in SDR colours, and this "
                            "FFmpeg has none: build it with libzimg, or set faces.video.hdr_to_sdr=false");
  }
  const std::string source_args =
      fmt::format("video_size={}x{}:pix_fmt={}:time_base=1/1:pixel_aspect=1/1", first.width, first.height, first.format);
  int err = avfilter_graph_create_filter(&graph_->source, buffer, "in", source_args.c_str(), nullptr, graph_->graph);
  if (err >= 0) err = avfilter_graph_create_filter(&graph_->sink, buffersink, "out", nullptr, nullptr, graph_->graph);
  if (err < 0) throw DecodeError(path, "cannot set up the HDR conversion: " + error_text(err));

  // The frame's own colour description goes in explicitly (not every decoder fills every field);
  // unknown ones fall back to what an HDR stream almost always is: BT.2020, limited range.
  const char* transfer = name_or(av_color_transfer_name(first.color_trc), "arib-std-b67");
  const char* matrix = field_value(first.colorspace) == AVCOL_SPC_BT2020_CL ? "2020_cl" : "2020_ncl";
  const char* primaries = "2020";
  const char* range = field_value(first.color_range) == AVCOL_RANGE_JPEG ? "full" : "limited";
  std::string chain;
  if (first.color_trc == AVCOL_TRC_SMPTE2084) {
    // PQ is absolute light (up to 10,000 nits): linearise with HDR's reference white (203 nits,
    // ITU-R BT.2408) as SDR white, map BT.2020 to BT.709 in linear light, and roll highlights off
    // (Mobius: colours below white stay as they are — a face's — where Hable would darken them).
    chain = fmt::format(
        "zscale=tin={}:min={}:pin={}:rin={}:t=linear:npl=203,format=gbrpf32le,zscale=p=709,"
        "tonemap=tonemap=mobius:desat=0,zscale=t=709:m=709:r=full,format=gbrp",
        "smpte2084", matrix, primaries, range);
  } else {
    // HLG is relative light made to look right on SDR screens: zimg's HLG to BT.709 conversion.
    chain = fmt::format("zscale=tin={}:min={}:pin={}:rin={}:t=709:m=709:p=709:r=full,format=gbrp", transfer, matrix,
                        primaries, range);
  }
  // zimg writes planar RGB itself (no second matrix); swscale only resizes and packs it.
  if (out_w != first.width || out_h != first.height) chain += fmt::format(",scale={}:{}:flags=area", out_w, out_h);
  chain += ",format=rgb24";

  AVFilterInOut* outputs = avfilter_inout_alloc();
  AVFilterInOut* inputs = avfilter_inout_alloc();
  if (!outputs || !inputs) {
    avfilter_inout_free(&outputs);
    avfilter_inout_free(&inputs);
    throw std::bad_alloc();
  }
  outputs->name = av_strdup("in");
  outputs->filter_ctx = graph_->source;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = graph_->sink;
  err = avfilter_graph_parse_ptr(graph_->graph, chain.c_str(), &inputs, &outputs, nullptr);
  avfilter_inout_free(&outputs);
  avfilter_inout_free(&inputs);
  if (err >= 0) err = avfilter_graph_config(graph_->graph, nullptr);
  if (err < 0) {
    throw DecodeError(path, fmt::format("cannot set up the HDR conversion ({}, {}): {}", transfer,
                                        name_or(av_get_pix_fmt_name(static_cast<AVPixelFormat>(first.format)), "?"),
                                        error_text(err)));
  }
}

HdrToSdr::~HdrToSdr() = default;

bool HdrToSdr::fits(const AVFrame& frame) const {
  return frame.width == width_ && frame.height == height_ && frame.format == format_;
}

const AVFrame& HdrToSdr::convert(const AVFrame& in) {
  av_frame_unref(out_.get());
  int err = av_buffersrc_add_frame_flags(graph_->source, const_cast<AVFrame*>(&in), AV_BUFFERSRC_FLAG_KEEP_REF);
  if (err >= 0) err = av_buffersink_get_frame(graph_->sink, out_.get());
  if (err < 0) throw DecodeError(path_, "the HDR conversion of a frame failed: " + error_text(err));
  return *out_;
}

}  // namespace dfd::ffmpeg

// HDR video frames (HLG or PQ transfer, BT.2020 colours: what phones record by default) to SDR
// BT.709 RGB, through FFmpeg's zscale filter (zimg): the frame linearised by its own transfer,
// its colours mapped from BT.2020 to BT.709, and brought back to the BT.709 curve. Decoded as if
// SDR (what OpenCV does) such frames come out dark and grey.
#pragma once

#include <memory>
#include <string>

#include "io/ffmpeg_common.hpp"

namespace dfd::ffmpeg {

// Whether a stream's transfer is one of HDR's: HLG (ARIB STD-B67) or PQ (SMPTE ST 2084).
// `transfer` as read by field_value (any number).
bool is_hdr_transfer(int transfer);

class HdrToSdr {
 public:
  // A filter graph for frames like `first` (size, pixel format, colour properties), writing RGB24
  // frames of out_w x out_h. throws: DecodeError naming `path` (no zscale in this FFmpeg, or a
  // graph it cannot build).
  HdrToSdr(const std::string& path, const AVFrame& first, int out_w, int out_h);
  ~HdrToSdr();
  HdrToSdr(const HdrToSdr&) = delete;
  HdrToSdr& operator=(const HdrToSdr&) = delete;

  // Whether `frame` has the size and pixel format the graph was built for (else build another).
  bool fits(const AVFrame& frame) const;

  // `in` converted; the frame is owned by this object and valid until the next call.
  // requires: fits(in). throws: DecodeError naming the path.
  const AVFrame& convert(const AVFrame& in);

 private:
  struct Graph;
  std::string path_;
  int width_, height_, format_;
  std::unique_ptr<Graph> graph_;
  FramePtr out_;
};

}  // namespace dfd::ffmpeg

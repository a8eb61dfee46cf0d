// dfd/video.hpp — frame-exact sampling of video files with FFmpeg.
//
// VideoReader opens one file, reports what it holds (info()) and decodes the frames at the indices
// you ask for. Frame i is, bit for bit, frame i of a full sequential decode of the stream (the i-th
// frame the decoder outputs, in presentation order) — the frame selimsef's and the DFDC kernels'
// OpenCV `grab()`/`retrieve()` loops return — however the reader gets there. Per request it either
// decodes forward or seeks to the keyframe before the frame, whichever decodes fewer frames, and it
// lets the decoder drop non-reference frames it does not need. It identifies output frames by their
// timestamps, not by counting after a seek, so open GOPs, B-frame reordering and sparse keyframes
// (e.g. 2 keyframes in 300 frames) cannot shift it by a frame.
//
// Frames come out RGB, uint8, HWC (cv::Mat CV_8UC3 in RGB order), with the container's display
// rotation applied as FFmpeg's display matrix defines it (what the ffmpeg command line and players
// show; OpenCV 4.6 turns such frames the other way). The YUV→RGB conversion is swscale's with OpenCV's settings (bicubic, BT.601
// limited range whatever the stream states, full range for the "J" pixel formats), so frames equal
// OpenCV's VideoCapture ones, unless VideoReaderParams::stated_colors converts each frame with the
// matrix and range it states (BT.709, as HD video is).
// Interlaced frames (TV recordings, DVDs) come out as decoded, their two fields woven, unless
// VideoReaderParams::deinterlace asks for one field of each (below). HDR frames (HLG or PQ, as
// phones record) come out as OpenCV's do — read as if SDR: dark and grey — unless
// VideoReaderParams::hdr_to_sdr converts them (FFmpeg's zscale).
//
// Memory: only the requested frames and an index of per-frame timestamps (16 bytes per frame) are
// held; sampling 32 frames of a one-hour video costs the same frame memory as of a ten-second one.
//
// A VideoReader is not thread-safe; use one per thread (they share nothing). Memory that runs out
// while a file is read (a forged frame size) is a DecodeError naming it, as every failure is a
// dfd::Error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dfd/export.hpp"
#include "dfd/error.hpp"
#include <vector>

#include <opencv2/core/mat.hpp>


DFD_BEGIN_API
namespace dfd {

struct VideoInfo {
  std::string path;
  int width = 0;               // after rotation
  int height = 0;              // after rotation
  double fps = 0.0;            // average frame rate (e.g. 30.025 for some DFDC files)
  int64_t frame_count = 0;     // what the container states (OpenCV's CAP_PROP_FRAME_COUNT), else counted
  bool frame_count_stated = true;  // false when the container gave no count and the packets were counted
  double duration = 0.0;       // seconds, of the video stream (else the container)
  int rotation = 0;            // degrees clockwise applied to decoded frames: 0, 90, 180 or 270
  std::string codec;           // FFmpeg codec name, e.g. "h264", "mpeg4", "hevc"
  std::string pixel_format;    // FFmpeg pixel format name, e.g. "yuv420p", "yuv444p"
  bool interlaced = false;     // the stream's header states a field order (top or bottom first);
                               // deinterlacing goes by each frame's own flag, not by this
  bool hdr = false;            // the stream states an HDR transfer: HLG (ARIB STD-B67) or PQ (SMPTE 2084)
  std::string color_matrix;    // the stream's stated YUV matrix, FFmpeg's name ("bt709", "smpte170m", "bt470bg",
                               // "bt2020nc"...); "" when unstated
  std::string color_range;     // the stream's stated range: "tv" (limited), "pc" (full); "" when unstated
  bool has_audio = false;
};

struct Frame {
  int64_t index = 0;       // frame index in presentation order, 0-based
  double timestamp = 0.0;  // presentation time in seconds from the stream start
  cv::Mat image;           // RGB uint8 HWC (CV_8UC3), continuous; owns its pixels
};

// Default parameters reproduce the DFDC pipelines: full-size frames, all cores for decoding.
struct VideoReaderParams {
  // Decoder threads (FFmpeg frame threading); 0 = two per hardware core, at most 16.
  int threads = 0;
  // Output size after rotation; 0 keeps the native size. If only one is set the other follows the
  // aspect ratio. Resizing happens inside the colour conversion (area filter when shrinking).
  int output_width = 0;
  int output_height = 0;
  // Time limit, in seconds, of opening + probing the file and of each read()/sample() call; a
  // stuck or endless input (a file on a hung network mount, a stream that never ends) then
  // becomes an IoError instead of a hang. 0: no limit. An hour of 1080p H.264 without a stated
  // frame count is demuxed in well under a minute here.
  double timeout_seconds = 120.0;
  // An interlaced frame holds two fields captured 1/50 or 1/60 s apart; woven, every moving edge
  // (a talking face's) is combed, and a deepfake model reads combing as blending. When true, a
  // frame the decoder flags as interlaced — or one flagged progressive whose 8-bit luma combs (an
  // interlaced source re-encoded without deinterlacing: rows alternating between two moments
  // along its edges) — is made from its top field alone, stretched back to the frame's height
  // inside the colour conversion (bicubic): no combing, half the vertical detail. Other frames,
  // and frames in a format without planes to split (palette, bitstream), are converted as usual.
  // false (the default): frames as decoded, as OpenCV's VideoCapture and the reference pipelines
  // return them.
  bool deinterlace = false;
  // HDR video (HLG or PQ transfer, BT.2020 colours: a phone's default recording) holds light and
  // colour an SDR conversion does not expect; read as SDR, faces come out dark and grey, and a
  // deepfake model reads them as fake. When true, a frame with an HDR transfer (its own, else the
  // stream's) is converted by FFmpeg's zscale filter (zimg): linearised (PQ with 203 nits as
  // white, BT.2408), BT.2020 mapped to BT.709, PQ's highlights rolled off (tonemap's Mobius:
  // colours below white kept), back to the BT.709 curve, then resized as asked. Such a
  // frame is converted whole (deinterlace does not apply to it). false (the default): as decoded,
  // as OpenCV's VideoCapture returns it. SDR frames are never touched.
  bool hdr_to_sdr = false;
  // swscale converts YUV with BT.601 coefficients and limited range whatever the video states
  // (only the deprecated "J" pixel formats bring full range), as OpenCV's VideoCapture does. HD
  // cameras and phones record BT.709: read as BT.601 a skin tone comes out a few levels off (R -6,
  // G -4), a saturated colour more; a full-range VP9 or AV1 stream comes out with its contrast
  // stretched, shadows and highlights clipped. When true, each frame is converted with the matrix
  // and range it states (else its stream's); what neither states is converted as before, BT.601
  // limited: an unstated file gives no evidence either way (some players guess BT.709 from the
  // frame size). false (the default): as OpenCV's VideoCapture converts them.
  bool stated_colors = false;
};

// What the last read() did, for benchmarks and the curious (whisper.cpp-style counters).
struct VideoReadStats {
  int64_t packets_sent = 0;     // packets given to the decoder
  int64_t frames_decoded = 0;   // frames the decoder output (non-reference frames it dropped excluded;
                                // the first frame, decoded once to prime it before a keyframe start, included;
                                // keyframe checks, made by a decoder of their own, not)
  int64_t frames_converted = 0; // frames converted to RGB (== frames returned, duplicates excluded)
  int64_t frames_deinterlaced = 0;  // of those, converted from one field (params.deinterlace: flagged or combed)
  int64_t frames_hdr_to_sdr = 0;    // of those, converted from HDR (params.hdr_to_sdr)
  int64_t seeks = 0;            // seeks to a keyframe
};

class VideoReader {
 public:
  // Opens and probes the file.
  // ensures: info() is filled in; nothing has been decoded beyond what probing needs.
  // throws: IoError (missing, a directory, a FIFO, socket or device — refused by type, never
  //         read —, unreadable, over timeout_seconds), DecodeError (not a media file, a still
  //         image, no video stream, no decoder for the codec), InvalidArgument (bad params).
  explicit VideoReader(const std::string& path, const VideoReaderParams& params = {});
  ~VideoReader();
  VideoReader(VideoReader&&) noexcept;
  VideoReader& operator=(VideoReader&&) noexcept;
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;

  // Decodes the frames at the given indices.
  // requires: every index in [0, info().frame_count).
  // ensures: result[k].index == indices[k] for every k (same order, duplicates allowed, each with
  //          its own pixels); each image equals that frame of a full sequential decode.
  // throws: InvalidArgument (an index out of range; nothing is decoded then), DecodeError (the
  //         stream holds fewer frames than the container states, is truncated or corrupt — the
  //         message says which frame and why), IoError (over params.timeout_seconds).
  std::vector<Frame> read(const std::vector<int64_t>& indices);

  // Decodes n evenly spaced frames: read(sample_indices(info().frame_count, n)).
  // requires: n >= 1. throws: as read(), InvalidArgument for n < 1.
  std::vector<Frame> sample(int n);

  // The DFDC kernels' rule: floor(linspace(0, frame_count - 1, n)), as numpy computes it
  // (np.linspace(..., dtype=int)), so indices compare 1:1 with the Python pipelines.
  // requires: frame_count >= 1, n >= 1. ensures: n indices, ascending, in [0, frame_count).
  static std::vector<int64_t> sample_indices(int64_t frame_count, int n);

  // The frames the container flags as keyframes (normally each decodes without the frames before
  // it, so reading one costs a seek and a frame, where another frame costs the run from its
  // keyframe; one that does not — x264's intra refresh flags P pictures — is listed, and read()
  // never starts there), ascending, in [0, info().frame_count). Empty when the stream's frames
  // have no usable timestamps (the reader then decodes forward only). The first call reads the frame table (one
  // demuxing pass, no decoding — read() needs it anyway).
  // throws: IoError (over params.timeout_seconds), DecodeError (a damaged file).
  std::vector<int64_t> keyframe_indices();

  // Counters of the last read()/sample() call.
  const VideoReadStats& last_read_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfd
DFD_END_API

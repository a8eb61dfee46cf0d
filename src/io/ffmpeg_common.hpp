// Private FFmpeg plumbing shared by VideoReader and AudioReader: owning pointers, opening a local
// file into a probed AVFormatContext, opening a decoder, and error text.
#pragma once

#include <chrono>
#include <cstring>
#include <memory>
#include <type_traits>
#include <new>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace dfd::ffmpeg {

struct FormatContextDeleter { void operator()(AVFormatContext* p) const noexcept { avformat_close_input(&p); } };
struct CodecContextDeleter { void operator()(AVCodecContext* p) const noexcept { avcodec_free_context(&p); } };
struct FrameDeleter { void operator()(AVFrame* p) const noexcept { av_frame_free(&p); } };
struct PacketDeleter { void operator()(AVPacket* p) const noexcept { av_packet_free(&p); } };
struct SwsDeleter { void operator()(SwsContext* p) const noexcept { sws_freeContext(p); } };
struct SwrDeleter { void operator()(SwrContext* p) const noexcept { swr_free(&p); } };

using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;

FramePtr make_frame();
PacketPtr make_packet();

// FFmpeg's name for something (av_*_name), or `fallback` where it has none (nullptr).
inline const char* name_or(const char* name, const char* fallback = "") { return name ? name : fallback; }

// An enum field of an FFmpeg struct (a colour space, range, transfer) as the number it holds.
// Demuxers copy such fields from the file, and a damaged or forged one may hold a value outside
// the enum; reading it as the enum is undefined behaviour, reading its bytes as an int is not.
template <typename Enum>
int field_value(const Enum& field) {
  static_assert(std::is_enum_v<Enum> && sizeof(Enum) == sizeof(int), "a C enum field");
  int value = 0;
  std::memcpy(&value, &field, sizeof value);
  return value;
}

// "Invalid data found when processing input (moov atom not found)": FFmpeg's text for `err`,
// followed by the last error FFmpeg logged on this thread, when there is one.
std::string error_text(int err);

// A time limit on reading one file. FFmpeg checks it through the format context's interrupt
// callback whenever it waits for input, and the readers check it per packet, so a stuck or endless
// input ends in an IoError instead of a hang. restart() starts the clock again: each public call
// of a reader (open, read) gets the full limit. seconds <= 0: no limit.
class Deadline {
 public:
  explicit Deadline(double seconds = 0);
  void restart();
  bool expired() const;
  double seconds() const { return seconds_; }
  // Throws the IoError for `path` if the deadline has passed; `what` says which call was cut short.
  void check(const std::string& path, const char* what) const;
  [[noreturn]] void fail(const std::string& path, const char* what) const;
  AVIOInterruptCB interrupt_callback();

 private:
  double seconds_ = 0;
  std::chrono::steady_clock::time_point end_{};
};

// Opens a local file (only the `file` protocol: a playlist cannot make the library touch the
// network) and reads the stream info, within `deadline` (which must outlive the context).
// throws: IoError (missing, a directory, a FIFO / device / socket, unreadable, too slow),
//         DecodeError (empty, not a media file).
FormatContextPtr open_input(const std::string& path, Deadline& deadline);

// True when the demuxer reads still images (image2, png_pipe, jpeg_pipe, ...).
bool is_still_image_format(const AVFormatContext& fmt);

// Opens a decoder for `stream` with `threads` threads (0 = auto).
// throws: DecodeError (no decoder for the codec, or it refuses the parameters).
CodecContextPtr open_decoder(const std::string& path, const AVStream& stream, int threads);

// Runs `f` (a reader's public call): an allocation that fails inside it — a frame or stream
// larger than memory allows — becomes a DecodeError naming the file, since only dfd::Error may
// leave a public function (dfd/error.hpp).
[[noreturn]] void throw_out_of_memory(const std::string& path);
template <typename F>
auto out_of_memory_as_error(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw_out_of_memory(path);
  }
}

// Human-readable list of the file's streams, e.g. "audio (mp3), video (h264)".
std::string describe_streams(const AVFormatContext& fmt);

}  // namespace dfd::ffmpeg

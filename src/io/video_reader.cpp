#include "dfd/video.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "dfd/error.hpp"
#include "dfd/image.hpp"
#include "io/ffmpeg_common.hpp"
#include "io/hdr_to_sdr.hpp"
#include "io/stated_colors.hpp"
#include "io/combing.hpp"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace dfd {
namespace {

constexpr int64_t kNoIndex = -1;

// The video stream to read: FFmpeg's best, unless that is an attached picture (the cover art of
// an MP3 or M4A, a thumbnail in an MKV), which is a still, not the recording — then the first
// other video stream; -1 if there is none (an audio file with cover art is an audio file).
int moving_picture_stream(AVFormatContext& format) {
  const auto is_picture = [&](int i) { return (format.streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0; };
  const int best = av_find_best_stream(&format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (best < 0 || !is_picture(best)) return best;
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    if (format.streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !is_picture(static_cast<int>(i))) return static_cast<int>(i);
  }
  return -1;
}

// Clockwise degrees the display matrix asks for, snapped to a multiple of 90 (as ffmpeg's autorotate).
int stream_rotation(const AVStream& stream) {
  const uint8_t* matrix = av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  if (!matrix) return 0;
  const double counter_clockwise = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(counter_clockwise)) return 0;
  const int clockwise = static_cast<int>(std::lround(-counter_clockwise / 90.0)) * 90;
  return ((clockwise % 360) + 360) % 360;
}

// threads = 0: two decoder threads per core. H.264 frame threads stall on each other's
// references; more frames in flight kept both cores busier (10-15 % faster at 1080p here).
int decoder_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min(16u, 2 * cores));
}

int pick_sws_flags(int src_w, int src_h, int dst_w, int dst_h) {
  // Same size: OpenCV's VideoCapture flags, so frames equal its frames byte for byte.
  if (src_w == dst_w && src_h == dst_h) return SWS_BICUBIC;
  return (dst_w < src_w && dst_h < src_h) ? SWS_AREA : SWS_BICUBIC;
}

bool flagged_interlaced(const AVFrame& f) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
  return (f.flags & AV_FRAME_FLAG_INTERLACED) != 0;
#else
  return f.interlaced_frame != 0;
#endif
}

// Whether a frame can be converted from its top field: rows taken every other one in every
// plane. Not one too small to split, or a format whose rows cannot be split (a palette, a
// bitstream, a hardware surface, rows stored bottom-up).
bool fields_can_split(const AVFrame& f) {
  if (f.height < 4) return false;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f.format));
  if (!desc || (desc->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL)) != 0) {
    return false;
  }
  for (int p = 0; p < 4; ++p) {
    if (f.data[p] && f.linesize[p] <= 0) return false;
  }
  return true;
}

}  // namespace

struct VideoReader::Impl {
  std::string path;
  VideoReaderParams params;
  ffmpeg::Deadline deadline;  // declared before `format`, whose interrupt callback points at it
  ffmpeg::FormatContextPtr format;
  ffmpeg::CodecContextPtr decoder;
  // Whether `decoder` has been given the stream's first packet since it was opened: by a run from
  // the file start, or by prime().
  bool decoder_primed = false;
  AVStream* stream = nullptr;
  VideoInfo info;
  VideoReadStats stats;
  ffmpeg::FramePtr frame = ffmpeg::make_frame();
  ffmpeg::PacketPtr packet = ffmpeg::make_packet();
  ffmpeg::SwsPtr sws;
  ffmpeg::SwsPtr field_sws;  // one field of an interlaced frame (params.deinterlace) to RGB
  std::unique_ptr<ffmpeg::HdrToSdr> hdr;  // HDR frames to SDR RGB (params.hdr_to_sdr), built at the first
  int convert_w = 0, convert_h = 0;  // swscale output size, before rotation
  // swscale writes into this padded, 32-byte aligned frame, as OpenCV's VideoCapture does: its
  // SIMD paths round differently for unaligned rows and write whole blocks past a row's end.
  ffmpeg::FramePtr rgb;

  // The stream's frame table, built by one demuxing pass (no decoding) the first time it is needed.
  // In timestamp mode frame i is the frame whose pts is frame_pts[i]; keyframes are given by their
  // frame index and the timestamp to seek to. Without usable pts, frames are counted instead and
  // the reader only decodes forward from the start.
  bool table_built = false;
  bool timestamp_mode = false;
  int64_t stream_frames = 0;          // frames the stream really holds
  std::vector<int64_t> frame_pts;     // ascending, one per frame
  // A container's keyframe flag does not promise a clean start: x264's intra refresh flags P
  // pictures, and a damaged or badly muxed file can flag anything. A keyframe is trusted as an
  // entry point only after its packet, decoded alone (by a primed decoder: prime()), came out
  // without errors; one that did not (or whose run later did) is never used again.
  enum class Trust { Unknown, Safe, Unsafe };
  struct Keyframe { int64_t index, pts, dts; Trust trust = Trust::Unknown; };
  std::vector<Keyframe> keyframes;    // ascending by index
  // The stream's first video packet in decoding order: what a decoder must have seen before it
  // can start at a later keyframe as a sequential decode would (prime()).
  ffmpeg::PacketPtr first_packet = ffmpeg::make_packet();
  // Checks keyframes (decodes_cleanly_alone); single-threaded, primed once, flushed between checks.
  ffmpeg::CodecContextPtr verifier;
  // A second demuxer over the file, from which a keyframe's packet is read for its check, so that
  // checking one ahead never moves the reading demuxer: a forward run survives a keyframe that
  // fails (x264's intra refresh flags a P picture every second; losing the run at each cost a
  // decode from the file start per sample).
  ffmpeg::FormatContextPtr probe_format;
  int probe_stream_index = -1;

  // Decoder position: the frame index the next output frame is expected at or after, or kNoIndex
  // when the decoder must be positioned first (after opening, EOF or an error).
  int64_t next_index = kNoIndex;
  Keyframe* run_key = nullptr;  // the keyframe the current decoding run seeked to; null: from the file start
  // The picture of the keyframe checked last (decodes_cleanly_alone decodes it), frame index
  // checked_index; empty otherwise. A run's target that is that very frame is taken from here.
  ffmpeg::FramePtr checked_picture = ffmpeg::make_frame();
  int64_t checked_index = kNoIndex;
  bool demux_eof = false;
  // The first packet read after a seek (to see where the demuxer landed); sent to the decoder next.
  ffmpeg::PacketPtr pending = ffmpeg::make_packet();
  bool has_pending = false;
  std::string demux_error;  // why reading stopped early, for the error message

  void open() {
    format = ffmpeg::open_input(path, deadline);
    if (ffmpeg::is_still_image_format(*format)) {
      throw DecodeError(path, fmt::format("is a still image ({}), not a video", format->iformat->name));
    }
    const int index = moving_picture_stream(*format);
    if (index < 0) {
      throw MissingStreamError(path, MissingStreamError::Stream::Video, "has no video stream (it holds " + ffmpeg::describe_streams(*format) + ")");
    }
    stream = format->streams[index];
    // Only the video stream is demuxed: the others' bytes are skipped, not read.
    for (unsigned i = 0; i < format->nb_streams; ++i) {
      if (static_cast<int>(i) != index) format->streams[i]->discard = AVDISCARD_ALL;
    }
    decoder = ffmpeg::open_decoder(path, *stream, decoder_threads(params.threads));
    decoder_primed = false;
    next_index = 0;
    run_key = nullptr;
    demux_eof = false;
    has_pending = false;
    av_packet_unref(pending.get());
  }

  void probe() {
    const AVCodecParameters& par = *stream->codecpar;
    info.path = path;
    info.rotation = stream_rotation(*stream);
    const bool swap = info.rotation == 90 || info.rotation == 270;
    const int native_w = swap ? par.height : par.width;
    const int native_h = swap ? par.width : par.height;
    if (native_w <= 0 || native_h <= 0) throw DecodeError(path, "the video stream has no frame size");
    int out_w = params.output_width, out_h = params.output_height;
    if (out_w == 0 && out_h == 0) {
      out_w = native_w;
      out_h = native_h;
    } else if (out_w == 0) {
      out_w = std::max(1, static_cast<int>(std::lround(double(native_w) * out_h / native_h)));
    } else if (out_h == 0) {
      out_h = std::max(1, static_cast<int>(std::lround(double(native_h) * out_w / native_w)));
    }
    info.width = out_w;
    info.height = out_h;
    convert_w = swap ? out_h : out_w;
    convert_h = swap ? out_w : out_h;

    const AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
    info.fps = rate.den > 0 ? av_q2d(rate) : 0.0;
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
      info.duration = stream->duration * av_q2d(stream->time_base);
    } else if (format->duration > 0) {
      info.duration = format->duration / double(AV_TIME_BASE);
    }
    info.codec = avcodec_get_name(par.codec_id);
    const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(par.format));
    info.pixel_format = pix ? pix : "unknown";
    const int field_order = ffmpeg::field_value(par.field_order);
    info.interlaced = field_order == AV_FIELD_TT || field_order == AV_FIELD_BB || field_order == AV_FIELD_TB ||
                      field_order == AV_FIELD_BT;
    info.hdr = ffmpeg::is_hdr_transfer(ffmpeg::field_value(par.color_trc));
    // av_color_*_name answer nullptr for a value outside the enum (a forged file's).
    const int matrix = ffmpeg::field_value(par.color_space), range = ffmpeg::field_value(par.color_range);
    if (matrix != AVCOL_SPC_UNSPECIFIED) info.color_matrix = ffmpeg::name_or(av_color_space_name(static_cast<AVColorSpace>(matrix)));
    if (range != AVCOL_RANGE_UNSPECIFIED) info.color_range = ffmpeg::name_or(av_color_range_name(static_cast<AVColorRange>(range)));
    info.has_audio = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;
    if (stream->nb_frames > 0) {
      info.frame_count = stream->nb_frames;
      info.frame_count_stated = true;
    } else {
      build_table();
      info.frame_count = stream_frames;
      info.frame_count_stated = false;
    }
    if (info.frame_count <= 0) throw DecodeError(path, "the video stream holds no frames");
  }

  // One demuxing pass over the video packets: timestamps and keyframe flags, no decoding.
  void build_table() {
    struct PacketEntry { int64_t pts, dts; bool key; };
    std::vector<PacketEntry> packets;
    bool all_pts = true;
    int read_err = 0;
    while ((read_err = av_read_frame(format.get(), packet.get())) >= 0) {
      deadline.check(path, "reading the video's frame table");
      if (packet->stream_index == stream->index && !(packet->flags & AV_PKT_FLAG_DISCARD)) {
        if (packets.empty()) {
          av_packet_unref(first_packet.get());
          if (av_packet_ref(first_packet.get(), packet.get()) < 0) throw std::bad_alloc();
        }
        packets.push_back({packet->pts, packet->dts, (packet->flags & AV_PKT_FLAG_KEY) != 0});
        all_pts = all_pts && packet->pts != AV_NOPTS_VALUE;
      }
      av_packet_unref(packet.get());
    }
    deadline.check(path, "reading the video's frame table");  // an interrupted read ends the loop too
    stream_frames = static_cast<int64_t>(packets.size());
    frame_pts.clear();
    keyframes.clear();
    timestamp_mode = false;
    if (all_pts && !packets.empty()) {
      frame_pts.reserve(packets.size());
      for (const auto& p : packets) frame_pts.push_back(p.pts);
      std::sort(frame_pts.begin(), frame_pts.end());
      // Duplicate timestamps cannot identify frames: count instead.
      timestamp_mode = std::adjacent_find(frame_pts.begin(), frame_pts.end()) == frame_pts.end();
    }
    if (timestamp_mode) {
      for (const auto& p : packets) {
        if (p.key) keyframes.push_back({index_of_pts(p.pts), p.pts, p.dts != AV_NOPTS_VALUE ? p.dts : p.pts});
      }
      std::sort(keyframes.begin(), keyframes.end(),
                [](const Keyframe& a, const Keyframe& b) { return a.index < b.index; });
    } else {
      frame_pts.clear();
      frame_pts.shrink_to_fit();
    }
    table_built = true;
    next_index = kNoIndex;  // the demuxer is at the end now
  }

  int64_t index_of_pts(int64_t pts) const {
    auto it = std::lower_bound(frame_pts.begin(), frame_pts.end(), pts);
    if (it == frame_pts.end() || *it != pts) return kNoIndex;
    return it - frame_pts.begin();
  }

  void restart_from_beginning() {
    decoder.reset();
    format.reset();
    open();
  }

  // Reads the next packet of the video stream into `pkt`; false at the end or on a read error.
  bool read_video_packet(AVPacket* pkt) {
    for (;;) {
      deadline.check(path, "reading the video");
      const int err = av_read_frame(format.get(), pkt);
      if (err < 0) {
        deadline.check(path, "reading the video");
        if (err != AVERROR_EOF) demux_error = ffmpeg::error_text(err);
        return false;
      }
      if (pkt->stream_index == stream->index) return true;
      av_packet_unref(pkt);
    }
  }

  // Seeks to `ts` and reads the first video packet into `pending` to see where the demuxer landed.
  // Returns the frame index of that packet, or kNoIndex if the seek failed or landed after `key`.
  int64_t seek_and_peek(int64_t ts, const Keyframe& key) {
    av_packet_unref(pending.get());
    has_pending = false;
    demux_eof = false;
    if (av_seek_frame(format.get(), stream->index, ts, AVSEEK_FLAG_BACKWARD) < 0) return kNoIndex;
    if (!read_video_packet(pending.get())) return kNoIndex;
    const int64_t landed = index_of_pts(pending->pts);
    if (pending->dts != AV_NOPTS_VALUE) {
      if (pending->dts > key.dts) return kNoIndex;  // past the keyframe: frames before it would be lost
    } else if (!is_keyframe_at_or_before(landed, key)) {
      // No decode time (Matroska gives none to the first packet after a seek): a keyframe is
      // placed by its pts, keyframes being decoded in the order they are shown.
      return kNoIndex;
    }
    has_pending = true;
    return landed;
  }

  bool is_keyframe_at_or_before(int64_t index, const Keyframe& key) const {
    if (index == kNoIndex || index > key.index) return false;
    auto it = std::lower_bound(keyframes.begin(), keyframes.end(), index,
                               [](const Keyframe& k, int64_t i) { return k.index < i; });
    return it != keyframes.end() && it->index == index;
  }

  // Seeks so that decoding starts at keyframe `key`, or failing that at an earlier one; false if
  // no seek gets there, or the keyframe reached is not a clean entry point. Demuxers index seeks
  // differently (MP4 by a decode time that an edit list may offset from the packets' dts,
  // Matroska by pts), so the keyframe's pts and then its dts are tried, and the first packet
  // after each seek shows where the demuxer really landed.
  bool seek_to(Keyframe& key) {
    std::optional<int64_t> earlier_ts;
    for (const int64_t ts : {key.pts, key.dts}) {
      const int64_t landed = seek_and_peek(ts, key);
      if (landed == key.index) return start_run_at(key);
      if (landed != kNoIndex && !earlier_ts) earlier_ts = ts;
    }
    // Only an earlier keyframe is reachable: still exact (frames are matched by pts), only slower.
    if (earlier_ts) {
      const int64_t landed = seek_and_peek(*earlier_ts, key);
      auto it = std::find_if(keyframes.begin(), keyframes.end(), [&](const Keyframe& k) { return k.index == landed; });
      if (it != keyframes.end()) return start_run_at(*it);
    }
    return abandon_seek();
  }

  bool abandon_seek() {
    has_pending = false;
    av_packet_unref(pending.get());
    next_index = kNoIndex;  // the demuxer is somewhere unknown now
    return false;
  }

  // The demuxer stands at `key` with its packet in `pending`: check the keyframe once, then
  // decode from there.
  bool start_run_at(Keyframe& key) {
    if (checked_index != key.index) drop_checked_picture();  // another keyframe's
    if (key.trust == Trust::Unknown) key.trust = check_packet(key, *pending);
    if (key.trust == Trust::Unsafe) return abandon_seek();
    avcodec_flush_buffers(decoder.get());
    if (key.pts == first_packet->pts) decoder_primed = true;  // this run sends the first packet itself
    next_index = key.index;
    run_key = &key;
    ++stats.seeks;
    return true;
  }

  void drop_checked_picture() {
    av_frame_unref(checked_picture.get());
    checked_index = kNoIndex;
  }

  // The keyframe's verdict from its packet; its picture is kept when clean.
  Trust check_packet(const Keyframe& key, const AVPacket& keyframe_packet) {
    drop_checked_picture();
    if (!decodes_cleanly_alone(keyframe_packet)) {
      drop_checked_picture();
      return Trust::Unsafe;
    }
    checked_index = key.index;
    return Trust::Safe;
  }

  // Settles an unchecked keyframe's trust from its packet as the probe demuxer reads it. A
  // keyframe the probe cannot find by its timestamps is one no seek would land on: unsafe.
  void check_ahead(Keyframe& key) {
    if (key.trust != Trust::Unknown) return;
    if (!probe_format) {
      probe_format = ffmpeg::open_input(path, deadline);
      probe_stream_index = stream->index;  // the same file: the same stream numbers
      for (unsigned i = 0; i < probe_format->nb_streams; ++i) {
        if (static_cast<int>(i) != probe_stream_index) probe_format->streams[i]->discard = AVDISCARD_ALL;
      }
    }
    ffmpeg::PacketPtr found = ffmpeg::make_packet();
    for (const int64_t ts : {key.pts, key.dts}) {
      if (av_seek_frame(probe_format.get(), probe_stream_index, ts, AVSEEK_FLAG_BACKWARD) < 0) continue;
      while (av_read_frame(probe_format.get(), found.get()) >= 0) {
        deadline.check(path, "reading the video");
        if (found->stream_index != probe_stream_index) {
          av_packet_unref(found.get());
          continue;
        }
        if (found->pts == key.pts) {
          key.trust = check_packet(key, *found);
          return;
        }
        const int64_t dts = found->dts != AV_NOPTS_VALUE ? found->dts : found->pts;
        av_packet_unref(found.get());
        if (dts > key.dts) break;  // this seek landed past the keyframe
      }
    }
    key.trust = Trust::Unsafe;
  }

  // A decoder keeps, across a flush, what a stream states once at its start and a sequential
  // decode has therefore always seen: FFmpeg's H.264 decoder reads the x264 build from the first
  // packet's SEI and reproduces old x264 4:4:4 streams' intra prediction only if it knows it
  // (FaceForensics++'s files: their later IDRs decode with concealed errors otherwise). So a
  // decoder decodes the first packet, its picture dropped, before it starts at any other keyframe;
  // the flush then empties it of pictures.
  // Returns the frames it decoded (and dropped).
  int prime(AVCodecContext& dec) {
    int frames = 0;
    if (first_packet->size > 0) {  // errors ignored: a damaged first packet tells nothing, as in sequence
      ffmpeg::PacketPtr copy = ffmpeg::make_packet();
      if (av_packet_ref(copy.get(), first_packet.get()) < 0) throw std::bad_alloc();
      avcodec_send_packet(&dec, copy.get());
      avcodec_send_packet(&dec, nullptr);
      while (avcodec_receive_frame(&dec, frame.get()) == 0) {
        av_frame_unref(frame.get());
        ++frames;
      }
    }
    avcodec_flush_buffers(&dec);
    return frames;
  }

  // Decodes the packet alone with the single-threaded verifier: flushed, so no picture of an
  // earlier check can stand in for a missing reference, and primed like any decoder that starts at
  // a keyframe; drained, so the frame's error flags are final (with frame threads they can be
  // copied out before concealment).
  bool decodes_cleanly_alone(const AVPacket& keyframe_packet) {
    if (!verifier) {
      verifier = ffmpeg::open_decoder(path, *stream, 1);
      prime(*verifier);
    }
    struct FlushAfter {  // drained now, so reusable only once flushed
      AVCodecContext* dec;
      ~FlushAfter() { avcodec_flush_buffers(dec); }
    } flush_after{verifier.get()};
    ffmpeg::PacketPtr copy = ffmpeg::make_packet();
    if (av_packet_ref(copy.get(), &keyframe_packet) < 0) return false;
    bool clean = avcodec_send_packet(verifier.get(), copy.get()) == 0;
    avcodec_send_packet(verifier.get(), nullptr);  // drain: the frame is complete when it comes out
    int frames = 0;
    while (avcodec_receive_frame(verifier.get(), frame.get()) == 0) {
      ++frames;
      clean = clean && frame->decode_error_flags == 0 && !(frame->flags & AV_FRAME_FLAG_CORRUPT);
      if (frames == 1) {
        av_frame_move_ref(checked_picture.get(), frame.get());  // kept: the target may be this frame
      } else {
        av_frame_unref(frame.get());
      }
    }
    return clean && frames == 1;
  }

  // The target is the keyframe the decoder was just put at, which its check decoded cleanly: an
  // intra picture decodes alike alone and in sequence, so it is taken from the check rather than
  // decoded again (and the frame threads refilled for one frame) — what a long video's samples,
  // moved to keyframes, cost. The decoder stays at the keyframe, so a later target of the same
  // run is decoded from there as before.
  bool take_checked_keyframe(int64_t target, cv::Mat& out) {
    const bool at_checked_key = checked_picture->buf[0] != nullptr && checked_index == target && run_key != nullptr &&
                                run_key->index == target;
    if (!at_checked_key || next_index != target) return false;
    out = convert(*checked_picture);
    ++stats.frames_decoded;
    drop_checked_picture();
    return true;
  }

  // A seek costs about this many decoded frames (flushing the decoder, refilling its frame
  // threads, re-reading from the keyframe; measured on H.264 and MPEG-4 Part 2 here): seeking
  // forward pays only when it skips more frames than that. Going backwards always seeks.
  static constexpr int64_t kSeekCostFrames = 6;

  // Puts the decoder where decoding up to `target` costs least: keep going forward, or seek to the
  // last keyframe at or before it (timestamp mode), or restart (going backwards without keyframes).
  void position_for(int64_t target) {
    if (timestamp_mode) {
      // The last usable keyframe at or before the target; an unsafe one sends us further back.
      auto it = std::upper_bound(keyframes.begin(), keyframes.end(), target,
                                 [](int64_t t, const Keyframe& k) { return t < k.index; });
      while (it != keyframes.begin()) {
        Keyframe& key = *(it - 1);
        if (key.trust == Trust::Unsafe) {
          --it;
          continue;
        }
        const bool must_move = next_index == kNoIndex || target < next_index;
        if (!must_move && key.index <= next_index + kSeekCostFrames) break;  // going on is cheaper
        check_ahead(key);  // before the seek: a keyframe that fails leaves this run where it is
        if (key.trust == Trust::Unsafe) {
          --it;
          continue;
        }
        if (seek_to(key)) return;
        if (key.trust != Trust::Unsafe) break;  // the demuxer cannot get there: restart below
        --it;
      }
    }
    if (next_index == kNoIndex || target < next_index) restart_from_beginning();
  }

  cv::Mat convert(const AVFrame& src) {
    const int frame_transfer = ffmpeg::field_value(src.color_trc);
    const int transfer =
        frame_transfer != AVCOL_TRC_UNSPECIFIED ? frame_transfer : ffmpeg::field_value(stream->codecpar->color_trc);
    if (params.hdr_to_sdr && ffmpeg::is_hdr_transfer(transfer)) {
      if (!hdr || !hdr->fits(src)) {
        AVFrame described = src;  // shallow: only its colour fields are read, with the stream's as fallback
        described.color_trc = static_cast<AVColorTransferCharacteristic>(transfer);  // HLG or PQ: a valid value
        hdr = std::make_unique<ffmpeg::HdrToSdr>(path, described, convert_w, convert_h);
      }
      const AVFrame& sdr = hdr->convert(src);
      ++stats.frames_converted;
      ++stats.frames_hdr_to_sdr;
      return owned_upright(sdr.data[0], sdr.linesize[0]);
    }
    // Interlaced: flagged so, or combed though flagged progressive (an interlaced source re-encoded
    // without deinterlacing).
    if (params.deinterlace && fields_can_split(src) && (flagged_interlaced(src) || ffmpeg::looks_combed(src))) {
      // The top field, whichever is shown first: decoders' field-order flags are often unset or
      // wrong (x264's MBAFF output says bottom first), and either field is a whole picture.
      const int planes = av_pix_fmt_count_planes(static_cast<AVPixelFormat>(src.format));
      int strides[4] = {};
      for (int p = 0; p < planes && p < 4; ++p) strides[p] = 2 * src.linesize[p];
      const int field_h = (src.height + 1) / 2;
      field_sws.reset(sws_getCachedContext(field_sws.release(), src.width, field_h,
                                           static_cast<AVPixelFormat>(src.format), convert_w, convert_h,
                                           AV_PIX_FMT_RGB24, pick_sws_flags(src.width, field_h, convert_w, convert_h),
                                           nullptr, nullptr, nullptr));
      if (!field_sws) throw DecodeError(path, fmt::format("cannot convert pixel format {} to RGB", info.pixel_format));
      ++stats.frames_deinterlaced;
      return finish_conversion(field_sws.get(), src, src.data, strides, field_h);
    }
    sws.reset(sws_getCachedContext(sws.release(), src.width, src.height, static_cast<AVPixelFormat>(src.format),
                                   convert_w, convert_h, AV_PIX_FMT_RGB24,
                                   pick_sws_flags(src.width, src.height, convert_w, convert_h), nullptr, nullptr,
                                   nullptr));
    if (!sws) throw DecodeError(path, fmt::format("cannot convert pixel format {} to RGB", info.pixel_format));
    return finish_conversion(sws.get(), src, src.data, src.linesize, src.height);
  }

  // `rows`/`strides`: `src`'s planes, or one field of them.
  cv::Mat finish_conversion(SwsContext* context, const AVFrame& src, const uint8_t* const rows[], const int strides[],
                            int src_h) {
    if (params.stated_colors) {
      ffmpeg::apply_stated_colors(context, static_cast<AVPixelFormat>(src.format), ffmpeg::stated_colors(src, *stream->codecpar));
    }
    if (!rgb) {
      rgb = ffmpeg::make_frame();
      rgb->format = AV_PIX_FMT_RGB24;
      rgb->width = convert_w;
      rgb->height = convert_h;
      if (av_frame_get_buffer(rgb.get(), 32) < 0) throw std::bad_alloc();
    }
    sws_scale(context, rows, strides, 0, src_h, rgb->data, rgb->linesize);
    ++stats.frames_converted;
    return owned_upright(rgb->data[0], rgb->linesize[0]);
  }

  // A converted RGB24 picture (convert_w x convert_h) as a continuous, owning Mat, turned by the
  // display rotation.
  cv::Mat owned_upright(uint8_t* rgb24, int stride) const {
    const cv::Mat view(convert_h, convert_w, CV_8UC3, rgb24, static_cast<size_t>(stride));
    return info.rotation != 0 ? turn_clockwise(view, info.rotation) : view.clone();
  }

  // The frame index of a decoder output, or kNoIndex if it matches no frame of the table.
  int64_t index_of_output(const AVFrame& out) {
    if (!timestamp_mode) return next_index;
    const int64_t pts = out.pts != AV_NOPTS_VALUE ? out.pts : out.best_effort_timestamp;
    return index_of_pts(pts);
  }

  bool packet_is_wanted(const AVPacket& pkt, const std::vector<int64_t>& targets, size_t next) const {
    if (!timestamp_mode || pkt.pts == AV_NOPTS_VALUE) return true;
    const int64_t index = index_of_pts(pkt.pts);
    return index != kNoIndex && std::binary_search(targets.begin() + static_cast<std::ptrdiff_t>(next), targets.end(), index);
  }

  enum class RunOutcome { Reached, Missed, Concealed };

  // Decodes until targets[next] has been output (or the stream ends); returns Reached and advances
  // `next` then. Missed: the decoder went past targets[next] without outputting it. Concealed: a
  // run that began at a seek produced a frame the decoder had to conceal errors in.
  RunOutcome decode_until_next(const std::vector<int64_t>& targets, size_t& next, std::vector<cv::Mat>& out) {
    for (;;) {
      int err = avcodec_receive_frame(decoder.get(), frame.get());
      if (err == 0) {
        ++stats.frames_decoded;
        const bool damaged = frame->decode_error_flags != 0 || (frame->flags & AV_FRAME_FLAG_CORRUPT);
        if (run_key && damaged) {
          av_frame_unref(frame.get());
          return RunOutcome::Concealed;
        }
        const int64_t index = index_of_output(*frame);
        if (index != kNoIndex) {
          if (index > targets[next]) {
            av_frame_unref(frame.get());
            return RunOutcome::Missed;
          }
          const bool reached = index == targets[next];
          if (reached) out[next++] = convert(*frame);
          next_index = index + 1;
          av_frame_unref(frame.get());
          if (reached) return RunOutcome::Reached;
          continue;
        }
        av_frame_unref(frame.get());
        continue;
      }
      if (err == AVERROR_EOF) {
        next_index = kNoIndex;  // a drained decoder must be reset before further use
        throw DecodeError(path, stream_ended_message(targets[next]));
      }
      if (err != AVERROR(EAGAIN)) {
        next_index = kNoIndex;
        throw DecodeError(path, fmt::format("decoding failed before frame {}: {}", targets[next],
                                            ffmpeg::error_text(err)));
      }
      feed_one_packet(targets, next);
    }
  }

  // Sends the next video packet (or, at the end, the flush packet) to the decoder.
  void feed_one_packet(const std::vector<int64_t>& targets, size_t next) {
    if (!demux_eof && !has_pending && !read_video_packet(packet.get())) demux_eof = true;
    if (demux_eof) {
      avcodec_send_packet(decoder.get(), nullptr);
      return;
    }
    AVPacket* pkt = has_pending ? pending.get() : packet.get();
    has_pending = false;
    // Non-reference frames nobody asked for need not be reconstructed at all.
    decoder->skip_frame = packet_is_wanted(*pkt, targets, next) ? AVDISCARD_DEFAULT : AVDISCARD_NONREF;
    const int send_err = avcodec_send_packet(decoder.get(), pkt);
    av_packet_unref(pkt);
    ++stats.packets_sent;
    if (!run_key) decoder_primed = true;  // a run from the file start: its first packet went in
    // A packet the decoder rejects (corrupt data) is skipped; a target it belonged to is then
    // reported missing by the caller rather than replaced by another frame. EAGAIN cannot happen:
    // this is only called after receive_frame asked for input.
    if (send_err < 0 && send_err != AVERROR_INVALIDDATA && send_err != AVERROR(EAGAIN)) {
      throw DecodeError(path, "the decoder refused a packet: " + ffmpeg::error_text(send_err));
    }
  }

  std::string stream_ended_message(int64_t target) {
    std::string msg = fmt::format("the video stream ended before frame {}", target);
    if (stream_frames < info.frame_count) {
      msg += fmt::format(" (it holds {} frames, the container states {}: truncated or damaged file)",
                         stream_frames, info.frame_count);
    } else {
      msg += " (frames are missing: damaged file)";
    }
    if (!demux_error.empty()) msg += "; reading stopped with: " + demux_error;
    return msg;
  }

  std::vector<Frame> read(const std::vector<int64_t>& indices);

  // Decodes the ascending, unique `targets`.
  std::vector<cv::Mat> decode_sorted(const std::vector<int64_t>& targets) {
    std::vector<cv::Mat> out(targets.size());
    size_t next = 0;
    while (next < targets.size()) {
      position_for(targets[next]);
      if (take_checked_keyframe(targets[next], out[next])) {
        ++next;
        continue;
      }
      if (run_key && !decoder_primed) {  // a run at a keyframe, nothing sent yet: prime first
        stats.frames_decoded += prime(*decoder);
        decoder_primed = true;
      }
      const RunOutcome outcome = decode_until_next(targets, next, out);
      if (outcome == RunOutcome::Reached) continue;
      next_index = kNoIndex;
      if (run_key) {
        // The keyframe did not give what a sequential decode gives: never start there again, and
        // retry this frame from an earlier keyframe or the file start.
        run_key->trust = Trust::Unsafe;
        continue;
      }
      // A run from the file start is the definition of frame i: if it has no such frame, none does.
      throw DecodeError(path, fmt::format("frame {} could not be decoded (the decoder dropped it: corrupt data)",
                                          targets[next]));
    }
    return out;
  }
};

VideoReader::VideoReader(const std::string& path, const VideoReaderParams& params) : impl_(std::make_unique<Impl>()) {
  if (params.threads < 0) throw InvalidArgument("threads", fmt::format("must be >= 0, got {}", params.threads));
  if (params.output_width < 0 || params.output_height < 0) {
    throw InvalidArgument("output_width/output_height",
                          fmt::format("must be >= 0, got {}x{}", params.output_width, params.output_height));
  }
  if (!(params.timeout_seconds >= 0)) {
    throw InvalidArgument("timeout_seconds", fmt::format("must be >= 0 (0: no limit), got {}", params.timeout_seconds));
  }
  impl_->path = path;
  impl_->params = params;
  impl_->deadline = ffmpeg::Deadline(params.timeout_seconds);
  ffmpeg::out_of_memory_as_error(path, [this] {
    impl_->open();
    impl_->probe();
  });
}

VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;

const VideoInfo& VideoReader::info() const { return impl_->info; }
const VideoReadStats& VideoReader::last_read_stats() const { return impl_->stats; }

std::vector<Frame> VideoReader::read(const std::vector<int64_t>& indices) {
  return ffmpeg::out_of_memory_as_error(impl_->path, [&] { return impl_->read(indices); });
}

std::vector<Frame> VideoReader::Impl::read(const std::vector<int64_t>& indices) {
  Impl& d = *this;
  for (int64_t i : indices) {
    if (i < 0 || i >= d.info.frame_count) {
      throw InvalidArgument(fmt::format("indices ({})", d.path),
                            fmt::format("frame {} is out of range [0, {})", i, d.info.frame_count));
    }
  }
  d.stats = {};
  if (indices.empty()) return {};
  d.deadline.restart();
  if (!d.table_built) d.build_table();

  std::vector<int64_t> targets(indices);
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  if (targets.back() >= d.stream_frames) {
    throw DecodeError(d.path, fmt::format("frame {} was asked for but the video stream holds only {} frames "
                                          "(the container states {}: truncated or damaged file)",
                                          targets.back(), d.stream_frames, d.info.frame_count));
  }
  d.demux_error.clear();
  std::vector<cv::Mat> images = d.decode_sorted(targets);

  std::vector<Frame> frames;
  frames.reserve(indices.size());
  std::vector<bool> handed_out(targets.size(), false);
  const double time_base = av_q2d(d.stream->time_base);
  const int64_t start_pts = d.timestamp_mode ? d.frame_pts.front() : 0;
  for (int64_t i : indices) {
    const size_t k = static_cast<size_t>(std::lower_bound(targets.begin(), targets.end(), i) - targets.begin());
    Frame f;
    f.index = i;
    f.timestamp = d.timestamp_mode ? (d.frame_pts[static_cast<size_t>(i)] - start_pts) * time_base
                                   : (d.info.fps > 0 ? i / d.info.fps : 0.0);
    // Each Frame owns its pixels, also when an index is asked for twice.
    f.image = handed_out[k] ? images[k].clone() : images[k];
    handed_out[k] = true;
    frames.push_back(std::move(f));
  }
  return frames;
}

std::vector<int64_t> VideoReader::keyframe_indices() {
  return ffmpeg::out_of_memory_as_error(impl_->path, [&] {
    Impl& d = *impl_;
    if (!d.table_built) {
      d.deadline.restart();
      d.build_table();
    }
    std::vector<int64_t> out;
    for (const Impl::Keyframe& k : d.keyframes) {
      if (k.index >= 0 && k.index < d.info.frame_count) out.push_back(k.index);
    }
    return out;
  });
}

std::vector<Frame> VideoReader::sample(int n) {
  if (n < 1) throw InvalidArgument(fmt::format("n ({})", impl_->path), fmt::format("must be >= 1, got {}", n));
  return read(sample_indices(impl_->info.frame_count, n));
}

std::vector<int64_t> VideoReader::sample_indices(int64_t frame_count, int n) {
  if (frame_count < 1) throw InvalidArgument("frame_count", fmt::format("must be >= 1, got {}", frame_count));
  if (n < 1) throw InvalidArgument("n", fmt::format("must be >= 1, got {}", n));
  // numpy: y = arange(n) * ((stop - start) / (n - 1)) + start, y[-1] = stop, then truncate.
  std::vector<int64_t> indices(static_cast<size_t>(n));
  const int64_t stop = frame_count - 1;
  if (n == 1) {
    indices[0] = 0;
    return indices;
  }
  const double step = static_cast<double>(stop) / static_cast<double>(n - 1);
  for (int k = 0; k < n; ++k) indices[static_cast<size_t>(k)] = static_cast<int64_t>(k * step);
  indices.back() = stop;
  return indices;
}

}  // namespace dfd

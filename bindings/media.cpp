#include "media.hpp"

#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "dfd/audio.hpp"
#include "dfd/media_files.hpp"
#include "dfd/video.hpp"
#include "fs_path.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

// Frames → one uint8 array [n, h, w, 3]. All frames of a reader share one size.
py::array_t<uint8_t> frames_to_array(const std::vector<Frame>& frames, int width, int height) {
  py::array_t<uint8_t> out({static_cast<py::ssize_t>(frames.size()), static_cast<py::ssize_t>(height),
                            static_cast<py::ssize_t>(width), py::ssize_t{3}});
  uint8_t* dst = out.mutable_data();
  const size_t frame_bytes = static_cast<size_t>(width) * height * 3;
  {
    py::gil_scoped_release release;
    for (const Frame& f : frames) {
      std::memcpy(dst, f.image.data, frame_bytes);
      dst += frame_bytes;
    }
  }
  return out;
}

// Runs `decode` (a read() or sample() call) without the GIL and returns its frames as one array.
template <typename Decode>
py::array_t<uint8_t> decode_frames(VideoReader& r, Decode&& decode) {
  std::vector<Frame> frames;
  {
    py::gil_scoped_release release;
    frames = decode();
  }
  return frames_to_array(frames, r.info().width, r.info().height);
}

py::dict video_info_dict(const VideoInfo& i) {
  py::dict d;
  d["path"] = fs_decode(i.path);
  d["width"] = i.width;
  d["height"] = i.height;
  d["fps"] = i.fps;
  d["frame_count"] = i.frame_count;
  d["frame_count_stated"] = i.frame_count_stated;
  d["duration"] = i.duration;
  d["rotation"] = i.rotation;
  d["codec"] = i.codec;
  d["pixel_format"] = i.pixel_format;
  d["interlaced"] = i.interlaced;
  d["hdr"] = i.hdr;
  d["color_matrix"] = i.color_matrix;
  d["color_range"] = i.color_range;
  d["has_audio"] = i.has_audio;
  return d;
}

py::dict audio_info_dict(const AudioInfo& i) {
  py::dict d;
  d["path"] = fs_decode(i.path);
  d["sample_rate"] = i.sample_rate;
  d["channels"] = i.channels;
  d["codec"] = i.codec;
  d["sample_format"] = i.sample_format;
  d["duration"] = i.duration;
  return d;
}

}  // namespace

void register_media(py::module_& m) {
  py::class_<VideoInfo>(m, "VideoInfo", "What a video file holds (VideoReader.info()).")
      .def_property_readonly("path", [](const VideoInfo& i) { return fs_decode(i.path); })
      .def_readonly("width", &VideoInfo::width, "width after rotation")
      .def_readonly("height", &VideoInfo::height, "height after rotation")
      .def_readonly("fps", &VideoInfo::fps)
      .def_readonly("frame_count", &VideoInfo::frame_count,
                    "frames the container states (OpenCV's CAP_PROP_FRAME_COUNT), else counted")
      .def_readonly("frame_count_stated", &VideoInfo::frame_count_stated)
      .def_readonly("duration", &VideoInfo::duration, "seconds")
      .def_readonly("rotation", &VideoInfo::rotation, "degrees clockwise applied to frames")
      .def_readonly("codec", &VideoInfo::codec)
      .def_readonly("pixel_format", &VideoInfo::pixel_format)
      .def_readonly("interlaced", &VideoInfo::interlaced, "the stream's header states a field order")
      .def_readonly("hdr", &VideoInfo::hdr, "the stream states an HDR transfer (HLG or PQ)")
      .def_readonly("color_matrix", &VideoInfo::color_matrix,
                    "the stream's stated YUV matrix, FFmpeg's name ('bt709', 'smpte170m'...); '' when unstated")
      .def_readonly("color_range", &VideoInfo::color_range,
                    "the stream's stated range: 'tv' (limited), 'pc' (full); '' when unstated")
      .def_readonly("has_audio", &VideoInfo::has_audio)
      .def("to_dict", &video_info_dict)
      .def("__repr__", [](const VideoInfo& i) {
        return py::str("VideoInfo({})").format(py::str(video_info_dict(i)));
      });

  py::class_<VideoReadStats>(m, "VideoReadStats", "Counters of the last read()/sample() call.")
      .def_readonly("packets_sent", &VideoReadStats::packets_sent)
      .def_readonly("frames_decoded", &VideoReadStats::frames_decoded)
      .def_readonly("frames_converted", &VideoReadStats::frames_converted)
      .def_readonly("frames_deinterlaced", &VideoReadStats::frames_deinterlaced,
                    "of those, converted from one field (deinterlace=True)")
      .def_readonly("frames_hdr_to_sdr", &VideoReadStats::frames_hdr_to_sdr,
                    "of those, converted from HDR (hdr_to_sdr=True)")
      .def_readonly("seeks", &VideoReadStats::seeks)
      .def("__repr__", [](const VideoReadStats& s) {
        return py::str(
                   "VideoReadStats(packets_sent={}, frames_decoded={}, frames_converted={}, frames_deinterlaced={}, "
                   "frames_hdr_to_sdr={}, seeks={})")
            .format(s.packets_sent, s.frames_decoded, s.frames_converted, s.frames_deinterlaced,
                    s.frames_hdr_to_sdr, s.seeks);
      });

  py::class_<VideoReader>(m, "VideoReader", R"doc(
Frame-exact sampling of a video file (FFmpeg).

Frame i is exactly frame i of a full sequential decode (what OpenCV's grab()/retrieve() loop
returns). Frames are RGB uint8 arrays [n, h, w, 3] with the display rotation applied.
)doc")
      .def(py::init([](const FsPath& path, int threads, int output_width, int output_height, double timeout_seconds,
                       bool deinterlace, bool hdr_to_sdr, bool stated_colors) {
             VideoReaderParams p;
             p.threads = threads;
             p.output_width = output_width;
             p.output_height = output_height;
             p.timeout_seconds = timeout_seconds;
             p.deinterlace = deinterlace;
             p.hdr_to_sdr = hdr_to_sdr;
             p.stated_colors = stated_colors;
             py::gil_scoped_release release;
             return std::make_unique<VideoReader>(path.bytes, p);
           }),
           py::arg("path"), py::arg("threads") = VideoReaderParams{}.threads,
           py::arg("output_width") = VideoReaderParams{}.output_width, py::arg("output_height") = VideoReaderParams{}.output_height,
           py::arg("timeout_seconds") = VideoReaderParams{}.timeout_seconds,
           py::arg("deinterlace") = VideoReaderParams{}.deinterlace,
           py::arg("hdr_to_sdr") = VideoReaderParams{}.hdr_to_sdr,
           py::arg("stated_colors") = VideoReaderParams{}.stated_colors,
           "Opens and probes `path` (str, bytes or os.PathLike). threads=0: two decoder threads per core; "
           "output_width/height=0 keep the native size (one given: the other follows the aspect ratio); "
           "timeout_seconds bounds opening and each read (0: no limit); deinterlace=True: a frame the decoder "
           "flags as interlaced, or one whose rows comb though flagged progressive, comes from its top field alone, "
           "stretched to the frame's height (no combing); "
           "hdr_to_sdr=True: an HDR frame (HLG or PQ, a phone's) is converted to SDR BT.709 colours (FFmpeg's zscale); "
           "stated_colors=True: each frame converted with the YUV matrix and range it states (BT.709, full range) "
           "instead of BT.601 limited range, OpenCV's. "
           "A FIFO or device is refused (IoError).")
      .def("info", &VideoReader::info, py::return_value_policy::copy)
      .def(
          "read",
          [](VideoReader& r, const std::vector<int64_t>& indices) {
            return decode_frames(r, [&] { return r.read(indices); });
          },
          py::arg("indices"), "The frames at `indices` (any order, duplicates allowed) as uint8 [n, h, w, 3].")
      .def(
          "sample", [](VideoReader& r, int n) { return decode_frames(r, [&] { return r.sample(n); }); },
          py::arg("n"), "n evenly spaced frames, at sample_indices(frame_count, n), as uint8 [n, h, w, 3].")
      .def_static("sample_indices", &VideoReader::sample_indices, py::arg("frame_count"), py::arg("n"),
                  "floor(linspace(0, frame_count - 1, n)), as the DFDC kernels compute it.")
      .def("keyframe_indices", [](VideoReader& r) {
        py::gil_scoped_release release;
        return r.keyframe_indices();
      }, "The frames the container flags as keyframes, ascending (normally each decodes alone: the cheapest frames to read; "
         "read() never starts at one that does not).")
      .def("last_read_stats", &VideoReader::last_read_stats, py::return_value_policy::copy)
      .def("__repr__", [](const VideoReader& r) {
        const VideoInfo& i = r.info();
        return py::str("VideoReader('{}', {}x{}, {} frames at {:.3f} fps)")
            .format(escaped_text(i.path), i.width, i.height, i.frame_count, i.fps);
      });

  py::class_<AudioInfo>(m, "AudioInfo", "What an audio stream holds (AudioReader.info()).")
      .def_property_readonly("path", [](const AudioInfo& i) { return fs_decode(i.path); })
      .def_readonly("sample_rate", &AudioInfo::sample_rate, "of the source stream")
      .def_readonly("channels", &AudioInfo::channels, "of the source stream")
      .def_readonly("codec", &AudioInfo::codec)
      .def_readonly("sample_format", &AudioInfo::sample_format)
      .def_readonly("duration", &AudioInfo::duration)
      .def("to_dict", &audio_info_dict)
      .def("__repr__", [](const AudioInfo& i) {
        return py::str("AudioInfo({})").format(py::str(audio_info_dict(i)));
      });

  py::class_<AudioReader>(m, "AudioReader", R"doc(
Decodes the audio stream of an audio or video file to mono float32 at `sample_rate` (default 22050,
librosa's), with swresample's default down-mix — equal to `ffmpeg -ac 1 -ar RATE -f f32le`.
)doc")
      .def(py::init([](const FsPath& path, int sample_rate, double timeout_seconds, double max_duration_seconds) {
             AudioReaderParams p;
             p.sample_rate = sample_rate;
             p.timeout_seconds = timeout_seconds;
             p.max_duration_seconds = max_duration_seconds;
             py::gil_scoped_release release;
             return std::make_unique<AudioReader>(path.bytes, p);
           }),
           py::arg("path"), py::arg("sample_rate") = AudioReaderParams{}.sample_rate,
           py::arg("timeout_seconds") = AudioReaderParams{}.timeout_seconds,
           py::arg("max_duration_seconds") = AudioReaderParams{}.max_duration_seconds,
           "Opens and probes `path` (str, bytes or os.PathLike). timeout_seconds bounds opening and each read; "
           "read() refuses audio longer than max_duration_seconds (0: no limit for either).")
      .def("info", &AudioReader::info, py::return_value_policy::copy)
      .def_property_readonly("sample_rate", &AudioReader::sample_rate)
      .def("read",
           [](AudioReader& r) {
             auto samples = std::make_unique<std::vector<float>>();
             {
               py::gil_scoped_release release;
               *samples = r.read();
             }
             // Hand the vector to numpy without a copy; the capsule frees it.
             std::vector<float>* raw = samples.release();
             py::capsule owner(raw, [](void* p) { delete static_cast<std::vector<float>*>(p); });
             return py::array_t<float>({static_cast<py::ssize_t>(raw->size())}, raw->data(), owner);
           },
           "The whole stream as float32 [n] at `sample_rate`.")
      .def("__repr__", [](const AudioReader& r) {
        return py::str("AudioReader('{}', {} Hz)").format(escaped_text(r.info().path), r.sample_rate());
      });

  m.def(
      "list_media_files",
      [](const FsPath& directory, bool recursive) {
        std::vector<std::string> files;
        {
          py::gil_scoped_release release;
          files = list_media_files(directory.bytes, recursive);
        }
        py::list out;
        for (const std::string& f : files) out.append(fs_decode(f));
        return out;
      },
      py::arg("directory"), py::arg("recursive") = true,
      "The media files under `directory` (str, bytes or os.PathLike), as `dfd scan DIR` scans them: video, "
      "image and audio files by their extension, in subdirectories too when recursive, names starting with '.' "
      "left out, sorted. Give them to Detector.scan_many. IoError for a missing or unreadable directory.");
  m.def(
      "has_media_extension", [](const FsPath& path) { return has_media_extension(path.bytes); }, py::arg("path"),
      "True if the name ends in a video, image or audio extension libdfd reads (by name only).");
}

}  // namespace dfd::python

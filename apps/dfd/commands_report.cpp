// dfd report PATH... --model SPEC -o DIR: a static HTML page per scan — the verdict, the deciding
// faces, their Grad-CAM heatmaps and the face regions they rest on — and an index of all pages.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "dfd/cam_maps.hpp"
#include "dfd/detector.hpp"
#include "dfd/utf8.hpp"
#include "progress.hpp"

namespace dfd::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> paths;
  DetectorOptions detector;
  std::string out_dir;
  int faces = 4;
};

// Text for HTML: every character with a meaning in markup or attributes escaped. File names can
// hold anything; the pages show them only through this, and link only to names we made.
std::string html(const std::string& raw) {
  std::string out;
  for (char c : utf8_escaped(raw)) {  // a name that is not UTF-8 is shown with \xNN escapes
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* kStyle =
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.fake{color:#b00020}.real{color:#1b5e20}"
    ".face{display:inline-block;margin:0 1.5em 1.5em 0;vertical-align:top}.face img{width:256px;height:256px}"
    ".path{font-family:monospace;word-break:break-all}";

// Pages may only load images from their own directory; no scripts, nothing remote.
std::string page_head(const std::string& title) {
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'\">\n"
      "<title>{}</title><style>{}</style></head><body>\n",
      html(title), kStyle);
}

std::string verdict_label(const Verdict& v) {
  if (v.status == Verdict::Status::Ok) return v.is_fake ? "<b class=\"fake\">FAKE</b>" : "<b class=\"real\">real</b>";
  return "<b>" + html(to_string(v.status)) + "</b>";
}

// One explained face or clip: its caption (HTML), its pictures (HTML), then its face regions,
// largest share first, and their summary.
std::string explanation_block(const std::string& caption, const std::string& pictures, const std::vector<RegionShare>& regions,
                              const std::string& summary) {
  std::string out = "<div class=\"face\">\n<p>" + caption + "</p>\n" + pictures + "\n";
  if (regions.empty()) return out + "<p>(the face detector gives no landmarks: no regions)</p>\n</div>\n";
  out += "<table><tr><th>region</th><th>share of the heatmap</th></tr>\n";
  for (const RegionShare& r : regions) {
    out += fmt::format("<tr><td>{}</td><td>{:.1f} %</td></tr>\n", html(r.region), 100.0 * r.share);
  }
  return out + "</table>\n<p>" + html(summary) + "</p>\n</div>\n";
}

// One scan's page, its images in `dir/stem/`.
void write_page(const std::filesystem::path& dir, const std::string& stem, const Verdict& v) {
  namespace fs = std::filesystem;
  const fs::path assets = dir / stem;
  fs::create_directories(assets);
  std::ofstream out(dir / (stem + ".html"));
  if (!out) throw IoError((dir / (stem + ".html")).string(), "cannot write the page");
  out << page_head("dfd report: " + v.path);
  out << "<p><a href=\"index.html\">all scans</a></p>\n";
  out << "<h1>" << verdict_label(v) << "</h1>\n<p class=\"path\">" << html(v.path) << "</p>\n<table>\n";
  if (v.status == Verdict::Status::Ok || v.status == Verdict::Status::NoFace) {
    out << fmt::format("<tr><th>p(fake)</th><td>{:.4f}</td></tr>\n", v.p_fake);
  }
  if (v.video_p_fake) out << fmt::format("<tr><th>faces' p(fake)</th><td>{:.4f}</td></tr>\n", *v.video_p_fake);
  if (v.audio_p_fake) out << fmt::format("<tr><th>audio p(fake)</th><td>{:.4f}</td></tr>\n", *v.audio_p_fake);
  if (!v.error.empty()) out << "<tr><th>error</th><td>" << html(v.error) << "</td></tr>\n";
  out << fmt::format("<tr><th>frames sampled</th><td>{}</td></tr><tr><th>faces</th><td>{}</td></tr>\n", v.frames_sampled,
                     v.faces.size());
  out << "<tr><th>timings</th><td>" << html(v.timings.to_string()) << "</td></tr>\n</table>\n";
  if (!v.identities.empty()) {
    out << "<h2>Identities</h2>\n<table><tr><th>track</th><th>faces</th><th>p(fake)</th></tr>\n";
    for (const IdentityScore& id : v.identities) {
      out << fmt::format("<tr><td>{}</td><td>{}</td><td>{:.4f}</td></tr>\n", id.track_id, id.faces, id.p_fake);
    }
    out << "</table>\n";
  }
  if (v.segments.size() > 1) {  // a long video's timeline: where in it the faces read fake
    out << "<h2>Timeline</h2>\n<table><tr><th>from</th><th>to</th><th>faces</th><th>p(fake)</th></tr>\n";
    for (const SegmentScore& g : v.segments) {
      out << fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.4f}</td></tr>\n", clock_text(g.start_seconds),
                         clock_text(g.end_seconds), g.faces, g.p_fake);
    }
    out << "</table>\n";
  }
  if (!v.explanations.empty()) {
    out << "<h2>The faces the verdict rests on</h2>\n";
    for (size_t k = 0; k < v.explanations.size(); ++k) {
      const FaceExplanation& e = v.explanations[k];
      const FaceScore& f = v.faces[e.face];
      const std::string crop = fmt::format("face{}_crop.png", k), heat = fmt::format("face{}_heatmap.png", k);
      write_rgb_png((assets / crop).string(), e.crop);
      write_rgb_png((assets / heat).string(), overlay(e.crop, e.heatmap));
      out << explanation_block(
          fmt::format("frame {}, track {}: p(fake) {:.4f} — why {}", f.frame_index, f.track_id, f.p_fake, html(e.target)),
          fmt::format("<img src=\"{0}/{1}\" alt=\"face crop\"> <img src=\"{0}/{2}\" alt=\"Grad-CAM heatmap\">", stem, crop, heat),
          e.regions, e.summary);
    }
  }
  if (!v.clip_explanations.empty()) {
    out << "<h2>The clips the verdict rests on</h2>\n";
    for (size_t k = 0; k < v.clip_explanations.size(); ++k) {
      const ClipExplanation& e = v.clip_explanations[k];
      const ClipScore& c = v.clips[e.clip];
      const std::string strip = fmt::format("clip{}_heatmaps.png", k);
      write_rgb_png((assets / strip).string(), clip_overlay_strip(e));
      out << explanation_block(fmt::format("frames {}–{} ({} frames), track {}: p(fake) {:.4f} — why {}", c.frame_indices.front(),
                                           c.frame_indices.back(), c.frame_indices.size(), c.track_id, c.p_fake, html(e.target)),
                               fmt::format("<img src=\"{}/{}\" alt=\"Grad-CAM of each frame of the clip\">", stem, strip),
                               e.regions, e.summary);
    }
  }
  out << "</body></html>\n";
}

void run_report(const ReportOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw IoError(o.out_dir, "cannot create the output directory: " + ec.message());
  DetectorParams params = detector_params(o.detector);
  params.explain.enabled = true;
  params.explain.faces = o.faces;
  if (print_params_requested(o.detector, params)) return;
  Detector detector(params);
  const std::vector<std::string> paths = expand_media_paths(o.paths);
  std::vector<std::string> rows(paths.size());
  Progress progress(paths.size());
  ScanManyParams many;
  many.workers = o.detector.workers;
  detector.scan_many(paths, [&](size_t i, Verdict&& v) {
    const std::string stem = fmt::format("scan_{:04d}", i + 1);  // our names: safe whatever the input's
    write_page(o.out_dir, stem, v);
    rows[i] = fmt::format("<tr><td><a href=\"{}.html\">{}</a></td><td class=\"path\">{}</td><td>{}</td><td>{}</td></tr>\n",
                          stem, stem, html(v.path), verdict_label(v),
                          v.status == Verdict::Status::Ok ? fmt::format("{:.4f}", v.p_fake) : "");
    progress.step(utf8_escaped(v.path));
  }, many);
  std::ofstream index(fs::path(o.out_dir) / "index.html");
  if (!index) throw IoError((fs::path(o.out_dir) / "index.html").string(), "cannot write the index");
  index << page_head("dfd report") << "<h1>dfd report</h1>\n<table><tr><th>page</th><th>file</th><th>verdict</th>"
        << "<th>p(fake)</th></tr>\n";
  for (const std::string& row : rows) index << row;
  index << "</table></body></html>\n";
  std::cout << (fs::path(o.out_dir) / "index.html").string() << std::endl;
}

}  // namespace

void add_report_commands(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand("report", "Static HTML pages: verdict, deciding faces, heatmaps, face regions");
  cmd->add_option("PATH", o->paths, "videos, images or audio files, or directories (their media files, recursively)")->required();
  add_detector_options(cmd, o->detector);
  cmd->add_option("-o,--output", o->out_dir, "output directory (index.html and a page per file)")->required();
  cmd->add_option("--faces", o->faces, "deciding faces explained per file")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([o] { run_report(*o); });
}

}  // namespace dfd::cli

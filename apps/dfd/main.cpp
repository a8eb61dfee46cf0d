// dfd — the command-line face of libdfd.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "dfd/error.hpp"
#include "dfd/runtime.hpp"
#include "dfd/utf8.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dfd: deepfake detection for video, images and audio (libdfd)"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success; 1 the work failed (the message names the file and the cause); "
      "2 bad command line.");
  dfd::cli::add_media_commands(app);
  dfd::cli::add_face_commands(app);
  dfd::cli::add_classify_commands(app);
  dfd::cli::add_audio_commands(app);
  dfd::cli::add_explain_commands(app);
  dfd::cli::add_scan_commands(app);
  dfd::cli::add_eval_commands(app);
  dfd::cli::add_report_commands(app);
  dfd::cli::add_augment_commands(app);
  dfd::cli::add_prepare_commands(app);
  dfd::cli::add_train_commands(app);
  dfd::cli::add_serve_commands(app);
  try {
    // The command owns its process: every core for LibTorch, freed memory kept for the next
    // forward pass (dfd/runtime.hpp; docs/performance.md).
    dfd::configure_runtime();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? dfd::cli::kOk : dfd::cli::kUsage;
  } catch (const dfd::InvalidArgument& e) {  // an option's value (a device, a preset, ...)
    std::fprintf(stderr, "dfd: error: %s\n", dfd::utf8_escaped(e.what()).c_str());
    return dfd::cli::kUsage;
  } catch (const dfd::Error& e) {
    std::fprintf(stderr, "dfd: error: %s\n", dfd::utf8_escaped(e.what()).c_str());
    return dfd::cli::kFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dfd: error: %s\n", dfd::utf8_escaped(e.what()).c_str());
    return dfd::cli::kFailed;
  }
  return dfd::cli::kOk;
}

// A configuration file, loaded whole as `gatewaystack serve` and `check` load it
// (server::load_config: YAML, every layer's section, cross-checks), from a file in a private
// temporary folder that also holds the policy file the examples name. An operator writes the
// file, but a typo or a mangled file must end in a list of problems, never in a crash.
// The scalar readers of core/config_reader run on the raw input too.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/config_reader.hpp"
#include "fuzz_check.hpp"
#include "route/route.hpp"
#include "server/config.hpp"

namespace {

// <tmp>/configs/gatewaystack.yaml; <tmp>/policies/medical.json is what the examples'
// `models_file: ../policies/medical.json` finds. Removed when the process exits.
class ConfigFolder {
 public:
  ConfigFolder() {
    dir_ = (std::filesystem::temp_directory_path() / "gw-config-fuzz-XXXXXX").string();
    GW_FUZZ_CHECK(::mkdtemp(dir_.data()) != nullptr);
    std::filesystem::create_directories(dir_ + "/configs");
    std::filesystem::create_directories(dir_ + "/policies");
    std::ofstream(dir_ + "/policies/medical.json") << R"({"gpt-4-medical": {
      "requiredRoles": ["doctor", "physician_assistant"], "requiredScopes": ["medical:write"]}})";
    ::setenv("OPENAI_API_KEY", "sk-fuzz", 0);  // examples/configs/medical.yaml
    path_ = dir_ + "/configs/gatewaystack.yaml";
  }
  ~ConfigFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ConfigFolder(const ConfigFolder&) = delete;
  ConfigFolder& operator=(const ConfigFolder&) = delete;

  const std::string& path() const noexcept { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

const std::string& config_path() {
  static const ConfigFolder folder;
  return folder.path();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = gw::fuzz::as_text(data, size);
  (void)gw::config::parse_duration(text);
  (void)gw::config::parse_byte_size(text);
  std::string missing;
  (void)gw::config::substitute_env(text, missing);

  const std::string& path = config_path();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), text.size());
  gw::config::Problems problems(path);
  auto config = gw::server::load_config(path, problems);
  // A config is either loaded or rejected with at least one problem.
  GW_FUZZ_CHECK(config.has_value() == problems.empty());
  if (!config) {
    GW_FUZZ_CHECK(!problems.format().empty());
    return 0;
  }
  gw::server::fill_resource_defaults(*config);
  (void)gw::server::resource_metadata_documents(*config);
  for (const auto& route : config->routes.routes) {
    GW_FUZZ_CHECK(gw::route::match(config->routes, route.prefix) != nullptr);
  }
  return 0;
}

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "audit/sink.hpp"

namespace gw::audit {

namespace fs = std::filesystem;

namespace {

Error io_error(std::string_view what, const std::string& path) {
  return make_error(Reason::AuditUnavailable,
                    "jsonl " + std::string(what) + " " + path + ": " + std::strerror(errno),
                    Origin::Internal);
}

std::string utc_stamp(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

Result<std::vector<Entry>> read_file(const std::string& path, std::size_t& line_number_base) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("open", path);
  std::vector<Entry> entries;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    std::string error;
    std::optional<Entry> entry;
    if (!ec && value.is_object()) entry = from_json(value.as_object(), error);
    if (!entry) {
      return make_error(Reason::AuditUnavailable,
                        path + ":" + std::to_string(line_no) + ": unreadable line" +
                            (error.empty() ? "" : " (" + error + ")"),
                        Origin::Internal);
    }
    entries.push_back(std::move(*entry));
  }
  line_number_base += line_no;
  return entries;
}

class JsonlSink final : public Sink {
 public:
  JsonlSink(JsonlConfig config, ClockSharedPtr clock)
      : config_(std::move(config)), clock_(std::move(clock)) {}
  ~JsonlSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string_view name() const noexcept override { return "jsonl"; }
  std::size_t batch_max() const noexcept override { return 256; }

  Result<Head> open(const std::string& instance_id) override {
    // A line cut short by a crash was never acknowledged as durable: drop it.
    std::error_code ec;
    if (auto size = fs::file_size(config_.path, ec); !ec && size > 0) {
      std::ifstream in(config_.path, std::ios::binary);
      in.seekg(-1, std::ios::end);
      if (in.get() != '\n') {
        in.seekg(0);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto keep = content.rfind('\n');
        fs::resize_file(config_.path, keep == std::string::npos ? 0 : keep + 1, ec);
      }
    }
    if (auto r = open_active(); !r) return r.error();
    Head head;
    auto files = jsonl_files(config_.path);
    for (auto it = files.rbegin(); it != files.rend(); ++it) {
      std::size_t base = 0;
      auto entries = read_file(*it, base);
      if (!entries) return entries.error();
      for (auto e = entries->rbegin(); e != entries->rend(); ++e) {
        if (e->instance_id == instance_id) return Head{e->seq, e->hash};
      }
    }
    return head;
  }

  Result<void> write(std::span<const Entry> entries) override {
    auto now = clock_->now();
    if (size_ > 0 && (size_ >= config_.max_bytes ||
                      (config_.max_age.count() > 0 && now - opened_at_ >= config_.max_age))) {
      if (auto r = rotate(now); !r) return r;
    }
    std::string out;
    for (const Entry& e : entries) {
      out += boost::json::serialize(to_json(e));
      out.push_back('\n');
    }
    std::size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("write", config_.path);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd_) != 0) return io_error("fdatasync", config_.path);
    size_ += out.size();
    return {};
  }

 private:
  Result<void> open_active() {
    fd_ = ::open(config_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) return io_error("open", config_.path);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return io_error("stat", config_.path);
    size_ = static_cast<std::uint64_t>(st.st_size);
    opened_at_ = clock_->now();
    return {};
  }

  Result<void> rotate(std::chrono::system_clock::time_point now) {
    if (::fsync(fd_) != 0) return io_error("fsync", config_.path);
    ::close(fd_);
    fd_ = -1;
    std::string target = config_.path + "." + utc_stamp(now);
    std::error_code ec;
    for (int n = 1; fs::exists(target, ec); ++n) {
      target = config_.path + "." + utc_stamp(now) + "-" + std::to_string(n);
    }
    if (::rename(config_.path.c_str(), target.c_str()) != 0) {
      return io_error("rename", config_.path);
    }
    if (auto r = open_active(); !r) return r;
    auto dir = fs::path(config_.path).parent_path();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return {};
  }

  JsonlConfig config_;
  ClockSharedPtr clock_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::chrono::system_clock::time_point opened_at_{};
};

}  // namespace

SinkPtr make_jsonl_sink(const JsonlConfig& config, ClockSharedPtr clock) {
  return std::make_unique<JsonlSink>(config, std::move(clock));
}

std::vector<std::string> jsonl_files(const std::string& path) {
  fs::path p(path);
  fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::string prefix = p.filename().string() + ".";
  std::vector<std::string> rotated;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    std::string name = item.path().filename().string();
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        std::isdigit(static_cast<unsigned char>(name[prefix.size()]))) {
      rotated.push_back((p.parent_path() / name).string());
    }
  }
  std::sort(rotated.begin(), rotated.end());
  if (fs::exists(p, ec)) rotated.push_back(path);
  return rotated;
}

Result<std::vector<Entry>> read_jsonl(const std::string& path) {
  std::vector<Entry> all;
  auto files = jsonl_files(path);
  if (files.empty()) {
    errno = ENOENT;
    return io_error("open", path);
  }
  std::size_t base = 0;
  for (const auto& file : files) {
    auto entries = read_file(file, base);
    if (!entries) return entries.error();
    std::move(entries->begin(), entries->end(), std::back_inserter(all));
  }
  return all;
}

}  // namespace gw::audit

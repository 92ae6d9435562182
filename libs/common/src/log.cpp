#include "dbaas/common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "dbaas/common/clock.hpp"

namespace dbaas::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::mutex g_init_mutex;
std::string g_service_json = "\"dbaas\"";  // written once at Init, before threads start

spdlog::logger& Logger() {
  // Deliberately never destroyed: objects with static storage may still log while the
  // program exits, after function-local statics constructed later have been destroyed.
  static auto* logger = [] {
    auto l = std::make_shared<spdlog::logger>("dbaas",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return new std::shared_ptr<spdlog::logger>(std::move(l));
  }();
  return **logger;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

Field::Field(std::string_view key, std::string_view value) : key_(key) {
  AppendJsonString(json_, value);
}
Field::Field(std::string_view key, std::int64_t value) : key_(key), json_(std::to_string(value)) {}
Field::Field(std::string_view key, double value) : key_(key) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  json_ = buf;
}
Field::Field(std::string_view key, bool value) : key_(key), json_(value ? "true" : "false") {}

void Init(std::string_view service, Level level) {
  std::lock_guard lock(g_init_mutex);
  g_service_json.clear();
  AppendJsonString(g_service_json, service);
  g_level = level;
  Logger();
}

bool ParseLevel(std::string_view text, Level& out) noexcept {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError, Level::kOff}) {
    if (text == LevelName(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

bool Enabled(Level level) noexcept { return level != Level::kOff && level >= g_level.load(); }

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(128 + message.size());
  line += "{\"ts\":\"";
  line += FormatRfc3339(SystemClock::Instance().Now());
  line += "\",\"level\":\"";
  line += LevelName(level);
  line += "\",\"service\":";
  line += g_service_json;
  line += ",\"msg\":";
  AppendJsonString(line, message);
  for (const auto& f : fields) {
    line += ',';
    AppendJsonString(line, f.Key());
    line += ':';
    line += f.Json();
  }
  line += '}';
  Logger().info(line);
}

}  // namespace dbaas::log

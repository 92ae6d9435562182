#include "dbaas/events/event.hpp"

#include <string>

#include "dbaas/common/error.hpp"

namespace dbaas::events {
namespace {

bool IsTokenChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

bool IsValidSubject(std::string_view subject) noexcept {
  constexpr std::string_view kPrefix = "dbaas.";
  if (!subject.starts_with(kPrefix)) return false;
  int tokens = 1;
  std::size_t token_length = 0;
  for (char c : subject.substr(kPrefix.size())) {
    if (c == '.') {
      if (token_length == 0) return false;
      ++tokens;
      token_length = 0;
    } else if (IsTokenChar(c)) {
      ++token_length;
    } else {
      return false;
    }
  }
  return token_length > 0 && tokens == 3;  // service, entity, verb after "dbaas."
}

void ValidateSubject(std::string_view subject) {
  if (!IsValidSubject(subject)) {
    throw Error(ErrorCode::kInvalidArgument,
                "event subject \"" + std::string(subject) +
                    "\" is not dbaas.<service>.<entity>.<verb> in lower-case [a-z0-9-]");
  }
}

void ValidateEvent(const Event& e) {
  ValidateSubject(e.subject);
  if (e.id.empty()) throw Error(ErrorCode::kInvalidArgument, "event has no id");
  if (e.source.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "event " + e.id + " has no source");
  }
  if (e.payload_type.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "event " + e.id + " has no payload type");
  }
}

}  // namespace dbaas::events

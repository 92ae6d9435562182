#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"

namespace dbaas::http {

class Request;

/// The paging part of a list request: `page_size` and `page_token`, as every /v1 list takes.
struct PageParams {
  std::size_t page_size = 20;
  /// The id after which the page starts (decoded from page_token); nullopt for the first page.
  std::optional<std::string> after_id;
};

/// Reads page_size (1 to `max_size`, default `default_size`) and page_token (made by
/// EncodePageToken with the same `kind`, holding an id `is_valid_id` accepts). Problems are
/// appended to `problems`, so the caller can report them with its own parameters' problems.
PageParams ReadPageParams(const Request& req, std::string_view kind,
                          const std::function<bool(std::string_view)>& is_valid_id,
                          std::vector<FieldViolation>& problems, std::size_t default_size = 20,
                          std::size_t max_size = 100);

/// The opaque next_page_token for a page ending at `last_id`; "" when there is no next page.
std::string EncodePageToken(std::string_view kind, const std::optional<std::string>& last_id);

}  // namespace dbaas::http

#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/http/method.hpp"
#include "dbaas/http/request.hpp"
#include "dbaas/http/response.hpp"

namespace dbaas::http {

/// Runs on a handler thread (or inline, see RouteOptions); may block. Throw dbaas::Error for
/// client-visible failures; any other exception becomes INTERNAL "internal error".
using Handler = std::function<Response(const Request&)>;

/// Answers an asynchronous request. Call it exactly once, from any thread; the server writes the
/// response on the connection's I/O thread. When every copy is destroyed uncalled, the request
/// is answered INTERNAL "internal error".
using Reply = std::function<void(Response)>;

/// Runs on the I/O thread and must not block. `request` stays valid until `reply` is called.
/// An exception thrown before replying is answered like a Handler's (dbaas::Error by its code,
/// anything else INTERNAL); after a reply it is logged and ignored.
using AsyncHandler = std::function<void(const Request& request, Reply reply)>;

/// Adds headers to every response the Server writes (handlers', asynchronous handlers', the
/// router's 404/405, CORS preflights, built-in routes and the 400/413/431/503 answers to
/// unusable requests, where `request` carries only what was known: request id, addresses and,
/// when parsed, method and target). Runs on the I/O thread; must not block or throw.
using ResponseDecorator = std::function<void(const Request& request, Response& response)>;

struct RouteOptions {
  /// Run the handler on the I/O thread instead of the handler pool, saving two thread hops.
  /// Only for handlers that never block (no database, no network, no locks held for long).
  bool non_blocking = false;
};

/// A route found for a request.
struct RouteMatch {
  enum class Outcome { kMatched, kNotFound, kMethodNotAllowed };
  Outcome outcome = Outcome::kNotFound;
  const Handler* handler = nullptr;  // kMatched only; owned by the Router
  const AsyncHandler* async_handler = nullptr;  // kMatched on an AddAsync route; else null
  RouteOptions options;
  std::string pattern;                                      // kMatched only
  std::vector<std::pair<std::string, std::string>> params;  // decoded, kMatched only
  std::vector<Method> allowed;  // kMethodNotAllowed: methods the path accepts
  /// The value for the Allow header, e.g. "GET, HEAD, DELETE".
  std::string AllowHeader() const;
};

/// Maps (method, path pattern) to handlers.
///
/// Patterns are "/"-separated segments, each a literal ("tenants"), a parameter ("{id}"), or a
/// parameter with a literal suffix ("{id}:verify"). A literal segment beats a suffixed parameter,
/// which beats a plain parameter, comparing segments left to right. Parameters match one
/// non-empty segment and are percent-decoded. Trailing slashes are significant: "/v1/x/" does
/// not match "/v1/x" (the 404 then suggests the other spelling). A GET route also answers HEAD.
/// Add() during start-up; Match() is then thread-safe.
class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  /// Throws std::invalid_argument for a malformed pattern or a duplicate (method, pattern).
  void Add(Method method, std::string pattern, Handler handler, RouteOptions options = {});

  /// An asynchronous route (see AsyncHandler); it always runs on the I/O thread. Throws like
  /// Add().
  void AddAsync(Method method, std::string pattern, AsyncHandler handler);

  /// Sets the decorator the Server applies to every response it writes (replacing any earlier
  /// one). Call during start-up.
  void SetResponseDecorator(ResponseDecorator decorator);
  /// The decorator set, or an empty function.
  const ResponseDecorator& Decorator() const noexcept;

  void Get(std::string pattern, Handler h, RouteOptions o = {}) {
    Add(Method::kGet, std::move(pattern), std::move(h), o);
  }
  void Post(std::string pattern, Handler h, RouteOptions o = {}) {
    Add(Method::kPost, std::move(pattern), std::move(h), o);
  }
  void Put(std::string pattern, Handler h, RouteOptions o = {}) {
    Add(Method::kPut, std::move(pattern), std::move(h), o);
  }
  void Patch(std::string pattern, Handler h, RouteOptions o = {}) {
    Add(Method::kPatch, std::move(pattern), std::move(h), o);
  }
  void Delete(std::string pattern, Handler h, RouteOptions o = {}) {
    Add(Method::kDelete, std::move(pattern), std::move(h), o);
  }

  /// Finds the route for `raw_path` (still percent-encoded, without the query).
  RouteMatch Match(Method method, std::string_view raw_path) const;

  /// Matches `request`, stores the route in it and calls the handler. Throws Error{NOT_FOUND}
  /// or Error{METHOD_NOT_ALLOWED} (use Match() to get the Allow list), and Error{INTERNAL} for
  /// an asynchronous route. For tests and for composing routers; the Server uses Match() itself.
  Response Dispatch(Request& request) const;

  /// The NOT_FOUND (with a trailing-slash suggestion when that spelling exists) or
  /// METHOD_NOT_ALLOWED error for a request `match` did not match.
  dbaas::Error MatchError(const Request& request, const RouteMatch& match) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::http

// The OpenAPI document against the gateway's own tables: every routed pattern is documented,
// every documented operation is routed, and every error answer is the shared Error body.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "domain/route_policy.hpp"
#include "domain/upstream_table.hpp"
#include "openapi_document.hpp"

namespace dbaas::gateway {
namespace {

using nlohmann::json;

constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "patch"};

const json& Document() {
  static const json document = json::parse(OpenApiDocument());
  return document;
}

// "/v1/users/{user_id}:unlock" -> "/v1/users/{}:unlock": parameter names do not matter.
std::string Normalise(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      const auto close = path.find('}', i);
      out += "{}";
      i = close == std::string_view::npos ? path.size() : close;
    } else {
      out += path[i];
    }
  }
  return out;
}

// A request path for `pattern`: each parameter becomes a sample value.
std::string Concrete(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      out += "x1";
      i = close == std::string_view::npos ? pattern.size() : close;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "\n  " + line;
  return out;
}

// Normalised path -> the document's spelling.
std::map<std::string, std::string> DocumentedPaths() {
  std::map<std::string, std::string> out;
  for (const auto& [path, item] : Document()["paths"].items()) out.emplace(Normalise(path), path);
  return out;
}

TEST(OpenApiDocument, IsAnOpenApi3DocumentWithTheSharedComponents) {
  const auto& doc = Document();
  EXPECT_TRUE(doc["openapi"].get<std::string>().starts_with("3.")) << doc["openapi"];
  EXPECT_EQ(doc["security"], json::parse(R"([{"bearerAuth":[]}])"));
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  for (const char* header : {"RateLimit-Policy", "RateLimit", "Retry-After", "X-Request-Id"}) {
    EXPECT_TRUE(doc["components"]["headers"].contains(header)) << header;
  }
  const auto& error = doc["components"]["schemas"]["Error"];
  EXPECT_EQ(error["required"], json::parse(R"(["error","request_id","timestamp"])"));
  EXPECT_EQ(error["properties"]["error"]["required"],
            json::parse(R"(["code","message","details","suggestions"])"));
  for (const auto& [name, response] : doc["components"]["responses"].items()) {
    EXPECT_EQ(response["content"]["application/json"]["schema"]["$ref"],
              "#/components/schemas/Error")
        << name;
  }
  for (const char* schema : {"Tenant", "User", "Role", "ApiKey", "TokenRequest", "TokenResponse",
                             "Jwks", "TenantList", "UserList", "Operation"}) {
    EXPECT_TRUE(doc["components"]["schemas"].contains(schema)) << schema;
  }
}

TEST(OpenApiDocument, DocumentsEveryRouteOfTheGatewaysTables) {
  const auto documented = DocumentedPaths();
  const auto table = DefaultPermissionTable();
  std::vector<std::string> missing;
  for (const auto& pattern : RoutePatterns(table)) {
    if (!documented.contains(Normalise(pattern))) missing.push_back(pattern);
  }
  for (const auto& route : table.Routes()) {
    if (route.method == "*") continue;
    const auto it = documented.find(Normalise(route.pattern));
    if (it == documented.end()) continue;  // reported above
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!Document()["paths"][it->second].contains(method)) {
      missing.push_back(route.method + " " + route.pattern);
    }
  }
  EXPECT_TRUE(missing.empty()) << "routed but not in openapi.json:" << Join(missing);
}

TEST(OpenApiDocument, EveryDocumentedOperationIsRoutedToItsService) {
  const auto permissions = DefaultPermissionTable();
  const auto upstreams = DefaultUpstreamTable();
  std::vector<std::string> unrouted;
  for (const auto& [path, item] : Document()["paths"].items()) {
    for (const auto& [method_name, op] : item.items()) {
      if (std::find(std::begin(kMethods), std::end(kMethods), method_name) == std::end(kMethods)) {
        continue;
      }
      const std::string method = Upper(method_name);
      const std::string where = method + " " + path;
      const std::string concrete = Concrete(path);
      const std::string service = op.value("x-dbaas-service", "");
      const bool public_op = op.contains("security") && op["security"].empty();
      if (path == kOpenApiPath) {
        if (service != "gateway" || method != "GET" || !public_op) {
          unrouted.push_back(where + ": must be the gateway's own public GET");
        }
        continue;
      }
      const auto exposure = ExposureOf(method, concrete);
      if (exposure == Exposure::kBlocked) unrouted.push_back(where + ": blocked by the gateway");
      if (public_op != (exposure == Exposure::kPublic)) {
        unrouted.push_back(where + ": security in the document differs from the gateway's");
      }
      const auto owner = upstreams.ServiceFor(concrete);
      if (!owner) {
        unrouted.push_back(where + ": no upstream");
      } else if (*owner != service) {
        unrouted.push_back(where + ": x-dbaas-service " + service + " but routed to " + *owner);
      }
      if (exposure == Exposure::kProtected && !permissions.Resolve(method, concrete)) {
        unrouted.push_back(where + ": not in the permission table");
      }
    }
  }
  EXPECT_TRUE(unrouted.empty()) << "in openapi.json but not routed so:" << Join(unrouted);
}

TEST(OpenApiDocument, EveryErrorAnswerIsTheSharedErrorBody) {
  std::vector<std::string> problems;
  for (const auto& [path, item] : Document()["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      const std::string where = Upper(method) + " " + path;
      if (!op.value("summary", "").size()) problems.push_back(where + ": no summary");
      for (const auto& [status, response] : op["responses"].items()) {
        if (status.starts_with("2")) continue;
        const std::string ref = response.value("$ref", "");
        if (!ref.starts_with("#/components/responses/")) {
          problems.push_back(where + " " + status + ": not a shared error response");
        }
      }
      const bool planned = op.value("x-dbaas-status", "") == "planned";
      if (planned != op.value("summary", "").starts_with("Planned:")) {
        problems.push_back(where + ": x-dbaas-status and summary disagree");
      }
      const std::string service = op.value("x-dbaas-service", "");
      if (!planned && service != "access-control" && service != "gateway" &&
          service != "provisioning" && service != "backup") {
        problems.push_back(where + ": " + service + " is not built yet; mark it planned");
      }
      if (planned && service != "access-control" && !op["responses"].contains("503")) {
        problems.push_back(where + ": a planned service's route must document 503");
      }
    }
  }
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

}  // namespace
}  // namespace dbaas::gateway

#include "commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "api_error.hpp"
#include "args.hpp"
#include "config_file.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/http/client.hpp"
#include "exit_code.hpp"
#include "output.hpp"
#include "session.hpp"
#include "terminal.hpp"

namespace dbaas::ctl {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kDefaultUrl = "http://127.0.0.1:8080";
constexpr const char* kDefaultTimeout = "10m";
constexpr std::chrono::milliseconds kPollInterval{500};

// Function-local statics: built on first use, so a throwing allocation is not at load time.
const std::vector<OptionSpec>& GlobalOptions() {
  static const std::vector<OptionSpec> options = {
      {"config", "PATH",
       "config file (default: $DBAASCTL_CONFIG, else ~/.config/dbaasctl/config.json)"},
      {"output", "FORMAT",
       "table or json (default: $DBAASCTL_OUTPUT, else table on a terminal, json otherwise)"},
      {"help", "", "show help for the command"},
  };
  return options;
}

OptionSpec WaitOption() {
  return {"wait", "", "follow the operation until it has succeeded or failed"};
}
OptionSpec TimeoutOption() {
  return {"timeout", "DURATION",
          "give up waiting after this long, e.g. 90s, 10m, 1h (default 10m)"};
}

struct Context;

struct Command {
  std::vector<std::string> words;
  std::string arguments;  // shown after the words in the usage line
  std::string summary;
  std::string description;
  std::vector<OptionSpec> options;
  std::size_t min_positionals = 0;
  std::size_t max_positionals = 0;
  std::function<int(Context&)> run;
};

struct Context {
  const Command& command;
  ParsedArgs args;
  OutputFormat format;
  std::filesystem::path config_path;
  std::ostream& out;
  std::ostream& err;
  http::Client& client;
  std::unique_ptr<Session> session;

  Session& Api() {
    if (!session) {
      auto config = LoadConfig(config_path);
      session = std::make_unique<Session>(config_path, config.value_or(CtlConfig{}), client);
    }
    return *session;
  }
  const std::string& Positional(std::size_t i) const { return args.Positionals().at(i); }
  bool Json() const { return format == OutputFormat::kJson; }
  void PrintJson(const json& value) { out << value.dump(2) << '\n'; }
};

std::string Usage(const Command& c) {
  std::string words;
  for (const auto& w : c.words) words += " " + w;
  return "dbaasctl" + words + (c.arguments.empty() ? "" : " " + c.arguments);
}

std::string OptionLines(const std::vector<OptionSpec>& options) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::size_t width = 0;
  for (const auto& o : options) {
    std::string left = "--" + o.name + (o.TakesValue() ? " " + o.value_name : "");
    if (o.repeatable) left += " ...";
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), o.help);
  }
  std::string out;
  for (const auto& [left, help] : rows) {
    out.append("  ").append(left).append(width - left.size() + 2, ' ').append(help) += '\n';
  }
  return out;
}

const char* kExitCodes =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the API refused the request (400 and other 4xx not listed below)\n"
    "  2  usage error (bad command line, unreadable config file)\n"
    "  3  not found (404)\n"
    "  4  not logged in, session expired, or not allowed (401, 403)\n"
    "  5  conflict or failed precondition (409, 412)\n"
    "  6  unavailable: 5xx, 429, gateway unreachable, or --wait timed out\n"
    "  7  the operation followed with --wait finished failed\n";

std::string CommandHelp(const Command& c) {
  std::string out = "usage: " + Usage(c) + "\n\n" + c.summary + "\n";
  if (!c.description.empty()) out += "\n" + c.description + "\n";
  if (!c.options.empty()) out += "\nOptions:\n" + OptionLines(c.options);
  out += "\nGlobal options:\n" + OptionLines(GlobalOptions());
  return out;
}

bool HasPrefix(const Command& c, const std::vector<std::string>& prefix) {
  return c.words.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), c.words.begin());
}

// The words and positional arguments only ("instance create NAME"), for command lists.
std::string ShortUsage(const Command& c) {
  std::string out;
  for (const auto& w : c.words) out += (out.empty() ? "" : " ") + w;
  const auto positionals = c.arguments.substr(0, c.arguments.find("--"));
  if (!positionals.empty()) out += " " + positionals;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string GroupHelp(const std::vector<Command>& commands,
                      const std::vector<std::string>& prefix) {
  std::size_t width = 0;
  for (const auto& c : commands) {
    if (HasPrefix(c, prefix)) width = std::max(width, ShortUsage(c).size());
  }
  std::string out;
  for (const auto& c : commands) {
    if (!HasPrefix(c, prefix)) continue;
    const auto usage = ShortUsage(c);
    out += "  " + usage + std::string(width - usage.size() + 2, ' ') + c.summary + "\n";
  }
  return out;
}

std::string TopHelp(const std::vector<Command>& commands) {
  return "dbaasctl: the command-line client of the dbaas public API (the gateway)\n\n"
         "usage: dbaasctl [global options] COMMAND [arguments] [options]\n\n"
         "Commands:\n" +
         GroupHelp(commands, {}) + "\nGlobal options:\n" + OptionLines(GlobalOptions()) +
         "\nOutput: results go to stdout, errors and progress to stderr. `table` aligns the key\n"
         "fields for people; `json` prints the API's JSON, pretty, for scripts.\n\n" +
         kExitCodes +
         "\nRun `dbaasctl COMMAND --help` for a command's options; docs/dbaasctl.md has more.\n";
}

// --- helpers shared by commands ---

std::int64_t ParseCount(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty()) {
    throw UsageError("--" + option + " wants a whole number, got '" + text + "'");
  }
  return value;
}

json KeyValues(const ParsedArgs& args, const std::string& option) {
  json object = json::object();
  for (const auto& item : args.All(option)) {
    auto [key, value] = SplitKeyValue(item, option);
    object[key] = value;
  }
  return object;
}

std::string Required(const ParsedArgs& args, const std::string& option) {
  auto value = args.Get(option);
  if (!value || value->empty()) throw UsageError("--" + option + " is required");
  return *value;
}

// A tenant given by id is used as is; a name is looked up among the tenants the caller sees.
std::string ResolveTenant(Context& ctx, const std::string& tenant) {
  if (IsValidId(TenantTag::kPrefix, tenant)) return tenant;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    std::string target = "/v1/tenants?page_size=100";
    if (!token.empty()) target += "&page_token=" + PercentEncode(token);
    const auto answer = ctx.Api().Get(target);
    for (const auto& t : answer.value("tenants", json::array())) {
      if (t.value("name", "") == tenant) return t.value("id", "");
    }
    token = answer.value("next_page_token", json(nullptr)).is_string()
                ? answer["next_page_token"].get<std::string>()
                : "";
    if (token.empty()) break;
  }
  throw CliError(ExitCode::kNotFound, "no tenant named '" + tenant + "' (give its id or name)");
}

std::chrono::seconds WaitTimeout(const Context& ctx) {
  return ParseDuration(ctx.args.Get("timeout").value_or(kDefaultTimeout), "timeout");
}

// Polls the operation until it finishes, showing one progress line on stderr: rewritten in place
// on a terminal, one line per change otherwise. Returns the finished operation.
json FollowOperation(Context& ctx, const std::string& id, std::chrono::seconds timeout) {
  const bool tty = IsTerminal(STDERR_FILENO);
  const auto start = Clock::now();
  std::string last_state;
  const std::string target = "/v1/operations/" + PercentEncode(id);
  while (true) {
    json op;
    try {
      op = ctx.Api().Get(target);
    } catch (const ApiError& e) {
      // The operation runs on whether or not the gateway answers; keep asking until the timeout.
      if (e.Exit() != ExitCode::kUnavailable || Clock::now() - start >= timeout) throw;
      ctx.err << (tty ? "\r" : "") << "gateway answered " << e.Code() << ", retrying"
              << (tty ? "\033[K" : "\n") << std::flush;
      std::this_thread::sleep_for(kPollInterval * 2);
      continue;
    } catch (const Error& e) {
      if (ExitCodeForError(e.Code()) != ExitCode::kUnavailable || Clock::now() - start >= timeout) {
        throw;
      }
      ctx.err << (tty ? "\r" : "") << "gateway unreachable, retrying" << (tty ? "\033[K" : "\n")
              << std::flush;
      std::this_thread::sleep_for(kPollInterval * 2);
      continue;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start);
    const std::string status = op.value("status", "");
    const bool done = status == "succeeded" || status == "failed";
    const std::string line = ProgressLine(op, elapsed);
    if (tty) {
      ctx.err << "\r" << line << "\033[K" << (done ? "\n" : "") << std::flush;
    } else {
      const std::string state = status + "|" + Field(op, "progress") + "|" + Field(op, "step");
      if (state != last_state) ctx.err << line << '\n' << std::flush;
      last_state = state;
    }
    if (done) return op;
    if (Clock::now() - start >= timeout) {
      if (tty) ctx.err << '\n';
      throw CliError(ExitCode::kUnavailable,
                     "gave up after " + FormatElapsed(timeout) + ": operation " + id +
                         " is still " + status +
                         "; keep following it with: dbaasctl operation get " + id + " --wait");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Prints why a finished operation failed and returns exit code 7 (0 when it succeeded).
int OperationOutcome(Context& ctx, const json& op) {
  if (op.value("status", "") == "succeeded") return 0;
  std::string message = "error: operation " + Field(op, "id") + " (" + Field(op, "type") + " " +
                        Field(op, "target") + ") failed";
  if (op.contains("error") && op["error"].is_object()) {
    message += ": " + Field(op["error"], "code") + ": " + Field(op["error"], "message");
  }
  ctx.err << message << '\n';
  return static_cast<int>(ExitCode::kOperationFailed);
}

std::string OperationIdOf(const json& answer) {
  if (answer.contains("operation") && answer["operation"].is_object()) {
    return answer["operation"].value("id", "");
  }
  return "";
}

// --- commands ---

int LoginCommand(Context& ctx) {
  auto existing = LoadConfig(ctx.config_path).value_or(CtlConfig{});
  std::string url = ctx.args.Get("url").value_or("");
  if (url.empty()) url = existing.url;
  if (url.empty()) url = GetEnv("DBAASCTL_URL").value_or(kDefaultUrl);
  const std::string username = ctx.args.Get("username").value_or("admin");
  std::optional<std::string> password;
  if (ctx.args.Has("password-stdin")) {
    password = ReadLineFromStdin();
  } else if (IsTerminal(STDIN_FILENO)) {
    password = ReadPasswordFromTerminal("Password for " + username + " at " + url + ": ");
  } else {
    throw UsageError("no terminal to ask for the password on: pipe it with --password-stdin");
  }
  if (!password || password->empty()) throw UsageError("no password given");
  const auto config = Login(ctx.client, url, username, *password);
  SaveConfig(ctx.config_path, config);
  if (ctx.Json()) {
    ctx.PrintJson({{"url", url}, {"username", username}, {"config", ctx.config_path.string()}});
  } else {
    ctx.out << "logged in to " << url << " as " << username << " (config "
            << ctx.config_path.string() << ")\n";
  }
  return 0;
}

int LogoutCommand(Context& ctx) {
  auto config = LoadConfig(ctx.config_path);
  if (config && !config->refresh_token.empty()) {
    const json body{{"token", config->refresh_token}};
    try {
      SendJson(ctx.client, http::Method::kPost, JoinUrl(config->url, "/v1/auth/revoke"), &body);
    } catch (const std::exception& e) {
      ctx.err << "warning: could not revoke the refresh token: " << e.what() << '\n';
    }
  }
  if (config) {
    config->access_token.clear();
    config->refresh_token.clear();
    config->access_token_expires_at = 0;
    SaveConfig(ctx.config_path, *config);
  }
  if (!ctx.Json()) ctx.out << "logged out\n";
  return 0;
}

int InstanceCreate(Context& ctx) {
  const auto timeout = WaitTimeout(ctx);
  json body{{"name", ctx.Positional(0)},
            {"engine", Required(ctx.args, "engine")},
            {"size", Required(ctx.args, "size")},
            {"storage_gb", ParseCount(Required(ctx.args, "storage-gb"), "storage-gb")}};
  if (auto v = ctx.args.Get("version")) body["version"] = *v;
  if (ctx.args.Has("param")) body["parameters"] = KeyValues(ctx.args, "param");
  if (ctx.args.Has("label")) body["labels"] = KeyValues(ctx.args, "label");
  if (ctx.args.Has("deletion-protection")) body["deletion_protection"] = true;
  if (auto g = ctx.args.Get("parameter-group")) body["parameter_group"] = *g;
  if (auto t = ctx.args.Get("tenant")) body["tenant_id"] = ResolveTenant(ctx, *t);
  const auto answer = ctx.Api().Call(http::Method::kPost, "/v1/instances", &body);
  const json instance = answer.value("instance", json::object());
  const std::string op_id = OperationIdOf(answer);
  if (!ctx.args.Has("wait")) {
    if (ctx.Json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.out << InstanceFields(instance) << "operation:            " << op_id
              << "\n\nfollow it with: dbaasctl operation get " << op_id << " --wait\n";
    }
    return 0;
  }
  const auto op = FollowOperation(ctx, op_id, timeout);
  if (op.value("status", "") != "succeeded") {
    if (ctx.Json()) ctx.PrintJson(op);
    return OperationOutcome(ctx, op);
  }
  const auto current = ctx.Api().Get("/v1/instances/" + PercentEncode(instance.value("id", "")));
  if (ctx.Json()) {
    ctx.PrintJson(current);
  } else {
    ctx.out << InstanceFields(current);
  }
  return 0;
}

// The items in `field` of the first page of `path` + `query` (every page with --all); `token`
// gets the next page's token ("" when there is none).
json FetchPages(Context& ctx, const std::string& path, const std::string& query,
                const std::string& field, std::string& token) {
  json items = json::array();
  token.clear();
  do {
    std::string target = path + query;
    if (!token.empty())
      target += (query.empty() ? "?" : "&") + std::string("page_token=") + PercentEncode(token);
    const auto page = ctx.Api().Get(target);
    for (const auto& item : page.value(field, json::array())) items.push_back(item);
    const json next = page.value("next_page_token", json(nullptr));
    token = next.is_string() ? next.get<std::string>() : "";
  } while (ctx.args.Has("all") && !token.empty());
  return items;
}

int InstanceList(Context& ctx) {
  std::string query;
  auto add = [&](const std::string& key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + key + "=" + PercentEncode(value);
  };
  if (auto t = ctx.args.Get("tenant")) add("tenant_id", ResolveTenant(ctx, *t));
  if (auto e = ctx.args.Get("engine")) add("engine", *e);
  if (auto s = ctx.args.Get("status")) add("status", *s);
  if (auto p = ctx.args.Get("page-size"))
    add("page_size", std::to_string(ParseCount(*p, "page-size")));
  std::string token;
  const json instances = FetchPages(ctx, "/v1/instances", query, "instances", token);
  if (ctx.Json()) {
    ctx.PrintJson({{"instances", instances},
                   {"next_page_token", token.empty() ? json(nullptr) : json(token)}});
  } else {
    ctx.out << InstancesTable(instances);
    if (!token.empty()) ctx.err << "more instances follow: add --all to list every page\n";
  }
  return 0;
}

int InstanceGet(Context& ctx) {
  const auto instance = ctx.Api().Get("/v1/instances/" + PercentEncode(ctx.Positional(0)));
  if (ctx.Json()) {
    ctx.PrintJson(instance);
  } else {
    ctx.out << InstanceFields(instance);
  }
  return 0;
}

int InstanceCredentials(Context& ctx) {
  const auto creds =
      ctx.Api().Get("/v1/instances/" + PercentEncode(ctx.Positional(0)) + "/credentials");
  if (ctx.Json()) {
    ctx.PrintJson(creds);
  } else {
    ctx.out << CredentialsFields(creds);
  }
  return 0;
}

int PrintOperationResult(Context& ctx, const json& answer, const std::string& op_id,
                         std::chrono::seconds timeout) {
  if (!ctx.args.Has("wait")) {
    if (ctx.Json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.out << OperationFields(answer.value("operation", answer))
              << "\nfollow it with: dbaasctl operation get " << op_id << " --wait\n";
    }
    return 0;
  }
  const auto op = FollowOperation(ctx, op_id, timeout);
  if (ctx.Json()) {
    ctx.PrintJson(op);
  } else if (op.value("status", "") == "succeeded") {
    ctx.out << OperationFields(op);
  }
  return OperationOutcome(ctx, op);
}

int InstanceLifecycle(Context& ctx, const std::string& verb) {
  const auto timeout = WaitTimeout(ctx);
  const std::string target = "/v1/instances/" + PercentEncode(ctx.Positional(0));
  const auto answer = verb == "delete" ? ctx.Api().Call(http::Method::kDelete, target)
                                       : ctx.Api().Call(http::Method::kPost, target + "/" + verb);
  return PrintOperationResult(ctx, answer, OperationIdOf(answer), timeout);
}

int InstanceUpdate(Context& ctx) {
  const auto timeout = WaitTimeout(ctx);
  json body = json::object();
  if (auto v = ctx.args.Get("size")) body["size"] = *v;
  if (auto v = ctx.args.Get("storage-gb")) body["storage_gb"] = ParseCount(*v, "storage-gb");
  if (ctx.args.Has("param")) body["parameters"] = KeyValues(ctx.args, "param");
  if (ctx.args.Has("label")) body["labels"] = KeyValues(ctx.args, "label");
  if (auto v = ctx.args.Get("protection")) {
    if (*v != "on" && *v != "off") throw UsageError("--protection takes on or off");
    body["deletion_protection"] = *v == "on";
  }
  if (auto g = ctx.args.Get("parameter-group")) body["parameter_group"] = *g;
  if (ctx.args.Has("no-parameter-group")) body["parameter_group"] = nullptr;
  if (body.empty()) {
    throw UsageError(
        "nothing to change: give --size, --storage-gb, --param, --parameter-group, "
        "--no-parameter-group, --label or --protection");
  }
  const auto answer = ctx.Api().Call(http::Method::kPatch,
                                     "/v1/instances/" + PercentEncode(ctx.Positional(0)), &body);
  if (!answer.contains("operation")) {  // changed at once
    if (ctx.Json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.out << InstanceFields(answer);
    }
    return 0;
  }
  return PrintOperationResult(ctx, answer, OperationIdOf(answer), timeout);
}

int GroupCreate(Context& ctx) {
  json body{{"name", ctx.Positional(0)}, {"engine", Required(ctx.args, "engine")}};
  if (auto d = ctx.args.Get("description")) body["description"] = *d;
  if (ctx.args.Has("param")) body["parameters"] = KeyValues(ctx.args, "param");
  if (auto t = ctx.args.Get("tenant")) body["tenant_id"] = ResolveTenant(ctx, *t);
  const auto group = ctx.Api().Call(http::Method::kPost, "/v1/parameter-groups", &body);
  if (ctx.Json()) {
    ctx.PrintJson(group);
  } else {
    ctx.out << ParameterGroupFields(group);
  }
  return 0;
}

int GroupList(Context& ctx) {
  std::string query;
  auto add = [&](const std::string& key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + key + "=" + PercentEncode(value);
  };
  if (auto t = ctx.args.Get("tenant")) add("tenant_id", ResolveTenant(ctx, *t));
  if (auto e = ctx.args.Get("engine")) add("engine", *e);
  if (auto p = ctx.args.Get("page-size"))
    add("page_size", std::to_string(ParseCount(*p, "page-size")));
  std::string token;
  const json groups = FetchPages(ctx, "/v1/parameter-groups", query, "parameter_groups", token);
  if (ctx.Json()) {
    ctx.PrintJson({{"parameter_groups", groups},
                   {"next_page_token", token.empty() ? json(nullptr) : json(token)}});
  } else {
    ctx.out << ParameterGroupsTable(groups);
    if (!token.empty()) ctx.err << "more groups follow: add --all to list every page\n";
  }
  return 0;
}

int GroupGet(Context& ctx) {
  const auto group = ctx.Api().Get("/v1/parameter-groups/" + PercentEncode(ctx.Positional(0)));
  if (ctx.Json()) {
    ctx.PrintJson(group);
  } else {
    ctx.out << ParameterGroupFields(group);
  }
  return 0;
}

int GroupVersions(Context& ctx) {
  const auto answer =
      ctx.Api().Get("/v1/parameter-groups/" + PercentEncode(ctx.Positional(0)) + "/versions");
  if (ctx.Json()) {
    ctx.PrintJson(answer);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : answer.value("versions", json::array())) {
    rows.push_back({Field(v, "version"), Field(v, "created_at"), Field(v, "parameters")});
  }
  ctx.out << FormatTable({"VERSION", "CREATED_AT", "PARAMETERS"}, rows);
  return 0;
}

int GroupUpdate(Context& ctx) {
  const auto timeout = WaitTimeout(ctx);
  json body = json::object();
  if (auto d = ctx.args.Get("description")) body["description"] = *d;
  json parameters = json::object();
  if (ctx.args.Has("param")) parameters = KeyValues(ctx.args, "param");
  for (const auto& name : ctx.args.All("unset")) parameters[name] = nullptr;
  if (!parameters.empty()) body["parameters"] = parameters;
  if (body.empty()) throw UsageError("nothing to change: give --param, --unset or --description");
  const auto answer = ctx.Api().Call(
      http::Method::kPatch, "/v1/parameter-groups/" + PercentEncode(ctx.Positional(0)), &body);
  const json operations = answer.value("operations", json::array());
  if (!ctx.args.Has("wait")) {
    if (ctx.Json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.out << ParameterGroupFields(answer.value("parameter_group", json::object()));
      for (const auto& op : operations) {
        ctx.out << "operation:    " << Field(op, "id") << " (" << Field(op, "type") << " on "
                << Field(op, "target") << ")\n";
      }
    }
    return 0;
  }
  // Follows every instance's apply_parameters operation; the first failure decides the code.
  int code = 0;
  for (const auto& op : operations) {
    const auto done = FollowOperation(ctx, Field(op, "id"), timeout);
    if (done.value("status", "") != "succeeded" && code == 0) code = OperationOutcome(ctx, done);
  }
  if (ctx.Json()) {
    ctx.PrintJson(answer);
  } else {
    ctx.out << ParameterGroupFields(answer.value("parameter_group", json::object()));
  }
  return code;
}

int GroupDelete(Context& ctx) {
  ctx.Api().Call(http::Method::kDelete, "/v1/parameter-groups/" + PercentEncode(ctx.Positional(0)));
  if (!ctx.Json()) ctx.out << "deleted parameter group " << ctx.Positional(0) << '\n';
  return 0;
}

// "/v1/instances/<instance>/<collection>[/<name>]"
std::string InsideInstance(Context& ctx, const std::string& collection, bool with_name) {
  std::string target =
      "/v1/instances/" + PercentEncode(ctx.Positional(0)) + "/" + collection;
  if (with_name) target += "/" + PercentEncode(ctx.Positional(1));
  return target;
}

// Prints the names in answer[field] (one per line) or the whole answer as JSON.
int PrintNames(Context& ctx, const json& answer, const std::string& field) {
  if (ctx.Json()) {
    ctx.PrintJson(answer);
    return 0;
  }
  for (const auto& item : answer.value(field, json::array())) {
    ctx.out << (item.is_string() ? item.get<std::string>() : item.value("name", "")) << '\n';
  }
  return 0;
}

int DatabaseList(Context& ctx) {
  return PrintNames(ctx, ctx.Api().Get(InsideInstance(ctx, "databases", false)), "databases");
}

int DatabaseCreate(Context& ctx) {
  json body{{"name", ctx.Positional(1)}};
  for (const char* field : {"owner", "encoding", "charset", "collation"}) {
    if (auto v = ctx.args.Get(field)) body[field] = *v;
  }
  const auto answer =
      ctx.Api().Call(http::Method::kPost, InsideInstance(ctx, "databases", false), &body);
  if (ctx.Json()) {
    ctx.PrintJson(answer);
  } else {
    ctx.out << "created database " << answer.value("name", ctx.Positional(1)) << '\n';
  }
  return 0;
}

int DatabaseDelete(Context& ctx) {
  ctx.Api().Call(http::Method::kDelete, InsideInstance(ctx, "databases", true));
  if (!ctx.Json()) ctx.out << "deleted database " << ctx.Positional(1) << '\n';
  return 0;
}

int UserList(Context& ctx) {
  return PrintNames(ctx, ctx.Api().Get(InsideInstance(ctx, "users", false)), "users");
}

// Prints a user's new password and URI, which the API shows only in this answer.
int PrintSecret(Context& ctx, const json& answer) {
  if (ctx.Json()) {
    ctx.PrintJson(answer);
  } else {
    ctx.out << "user:     " << answer.value("name", "") << "\npassword: "
            << answer.value("password", "") << "\nuri:      " << answer.value("uri", "")
            << "\n(the password is shown only now)\n";
  }
  return 0;
}

int UserCreate(Context& ctx) {
  json body{{"name", ctx.Positional(1)}};
  if (auto v = ctx.args.Get("database")) body["database"] = *v;
  if (ctx.args.Has("password-stdin")) {
    std::string password;
    std::getline(std::cin, password);
    body["password"] = password;
  }
  return PrintSecret(
      ctx, ctx.Api().Call(http::Method::kPost, InsideInstance(ctx, "users", false), &body));
}

int UserDelete(Context& ctx) {
  ctx.Api().Call(http::Method::kDelete, InsideInstance(ctx, "users", true));
  if (!ctx.Json()) ctx.out << "deleted user " << ctx.Positional(1) << '\n';
  return 0;
}

int UserRotatePassword(Context& ctx) {
  const json body = json::object();
  return PrintSecret(ctx, ctx.Api().Call(http::Method::kPost,
                                         InsideInstance(ctx, "users", true) + ":rotate-password",
                                         &body));
}

int OperationGet(Context& ctx) {
  const auto timeout = WaitTimeout(ctx);
  if (ctx.args.Has("wait")) {
    const auto op = FollowOperation(ctx, ctx.Positional(0), timeout);
    if (ctx.Json()) {
      ctx.PrintJson(op);
    } else {
      ctx.out << OperationFields(op);
    }
    return OperationOutcome(ctx, op);
  }
  const auto op = ctx.Api().Get("/v1/operations/" + PercentEncode(ctx.Positional(0)));
  if (ctx.Json()) {
    ctx.PrintJson(op);
  } else {
    ctx.out << OperationFields(op);
  }
  return 0;
}

int TenantCreate(Context& ctx) {
  json body{{"name", ctx.Positional(0)}};
  if (auto d = ctx.args.Get("display-name")) body["display_name"] = *d;
  json limits = json::object();
  for (const char* limit : {"max-instances", "max-storage-gb", "max-backups", "max-connections"}) {
    if (auto v = ctx.args.Get(limit)) {
      std::string key = limit;
      std::replace(key.begin(), key.end(), '-', '_');
      limits[key] = ParseCount(*v, limit);
    }
  }
  if (!limits.empty()) body["limits"] = limits;
  const auto tenant = ctx.Api().Call(http::Method::kPost, "/v1/tenants", &body);
  if (ctx.Json()) {
    ctx.PrintJson(tenant);
  } else {
    ctx.out << TenantFields(tenant);
  }
  return 0;
}

int TenantList(Context& ctx) {
  json tenants = json::array();
  std::string token;
  const bool all = ctx.args.Has("all");
  do {
    std::string target = "/v1/tenants";
    if (!token.empty()) target += "?page_token=" + PercentEncode(token);
    const auto page = ctx.Api().Get(target);
    for (const auto& t : page.value("tenants", json::array())) tenants.push_back(t);
    const auto next = page.value("next_page_token", json(nullptr));
    token = next.is_string() ? next.get<std::string>() : "";
  } while (all && !token.empty());
  if (ctx.Json()) {
    ctx.PrintJson(
        {{"tenants", tenants}, {"next_page_token", token.empty() ? json(nullptr) : json(token)}});
  } else {
    ctx.out << TenantsTable(tenants);
    if (!token.empty()) ctx.err << "more tenants follow: add --all to list every page\n";
  }
  return 0;
}

int TenantGet(Context& ctx) {
  const auto tenant = ctx.Api().Get("/v1/tenants/" + PercentEncode(ctx.Positional(0)));
  if (ctx.Json()) {
    ctx.PrintJson(tenant);
  } else {
    ctx.out << TenantFields(tenant);
  }
  return 0;
}

std::vector<Command> Commands() {
  const OptionSpec tenant{"tenant", "TENANT", "tenant id or name (platform administrators)"};
  std::vector<Command> c;
  c.push_back({{"login"},
               "",
               "log in and store the gateway URL and tokens in the config file",
               "The password is asked for without echo on a terminal, or read from the first line\n"
               "of stdin with --password-stdin. Tokens are never printed; the config file is\n"
               "written with mode 0600. Later commands renew the access token with the refresh\n"
               "token when it expires.",
               {{"url", "URL",
                 "gateway URL (default: the stored one, else $DBAASCTL_URL, else " +
                     std::string(kDefaultUrl) + ")"},
                {"username", "NAME", "user to log in as (default admin)"},
                {"password-stdin", "", "read the password from stdin"}},
               0,
               0,
               LoginCommand});
  c.push_back({{"logout"},
               "",
               "revoke the refresh token and forget the tokens",
               "",
               {},
               0,
               0,
               LogoutCommand});
  c.push_back({{"instance", "create"},
               "NAME --engine ENGINE --size SIZE --storage-gb N",
               "create a database instance",
               "Prints the new instance and its operation; with --wait follows the operation and\n"
               "prints the instance once it is running.",
               {{"engine", "ENGINE", "postgresql or mysql"},
                {"version", "VERSION", "engine version (default: the newest available)"},
                {"size", "SIZE", "instance size, e.g. micro, small (see GET /v1/instance-sizes)"},
                {"storage-gb", "N", "storage in GiB"},
                {"param", "KEY=VALUE", "engine parameter", true},
                {"label", "KEY=VALUE", "label", true},
                {"deletion-protection", "", "refuse deletion until this is turned off"},
                {"parameter-group", "GROUP", "parameter group (id or name) of the same engine"},
                tenant,
                WaitOption(),
                TimeoutOption()},
               1,
               1,
               InstanceCreate});
  c.push_back({{"instance", "list"},
               "",
               "list instances",
               "Shows the first page unless --all is given.",
               {tenant,
                {"engine", "ENGINE", "only this engine"},
                {"status", "STATUS", "only this status (provisioning, running, stopped, ...)"},
                {"page-size", "N", "instances per page"},
                {"all", "", "follow next_page_token and list every page"}},
               0,
               0,
               InstanceList});
  c.push_back({{"instance", "get"}, "ID", "show one instance", "", {}, 1, 1, InstanceGet});
  for (const char* verb : {"delete", "start", "stop", "restart"}) {
    const std::string v = verb;
    c.push_back({{"instance", v},
                 "ID",
                 v + " an instance",
                 "Prints the operation; with --wait follows it until it finishes.",
                 {WaitOption(), TimeoutOption()},
                 1,
                 1,
                 [v](Context& ctx) { return InstanceLifecycle(ctx, v); }});
  }
  c.push_back({{"instance", "update"},
               "ID",
               "change an instance",
               "--protection and --label change at once; --size and --param go through an\n"
               "operation (dynamic parameters live, static ones by a restart); --wait follows it.",
               {{"size", "SIZE", "new instance size"},
                {"storage-gb", "N", "storage in GiB"},
                {"param", "KEY=VALUE", "engine parameter (merged into the current ones)", true},
                {"label", "KEY=VALUE", "label (the given labels replace the current ones)", true},
                {"protection", "on|off", "deletion protection"},
                {"parameter-group", "GROUP", "attach this parameter group (id or name)"},
                {"no-parameter-group", "", "detach the parameter group"},
                WaitOption(),
                TimeoutOption()},
               1,
               1,
               InstanceUpdate});
  c.push_back({{"parameter-group", "create"},
               "NAME --engine ENGINE",
               "create a parameter group (a versioned configuration template)",
               "Parameters are validated for the engine like instance parameters.",
               {{"engine", "ENGINE", "postgresql or mysql"},
                {"description", "TEXT", "what the group is for"},
                {"param", "KEY=VALUE", "engine parameter", true},
                tenant},
               1,
               1,
               GroupCreate});
  c.push_back({{"parameter-group", "list"},
               "",
               "list parameter groups (yours and the built-in defaults)",
               "Shows the first page unless --all is given.",
               {tenant,
                {"engine", "ENGINE", "only this engine"},
                {"page-size", "N", "groups per page"},
                {"all", "", "follow next_page_token and list every page"}},
               0,
               0,
               GroupList});
  c.push_back({{"parameter-group", "get"}, "GROUP", "show one parameter group (id or name)", "",
               {}, 1, 1, GroupGet});
  c.push_back({{"parameter-group", "versions"}, "GROUP", "list a parameter group's versions", "",
               {}, 1, 1, GroupVersions});
  c.push_back({{"parameter-group", "update"},
               "GROUP",
               "change a parameter group",
               "A parameter change makes a new version and applies it to every attached instance\n"
               "(dynamic parameters live, static ones at the instance's next restart); --wait\n"
               "follows those operations.",
               {{"param", "KEY=VALUE", "set a parameter (merged into the current ones)", true},
                {"unset", "KEY", "remove a parameter", true},
                {"description", "TEXT", "new description"},
                WaitOption(),
                TimeoutOption()},
               1,
               1,
               GroupUpdate});
  c.push_back({{"parameter-group", "delete"}, "GROUP",
               "delete a parameter group (refused while instances use it)", "", {}, 1, 1,
               GroupDelete});
  c.push_back({{"database", "list"}, "INSTANCE", "list the databases of an instance", "", {}, 1,
               1, DatabaseList});
  c.push_back({{"database", "create"},
               "INSTANCE NAME",
               "create a database inside an instance",
               "",
               {{"owner", "USER", "owning user or role"},
                {"encoding", "ENCODING", "PostgreSQL encoding, e.g. UTF8"},
                {"charset", "CHARSET", "MySQL character set, e.g. utf8mb4"},
                {"collation", "COLLATION", "collation"}},
               2,
               2,
               DatabaseCreate});
  c.push_back({{"database", "delete"}, "INSTANCE NAME", "drop a database", "", {}, 2, 2,
               DatabaseDelete});
  c.push_back({{"user", "list"}, "INSTANCE", "list the users of an instance", "", {}, 1, 1,
               UserList});
  c.push_back({{"user", "create"},
               "INSTANCE NAME",
               "create a user inside an instance",
               "Prints the password (generated unless --password-stdin) and a connection URI; the\n"
               "API shows the password only in this answer.",
               {{"database", "DB", "database named in the returned URI"},
                {"password-stdin", "", "read the password from stdin"}},
               2,
               2,
               UserCreate});
  c.push_back({{"user", "delete"}, "INSTANCE NAME", "drop a user", "", {}, 2, 2, UserDelete});
  c.push_back({{"user", "rotate-password"},
               "INSTANCE NAME",
               "give a user a new generated password",
               "Prints the new password and URI once.",
               {},
               2,
               2,
               UserRotatePassword});
  c.push_back({{"instance", "credentials"},
               "ID",
               "show the admin user, password and connection URI of an instance",
               "json output also carries ca_pem, the CA certificate to verify the server with.",
               {},
               1,
               1,
               InstanceCredentials});
  c.push_back({{"operation", "get"},
               "ID",
               "show a long-running operation",
               "With --wait follows it until it has succeeded or failed (exit code 7).",
               {WaitOption(), TimeoutOption()},
               1,
               1,
               OperationGet});
  c.push_back({{"tenant", "create"},
               "NAME",
               "create a tenant (platform administrators)",
               "",
               {{"display-name", "TEXT", "human-readable name"},
                {"max-instances", "N", "limit"},
                {"max-storage-gb", "N", "limit"},
                {"max-backups", "N", "limit"},
                {"max-connections", "N", "limit"}},
               1,
               1,
               TenantCreate});
  c.push_back({{"tenant", "list"},
               "",
               "list tenants",
               "",
               {{"all", "", "follow next_page_token and list every page"}},
               0,
               0,
               TenantList});
  c.push_back({{"tenant", "get"}, "ID", "show one tenant", "", {}, 1, 1, TenantGet});
  return c;
}

bool IsGroup(const std::vector<Command>& commands, const std::vector<std::string>& words) {
  return std::any_of(commands.begin(), commands.end(), [&](const Command& c) {
    return c.words.size() > words.size() && std::equal(words.begin(), words.end(), c.words.begin());
  });
}

int Dispatch(std::vector<std::string> args, std::ostream& out, std::ostream& err,
             const std::vector<Command>& commands) {
  std::vector<OptionSpec> every = GlobalOptions();
  for (const auto& c : commands) every.insert(every.end(), c.options.begin(), c.options.end());
  auto words = ExtractCommandWords(args, every, [&](const std::vector<std::string>& so_far) {
    return so_far.empty() || IsGroup(commands, so_far);
  });
  if (words == std::vector<std::string>{"help"}) {
    // "dbaasctl help instance create" is "dbaasctl instance create --help".
    args.push_back("--help");
    words = ExtractCommandWords(args, every, [&](const std::vector<std::string>& so_far) {
      return so_far.empty() || IsGroup(commands, so_far);
    });
  }
  const auto command = std::find_if(commands.begin(), commands.end(),
                                    [&](const Command& c) { return c.words == words; });
  const bool wants_help = std::find(args.begin(), args.end(), "--help") != args.end() ||
                          std::find(args.begin(), args.end(), "-h") != args.end();
  if (command == commands.end()) {
    if (words.empty() || IsGroup(commands, words)) {
      if (words.empty() && args.empty()) {
        err << TopHelp(commands);
        return static_cast<int>(ExitCode::kUsage);
      }
      if (wants_help) {
        out << (words.empty() ? TopHelp(commands)
                              : "usage: dbaasctl " + words[0] + " COMMAND\n\nCommands:\n" +
                                    GroupHelp(commands, words) + "\nRun `dbaasctl " + words[0] +
                                    " COMMAND --help` for a command's options.\n");
        return 0;
      }
    }
    std::string given;
    for (const auto& w : words) given += (given.empty() ? "" : " ") + w;
    if (words.empty()) throw UsageError("no command given (see dbaasctl --help)");
    if (IsGroup(commands, words)) {
      err << "usage: dbaasctl " << given << " COMMAND\n\nCommands:\n" << GroupHelp(commands, words);
      throw UsageError("missing command after '" + given + "'");
    }
    throw UsageError("unknown command '" + given + "' (see dbaasctl --help)");
  }
  if (wants_help) {
    out << CommandHelp(*command);
    return 0;
  }
  std::vector<OptionSpec> accepted = GlobalOptions();
  accepted.insert(accepted.end(), command->options.begin(), command->options.end());
  auto parsed = ParseArgs(accepted, args);
  const auto n = parsed.Positionals().size();
  if (n < command->min_positionals || n > command->max_positionals) {
    throw UsageError((n < command->min_positionals ? "missing arguments" : "too many arguments") +
                     std::string("; usage: ") + Usage(*command));
  }
  auto requested = parsed.Get("output");
  if (!requested) requested = GetEnv("DBAASCTL_OUTPUT");
  const auto format = ChooseOutputFormat(requested, IsTerminal(STDOUT_FILENO));
  const auto config_path = ResolveConfigPath(parsed.Get("config"));
  http::ClientConfig client_config;
  client_config.connect_timeout = std::chrono::seconds(5);
  client_config.request_timeout = std::chrono::seconds(60);
  client_config.user_agent = "dbaasctl";
  http::Client client(client_config);
  Context ctx{*command, std::move(parsed), format, config_path, out, err, client, nullptr};
  return command->run(ctx);
}

}  // namespace

int RunCli(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  const auto commands = Commands();
  try {
    return Dispatch(std::move(args), out, err, commands);
  } catch (const ApiError& e) {
    err << FormatApiError(e);
    return static_cast<int>(e.Exit());
  } catch (const UsageError& e) {
    err << "dbaasctl: " << e.what() << '\n';
    return static_cast<int>(ExitCode::kUsage);
  } catch (const CliError& e) {
    err << "error: " << e.what() << '\n';
    return static_cast<int>(e.Code());
  } catch (const Error& e) {
    // Raised by the HTTP client: the gateway could not be reached or answered nonsense.
    err << "error: " << ErrorCodeName(e.Code()) << ": " << e.what() << '\n';
    return static_cast<int>(ExitCodeForError(e.Code()));
  } catch (const std::exception& e) {
    err << "error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::kApiError);
  }
}

}  // namespace dbaas::ctl

#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dbaas/events/event.hpp"
#include "dbaas/store/store.hpp"
#include "domain/instance.hpp"
#include "domain/parameter_group.hpp"

namespace dbaas::provisioning {

struct ParameterGroupQuery {
  /// Only this tenant's groups and the built-in ones (always set for tenant callers); nullopt
  /// lists every group (platform administrators).
  std::optional<std::string> tenant_id;
  std::optional<std::string> engine;
  std::size_t page_size = 20;
  /// Groups with ids greater than this.
  std::optional<std::string> after_id;
};

struct ParameterGroupPage {
  std::vector<ParameterGroup> groups;
  std::optional<std::string> last_id;
};

struct ParameterGroupVersionPage {
  std::vector<ParameterGroupVersion> versions;
  std::optional<std::int64_t> last_version;
};

/// A create's Idempotency-Key with its caller and the request's fingerprint.
struct GroupIdempotency {
  std::string key;
  std::string caller;
  std::string request_hash;
};

/// What PATCH changes; `parameters` is the new full set when it differs from the current one.
struct ParameterGroupChange {
  std::optional<std::string> description;
  std::optional<std::map<std::string, std::string>> parameters;
};

/// A live instance using a group (attached, or being attached by an open update operation).
struct AttachedInstance {
  std::string id;
  std::string name;
  std::string tenant_id;
};

/// Parameter groups and their versions in provisioning's database. Every change and its event
/// (and the apply_parameters operations a new version starts) are written in one transaction.
/// Thread-safe.
class PgParameterGroupRepository {
 public:
  explicit PgParameterGroupRepository(store::Pool& pool) : pool_(pool) {}

  /// Inserts the group with version 1 and its event. ALREADY_EXISTS when the tenant has a group
  /// of that name for the engine. With `idempotency`, a group the same caller created with the
  /// same key is returned instead (second = true) when the request matches, INVALID_ARGUMENT
  /// when it does not.
  std::pair<ParameterGroup, bool> Create(
      const ParameterGroup& group, const std::optional<GroupIdempotency>& idempotency,
      const std::function<events::Event(const ParameterGroup&)>& event_for);
  std::optional<ParameterGroup> Find(const std::string& id);
  /// The tenant's (or a built-in) group called `name` for `engine`; with no engine, every
  /// engine's group of that name.
  std::vector<ParameterGroup> FindByName(const std::string& tenant_id, const std::string& name);
  ParameterGroupPage List(const ParameterGroupQuery& query);
  ParameterGroupVersionPage Versions(const std::string& id, std::optional<std::int64_t> after,
                                     std::size_t page_size);
  /// The version `version` of a group (latest when nullopt); nullopt when the group is gone.
  std::optional<ParameterGroupVersion> Version(const std::string& id,
                                               std::optional<std::int64_t> version = {});

  /// Applies `change` when the group's revision is still `revision` (ABORTED otherwise,
  /// NOT_FOUND when gone). A parameter change adds a version and, for every attached instance,
  /// the operation `make_operation` returns. Returns the group and those operations.
  std::pair<ParameterGroup, std::vector<Operation>> Update(
      const std::string& id, std::int64_t revision, const ParameterGroupChange& change,
      const std::function<Operation(const AttachedInstance&)>& make_operation,
      const std::function<events::Event(const ParameterGroup&, const std::vector<Operation>&)>&
          event_for);
  /// Deletes the group and its versions; FAILED_PRECONDITION naming the instances still using
  /// it.
  void Delete(const std::string& id,
              const std::function<events::Event(const ParameterGroup&)>& event_for);

 private:
  store::Pool& pool_;
};

}  // namespace dbaas::provisioning

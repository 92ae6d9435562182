#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/engines/catalog.hpp"

/// Names of objects inside an instance: validation, privilege allowlists and quoting.
/// Every identifier that reaches SQL passes both a Validate* function and a Quote* function.
namespace dbaas::engines {

/// What a name names; the limits differ per engine and kind.
enum class ObjectKind { kDatabase, kUser, kRole, kSchema, kTable };

/// The longest allowed name in bytes: PostgreSQL 63 for everything; MariaDB database/table 64,
/// user 80, role 80, schema (= database) 64.
std::size_t MaxNameLength(Engine engine, ObjectKind kind) noexcept;

/// Throws Error{INVALID_ARGUMENT} (field `field`) unless `name` matches
/// `[a-z_][a-z0-9_]*` (lower case so PostgreSQL and MariaDB agree on case), is within
/// MaxNameLength, does not start with "pg_" (PostgreSQL reserves it) and is not reserved
/// (postgres, template0, template1, mysql, information_schema, performance_schema, sys, root,
/// public, mariadb.sys, and the platform's own names starting with "dbaas_").
void ValidateName(Engine engine, ObjectKind kind, std::string_view name,
                  std::string_view field = "name");
/// The same check without throwing: the problem, or "" when valid.
std::string NameProblem(Engine engine, ObjectKind kind, std::string_view name);

/// Privileges grantable at a level, upper case, e.g. PostgreSQL table: SELECT, INSERT, UPDATE,
/// DELETE, TRUNCATE, REFERENCES, TRIGGER, ALL.
enum class GrantLevel { kDatabase, kSchema, kTable };
const std::vector<std::string>& AllowedPrivileges(Engine engine, GrantLevel level);
/// Upper-cases and checks each privilege against AllowedPrivileges; throws
/// Error{INVALID_ARGUMENT} naming every one that is not allowed (or when the list is empty).
/// Returns the normalised list without duplicates.
std::vector<std::string> NormalizePrivileges(Engine engine, GrantLevel level,
                                             const std::vector<std::string>& privileges);

/// "name" with embedded " doubled (PostgreSQL identifier).
std::string QuotePostgresIdentifier(std::string_view name);
/// `name` with embedded ` doubled (MariaDB identifier).
std::string QuoteMysqlIdentifier(std::string_view name);
/// A PostgreSQL string literal with standard_conforming_strings: '...' with ' doubled; an
/// E'...' literal with \ escaped when `value` contains a backslash. Throws on NUL bytes.
std::string QuotePostgresLiteral(std::string_view value);
/// A MariaDB string literal: '...' with ' doubled and, unless `no_backslash_escapes`, \ and
/// NUL/newline/CR/^Z escaped. Correct in any sql_mode when `no_backslash_escapes` matches.
std::string QuoteMysqlLiteral(std::string_view value, bool no_backslash_escapes = false);

}  // namespace dbaas::engines

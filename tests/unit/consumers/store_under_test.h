#pragma once
// The monitoring store the tests run against: SQLite in the test's directory, or, when ctest
// sets STAGEGATE_TEST_POSTGRES (a connection string to the server tests/support/
// postgres_server.sh started), PostgreSQL in a schema of the test's own, dropped afterwards.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "stagegate/monitoring/store.h"

namespace stagegate::test {

class StoreUnderTest {
 public:
  explicit StoreUnderTest(const std::filesystem::path& dir) {
    const char* server = std::getenv("STAGEGATE_TEST_POSTGRES");
    if (!server) {
      location_ = (dir / "monitoring.db").string();
      return;
    }
    server_ = server;
    schema_ = "test_" + dir.filename().string().substr(dir.filename().string().rfind('-') + 1);
    administer("CREATE SCHEMA " + schema_);
    location_ = server_ + " options='-c search_path=" + schema_ + "'";
  }
  ~StoreUnderTest() {
    if (!schema_.empty()) administer("DROP SCHEMA " + schema_ + " CASCADE");
  }
  StoreUnderTest(const StoreUnderTest&) = delete;
  StoreUnderTest& operator=(const StoreUnderTest&) = delete;

  std::unique_ptr<monitoring::MonitoringStore> open() const { return monitoring::open_store(location_); }
  bool postgres() const { return !schema_.empty(); }

  // Runs SQL (several statements) in the store's file or schema, as an older version or an
  // operator would; for migration tests. Throws std::runtime_error on failure.
  void execute(const std::string& sql) const {
    if (postgres()) {
      run_postgres(location_, sql);
      return;
    }
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open(location_.c_str(), &raw);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    char* message = nullptr;
    if (opened != SQLITE_OK || sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string error = message ? message : sqlite3_errmsg(db.get());
      sqlite3_free(message);
      throw std::runtime_error("test SQLite: " + error);
    }
  }

 private:
  void administer(const std::string& sql) const { run_postgres(server_, sql); }

  static void run_postgres(const std::string& conninfo, const std::string& sql) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(conninfo.c_str()), &PQfinish);
    if (PQstatus(connection.get()) != CONNECTION_OK)
      throw std::runtime_error("test PostgreSQL: " + std::string(PQerrorMessage(connection.get())));
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
      throw std::runtime_error("test PostgreSQL: " + sql + ": " + PQerrorMessage(connection.get()));
  }

  std::string server_, schema_, location_;
};

}  // namespace stagegate::test

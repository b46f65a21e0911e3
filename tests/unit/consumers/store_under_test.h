#pragma once
// The monitoring store the tests run against: SQLite in the test's directory, or, when ctest
// sets STAGEGATE_TEST_POSTGRES (a connection string to the server tests/support/
// postgres_server.sh started), PostgreSQL in a schema of the test's own, dropped afterwards.
#include <libpq-fe.h>

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

 private:
  void administer(const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(server_.c_str()), &PQfinish);
    if (PQstatus(connection.get()) != CONNECTION_OK)
      throw std::runtime_error("test PostgreSQL: " + std::string(PQerrorMessage(connection.get())));
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
      throw std::runtime_error("test PostgreSQL: " + sql + ": " + PQerrorMessage(connection.get()));
  }

  std::string server_, schema_, location_;
};

}  // namespace stagegate::test

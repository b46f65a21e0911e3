// A CRL file removed, rewritten in place (truncated, then written in two halves), replaced by
// one revoking a signer, and restored, under a real gateway verifying from several threads,
// with the gateway's own file watch (100 ms) racing explicit reloads. Revocation fails closed:
// no state of the file ever loads a store without CRLs, no revoked signer is accepted once the
// revoking CRL was loaded, and the gateway answers every request.
#define BOOST_TEST_MODULE crl_replacement
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "integration/gateway_fixture.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

enum class Window { Either, MustRefuseDoomed };

struct Tally {
  std::atomic<int> kept_accepted{0};      // the signer never revoked: always SCSS001
  std::atomic<int> doomed_accepted{0};    // the signer revoked and restored: SCSS001 ...
  std::atomic<int> doomed_refused{0};     // ... or SIGNER_UNTRUSTED
  std::atomic<int> doomed_in_window{0};   // sent while its revocation was in force
  std::atomic<int> revoked_but_accepted{0};
  std::atomic<int> unexpected{0};         // any other answer, or none at all
  std::mutex mutex;
  std::string first_unexpected;

  int completed() const { return kept_accepted + doomed_accepted + doomed_refused + unexpected; }
  void note_unexpected(const std::string& what) {
    unexpected.fetch_add(1);
    std::lock_guard lock(mutex);
    if (first_unexpected.empty()) first_unexpected = what;
  }
};

struct CrlReplacementFixture : test::GatewayFixture {
  signing::IssuedFiles doomed = issue_signer("doomed", test::sample_provider_bin());
  std::string clean_crl = test::read_text(crl_file());  // revokes nothing
  std::string revoking_crl = test::read_text(pki.revoke({doomed.certificate}, "revoking"));
  Tally tally;
  std::atomic<Window> window{Window::Either};

  // Lets at least `requests` more answers come back in the file's current state, and two
  // polls of the gateway's file watch (100 ms) go by, so every state is seen by traffic and
  // by the watch as well as by the explicit reloads.
  void let_traffic_pass(int requests = 12) {
    const int target = tally.completed() + requests;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + 20s;
    while ((tally.completed() < target || std::chrono::steady_clock::now() - start < 200ms) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    BOOST_REQUIRE_MESSAGE(tally.completed() >= target, "the gateway stopped answering");
  }

  void expect_reload(bool applied, const std::string& state) {
    const auto outcome = gateway->reload();
    BOOST_TEST(outcome.applied == applied, state << ": " << outcome.message);
    let_traffic_pass();
  }

  // Rewrites the CRL in place as a careless operator would: truncate, write half, write the rest.
  void rewrite_in_place(const std::string& content) {
    std::ofstream file(crl_file(), std::ios::binary | std::ios::trunc);
    file.flush();
    expect_reload(false, "truncated CRL");
    file.write(content.data(), static_cast<std::streamsize>(content.size() / 2));
    file.flush();
    expect_reload(false, "half-written CRL");
    file.write(content.data() + content.size() / 2, static_cast<std::streamsize>(content.size() - content.size() / 2));
    file.close();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(no_revoked_signer_is_accepted_while_the_crl_is_replaced_under_load, CrlReplacementFixture,
                        *boost::unit_test::timeout(90)) {
  const auto kept_document = sign(test::sample_stage());
  const auto doomed_document = sign(test::sample_stage(), doomed);
  std::atomic<bool> sending{true};
  std::vector<std::thread> clients;
  for (int client = 0; client < 3; ++client)
    clients.emplace_back([&, client] {
      for (int i = 0; sending; ++i) {
        const bool is_doomed = i % 2 == 1;
        const auto in_window = window.load();  // read before sending: the reply must honour it
        const auto reply = post(is_doomed ? doomed_document : kept_document, "STAGE_NOTIFICATION", test::kPassword,
                                "crl-" + std::to_string(client) + "-" + std::to_string(i));
        const auto what = std::string(is_doomed ? "doomed" : "kept") + " signer: " +
                          (reply.transport_ok ? reply.status_code + " " + reply.message : "no answer");
        if (!reply.transport_ok) {
          tally.note_unexpected(what);
        } else if (!is_doomed) {
          reply.status_code == "SCSS001" ? void(tally.kept_accepted.fetch_add(1)) : tally.note_unexpected(what);
        } else {
          if (in_window == Window::MustRefuseDoomed) tally.doomed_in_window.fetch_add(1);
          if (reply.status_code == "SCSS001") {
            tally.doomed_accepted.fetch_add(1);
            if (in_window == Window::MustRefuseDoomed) {
              tally.revoked_but_accepted.fetch_add(1);
              tally.note_unexpected("accepted after its revocation was loaded: " + what);
            }
          } else if (reply.status_code == "SIGNER_UNTRUSTED" && reply.message.find("revoked") != std::string::npos) {
            tally.doomed_refused.fetch_add(1);
          } else {
            tally.note_unexpected(what);
          }
        }
      }
    });

  const int cycles = 5;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    let_traffic_pass();
    // Removed: the directory still holds the other anchor's CRL, but none of this CA's.
    std::filesystem::remove(crl_file());
    expect_reload(false, "removed CRL");
    // Restored in place, non-atomically.
    rewrite_in_place(clean_crl);
    expect_reload(true, "clean CRL");
    // Replaced by one revoking the doomed signer: from the moment it is loaded, never accepted.
    rewrite_in_place(revoking_crl);
    expect_reload(true, "revoking CRL");
    window = Window::MustRefuseDoomed;
    let_traffic_pass(24);
    std::filesystem::remove(crl_file());
    expect_reload(false, "revoking CRL removed");
    rewrite_in_place(revoking_crl);
    expect_reload(true, "revoking CRL rewritten");
    let_traffic_pass(24);
    // Restored: the doomed signer may be accepted again once the clean CRL is loaded.
    window = Window::Either;
    rewrite_in_place(clean_crl);
    expect_reload(true, "clean CRL restored");
  }
  let_traffic_pass();
  sending = false;
  for (auto& client : clients) client.join();

  BOOST_TEST_MESSAGE(cycles << " cycles: " << tally.kept_accepted << " kept-signer messages accepted, "
                            << tally.doomed_accepted << " doomed-signer accepted, " << tally.doomed_refused
                            << " refused as revoked (" << tally.doomed_in_window << " sent while revoked)");
  BOOST_TEST(tally.revoked_but_accepted == 0);
  BOOST_TEST(tally.unexpected == 0, tally.first_unexpected);
  BOOST_TEST(tally.doomed_in_window > 0);
  BOOST_TEST(tally.doomed_refused >= tally.doomed_in_window);
  BOOST_TEST(tally.doomed_accepted > 0);
  BOOST_TEST(tally.kept_accepted > 0);
  // Every SCSS001 was journaled, nothing else was.
  BOOST_TEST(gateway->journaled() == static_cast<std::uint64_t>(tally.kept_accepted + tally.doomed_accepted));
}

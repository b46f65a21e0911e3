#include "cli/usage.h"

#include <sstream>

namespace stagegate::cli {
namespace {

constexpr std::string_view kUsage = R"(usage: stagegate <command> [options]

commands:
  serve      [--var DIR] [--listen HOST:PORT] [--bus ENDPOINT] [--journal FILE]
             [--providers FILE] [--routes FILE] [--ca FILE|DIR]... [--crl FILE|DIR]... [--no-revocation-check]
             [--workers N] [--quiet] [--log-format json|text] [--public-url URL] [--config FILE]
             [--tls-cert CHAIN.pem --tls-key KEY.pem [--tls-client-ca CA.pem [--tls-require-client-cert]]]
             [--reload-poll SECONDS] [--max-backlog N] [--min-free-disk-mb N] [--max-failures N]
             [--keep-payload-days N] [--keep-receipt-days N] [--request-timeout SECONDS] [--max-connections N]
             [--commit-window-ms MS] [--journal-page-size BYTES]
             [--bus-key FILE.key] [--consumers FILE] | [--bus-plaintext]
             [--ops-listen HOST:PORT [--ops-token-file FILE]]
             run the gateway (defaults: var/, 127.0.0.1:8080, tcp://127.0.0.1:5556, built-in routes);
             the registry, anchors, CRLs and routes reload on SIGHUP and when they change
             (checked every 2 s; 0: SIGHUP only); every CA among the anchors needs a CRL
             (default with var/'s CA: var/pki/ca.crl.pem) unless --no-revocation-check;
             the bus is CURVE-encrypted with the gateway's key (default var/bus/gateway.key)
             and serves only the keys in the consumers file (default var/bus/consumers.conf);
             --bus-plaintext only on loopback or ipc; the WSDL at ?wsdl gives --public-url as the
             service address, or else the address each request came to (its Host header);
             --ops-listen serves /healthz, /readyz and /metrics (bearer token, default var/ops.token)
  config     default
             print the gateway's configuration file with every setting, its default and a comment
             (`serve --config FILE`; options on the command line override it; docs/config.md)
  check-config FILE
             every problem of a configuration file, each as FILE:LINE:COLUMN: ... (exit 1 if any)
  routes     check [FILE] | default
             check a routing rules file (exit 0 with its destinations, 1 with the mistake's
             line and column); default prints the built-in rules, a commented starting point
  dev-setup  [--var DIR]
             create the development PKI (CA, CRL, signer), provider registry and bus keys under var/
             (idempotent; remakes the CRL when missing or within 7 days of its next update)
  keys       new --out PREFIX
             make a bus CURVE key pair: PREFIX.key (secret, 0600) and PREFIX.pub
  sign       --key KEY.pem --cert CERT.pem FILE
             print FILE with an enveloped XML signature (CONTRACT.md section 4)
  send       --sender ID --password P [--url URL] [--service-id ID] [--message-id ID]
             [--tls-ca CA.pem] [--tls-cert CERT.pem [--tls-key KEY.pem]] FILE
             wrap a signed document in the bus envelope, post it, print the reply
  tail       [--endpoint ENDPOINT]... [--destination D]... [--count N] [--idle-timeout MS] [--quiet]
             [--name NAME [--store FILE.db] [--window N]]
             [--var DIR | --key FILE.key --server-key GATEWAY.pub | --plaintext]
             print delivered messages as JSON lines (without --destination: whole messages,
             as an observer); with --name a durable consumer that resumes
             after what it acknowledged, with --store keeping each message in SQLite first;
             keys default to var/bus/NAME.key (var/bus/tail.key without --name) and var/bus/gateway.pub;
             several --endpoint: one gateway instance each (docs/scaling.md), lines carry "gateway"
  dlq        list | show ID | replay ID | drop ID  [--var DIR | --journal FILE]
             messages a consumer refused or failed on too often
  consumers  list | forget NAME  [--var DIR | --journal FILE]
             named consumers, their positions and how far behind they are
  consumers  remove NAME [--consumers FILE | --var DIR]
             take a consumer's key out of the consumers file
  providers  add SENDER --bin BIN --services ID[,ID...] [--tls-sha256 HEX]... [--tls-subject DN] [--password-stdin]
             | list | remove SENDER | passwd SENDER [--password-stdin]   [--providers FILE | --var DIR]
             the provider registry (var/providers.conf); the password is typed twice at the terminal
             without echo, or one line on stdin with --password-stdin; the gateway reloads the file
  consumers  add NAME --destinations D,D | --observe  --out PREFIX [--consumers FILE | --var DIR]
             make a consumer's key pair and register it in the consumers file
  monitor    [--endpoint E] [--store FILE|postgresql://...] [--calendar FILE] [--services FILE]
             [--name N] [--destination D] [--key FILE.key --server-key GATEWAY.pub | --plaintext]
             [--time-zone ZONE] [--config FILE]
             the monitoring consumer: stage history, planned dates, overdue (var/monitoring.db);
             dates are local to ZONE (default Asia/Almaty, from the tz database)
  status     --application ID | --problems  [--store FILE] [--today YYYY-MM-DD] [--time-zone ZONE]
             one application's history with its planned date and overdue; --problems lists
             applications with an unknown planned date or data findings
  report     violations --month YYYY-MM [--format csv|html|json] [--lang ru|kk] [--bodies FILE]
             [--store FILE] [--calendar FILE] [--today D] [--time-zone ZONE] [--archive DIR]
             [--issue [--signing-key KEY.pem --signing-cert CERT.pem] | --verify]
             the monthly term-violation report (item 12, due by the 15th of the next month);
             --issue freezes and signs a finished month under var/reports (once), --verify checks it
  notify     consume --smtp URL [--from ADDR] [--templates DIR] [--endpoint E] [--var DIR]
             [--max-attempts N] [--retry-first-ms MS] [--retry-max-ms MS] [--smtp-user U --smtp-password-file F]
             [--config FILE] | contacts import FILE.csv | outbox | undeliverable | resend ID | templates check [DIR]
             the citizen notification consumer: stage changes by e-mail in Kazakh and Russian
             through a durable outbox (var/notification.db); see docs/notification.md
  kb         consume [--var DIR] [--endpoint E] [--store FILE|postgresql://...] [--secret FILE] [--operators FILE]
                     [--listen HOST:PORT] [--rate N] [--calendar FILE] [--services FILE] [--config FILE]
             the knowledge-base consumer (var/knowledge_base.db): service information history,
             stages by application (ИИН kept as HMAC, var/kb-secret); serves the operators' lookup
             GET /api/v1/applications/{id}?iin=... (Bearer token, 127.0.0.1:8090, 60/min)
             service CODE [--at YYYY-MM-DD | --history]   the form as it stood, or every version
             record request|appointed|training|protocol|consulting|change|refusal|reported
                    --body BIN [--service CODE] --date YYYY-MM-DD [--note TEXT]
             events   the recorded onboarding events, by date
             overdue [--today YYYY-MM-DD]   order 130 deadlines missed; repeated refusals
             operator add NAME [--operators FILE]   prints a new token once (var/kb-operators.conf)
  verify     --ca FILE|DIR [--ca FILE|DIR]... (--crl FILE|DIR... | --no-revocation-check) FILE
             verify FILE's enveloped signature: exit 0 verified, 1 refused, 2 usage or I/O
)";


}  // namespace

std::string_view full_usage() { return kUsage; }

std::string command_usage(std::string_view command) {
  // A command's paragraph: its lines at two spaces' indent, and the deeper ones after them.
  std::istringstream lines{std::string(kUsage)};
  std::string paragraph;
  bool inside = false;
  const std::string head = "  " + std::string(command) + " ";
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("  ") && !line.starts_with("   ")) inside = line.starts_with(head);
    if (inside) paragraph += line + "\n";
  }
  return paragraph;
}

bool takes_subcommand(std::string_view command) {
  for (const auto name : {"kb", "notify", "routes", "keys", "report", "dlq", "providers", "consumers", "config"})
    if (command == name) return true;
  return false;
}

}  // namespace stagegate::cli

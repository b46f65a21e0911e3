#pragma once
// The government bodies the §12 report groups by (seed 002, item 12): a central body with its
// committees and territorial units, and local executive bodies (akimats) with theirs. The report
// counts each application at the body that sent it and rolls it up to the top of that body's chain.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace stagegate::monitoring {

enum class BodyKind { Central, Committee, Territorial, LocalExecutive };

struct Body {
  std::string bin;
  BodyKind kind = BodyKind::Central;
  std::string parent_bin;  // empty for a central or a top-level local executive body
  std::string name_ru;
  std::string name_kk;
};

std::string_view body_kind_name(BodyKind kind);  // central, committee, territorial, local

// The bodies catalogue file, one body a line ('#' starts a comment):
//   <BIN> <central|committee|territorial|local> <parent BIN or -> <name in Russian> | <name in Kazakh>
// Committees and territorial units name their parent; parents must be in the file; no cycles.
class BodiesCatalogue {
 public:
  static BodiesCatalogue load(const std::filesystem::path& file);  // throws naming file:line
  static BodiesCatalogue parse(const std::string& text, const std::string& origin = "bodies");
  const Body* find(const std::string& bin) const;
  // The top of `bin`'s chain (itself when it has no parent); empty when `bin` is unknown.
  std::string top_of(const std::string& bin) const;
  std::size_t size() const { return bodies_.size(); }

 private:
  std::map<std::string, Body> bodies_;
};

}  // namespace stagegate::monitoring

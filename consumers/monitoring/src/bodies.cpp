#include "stagegate/monitoring/bodies.h"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace stagegate::monitoring {
namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

bool twelve_digits(const std::string& text) {
  return text.size() == 12 && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

std::string_view body_kind_name(BodyKind kind) {
  switch (kind) {
    case BodyKind::Central: return "central";
    case BodyKind::Committee: return "committee";
    case BodyKind::Territorial: return "territorial";
    case BodyKind::LocalExecutive: return "local";
  }
  return "central";
}

BodiesCatalogue BodiesCatalogue::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot read the bodies catalogue");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

BodiesCatalogue BodiesCatalogue::parse(const std::string& text, const std::string& origin) {
  BodiesCatalogue catalogue;
  std::map<std::string, int> line_of;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const auto where = origin + ":" + std::to_string(number) + ": ";
    line = trimmed(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::istringstream fields(line);
    Body body;
    std::string kind, parent;
    fields >> body.bin >> kind >> parent;
    std::string names;
    std::getline(fields, names);
    if (!twelve_digits(body.bin)) throw std::runtime_error(where + "a BIN is 12 digits");
    if (kind == "central") body.kind = BodyKind::Central;
    else if (kind == "committee") body.kind = BodyKind::Committee;
    else if (kind == "territorial") body.kind = BodyKind::Territorial;
    else if (kind == "local") body.kind = BodyKind::LocalExecutive;
    else throw std::runtime_error(where + "kind is central, committee, territorial or local");
    if (parent != "-") {
      if (!twelve_digits(parent)) throw std::runtime_error(where + "the parent is a BIN or -");
      if (parent == body.bin) throw std::runtime_error(where + "a body cannot be its own parent");
      body.parent_bin = parent;
    }
    if ((body.kind == BodyKind::Committee || body.kind == BodyKind::Territorial) && body.parent_bin.empty())
      throw std::runtime_error(where + "a committee or territorial unit names its parent body");
    const auto bar = names.find('|');
    body.name_ru = trimmed(names.substr(0, bar));
    body.name_kk = bar == std::string::npos ? std::string() : trimmed(names.substr(bar + 1));
    if (body.name_ru.empty() || body.name_kk.empty())
      throw std::runtime_error(where + "names in Russian and Kazakh: <name ru> | <name kk>");
    if (line_of.count(body.bin))
      throw std::runtime_error(where + body.bin + " is already on line " + std::to_string(line_of[body.bin]));
    line_of[body.bin] = number;
    catalogue.bodies_[body.bin] = std::move(body);
  }
  for (const auto& [bin, body] : catalogue.bodies_) {
    const auto where = origin + ":" + std::to_string(line_of[bin]) + ": ";
    if (!body.parent_bin.empty() && !catalogue.bodies_.count(body.parent_bin))
      throw std::runtime_error(where + "parent " + body.parent_bin + " is not in the catalogue");
    std::set<std::string> seen{bin};
    for (auto at = body.parent_bin; !at.empty(); at = catalogue.bodies_.at(at).parent_bin)
      if (!seen.insert(at).second) throw std::runtime_error(where + "the chain of parents of " + bin + " is a cycle");
  }
  return catalogue;
}

const Body* BodiesCatalogue::find(const std::string& bin) const {
  const auto found = bodies_.find(bin);
  return found == bodies_.end() ? nullptr : &found->second;
}

std::string BodiesCatalogue::top_of(const std::string& bin) const {
  const Body* body = find(bin);
  if (!body) return {};
  while (!body->parent_bin.empty()) body = find(body->parent_bin);
  return body->bin;
}

}  // namespace stagegate::monitoring

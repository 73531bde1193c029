#include "models/object_store.hpp"

namespace kubesim::models {

std::string_view watch_event_type_name(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
  }
  return "?";
}

std::string object_key(std::string_view namespace_, std::string_view name) {
  std::string key;
  key.reserve(namespace_.size() + name.size() + 1);
  if (!namespace_.empty()) {
    key += namespace_;
    key += '/';
  }
  key += name;
  return key;
}

}  // namespace kubesim::models

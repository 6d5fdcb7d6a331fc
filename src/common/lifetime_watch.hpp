// Tells a member function that ran a callback whether the callback destroyed
// its object, without a heap-allocated flag (no shared_ptr<bool>): each
// watching call keeps a LifetimeWatch on its own stack, linked into the
// object's LifetimeWatchList; the object's destructor marks every watch in
// the list. Watches nest (a callback may call back into the object) and are
// strictly last-in first-out, as stack frames are.
//
//   LifetimeWatch watch(watchers_);
//   callback();
//   if (watch.ended()) return;  // `this` is gone: touch nothing
#pragma once

namespace sable {

class LifetimeWatch;

// Lives in the watched object; its destructor (run as the object dies) ends
// every watch still open.
class LifetimeWatchList {
 public:
  LifetimeWatchList() = default;
  LifetimeWatchList(const LifetimeWatchList&) = delete;
  LifetimeWatchList& operator=(const LifetimeWatchList&) = delete;
  inline ~LifetimeWatchList();

 private:
  friend class LifetimeWatch;
  LifetimeWatch* top_ = nullptr;
};

// GCC's -Wdangling-pointer cannot see that the destructor unlinks the watch
// before its frame ends; the list never holds a watch past its scope.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
class LifetimeWatch {
 public:
  explicit LifetimeWatch(LifetimeWatchList& list) : list_(&list), below_(list.top_) {
    list.top_ = this;
  }
  LifetimeWatch(const LifetimeWatch&) = delete;
  LifetimeWatch& operator=(const LifetimeWatch&) = delete;
  ~LifetimeWatch() {
    if (list_ != nullptr) list_->top_ = below_;
  }
  // True once the watched object was destroyed.
  bool ended() const { return list_ == nullptr; }

 private:
  friend class LifetimeWatchList;
  LifetimeWatchList* list_;
  LifetimeWatch* below_;
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

inline LifetimeWatchList::~LifetimeWatchList() {
  for (LifetimeWatch* w = top_; w != nullptr; w = w->below_) w->list_ = nullptr;
}

}  // namespace sable

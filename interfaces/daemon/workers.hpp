// A small pool of threads for strongholdd's requests that block or take long, so that the epoll
// loop never waits. Its queue may be bounded: a task beyond it is refused.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace stronghold::daemon {

class Workers {
 public:
  explicit Workers(std::size_t threads, std::size_t max_waiting = std::numeric_limits<std::size_t>::max())
      : max_waiting_(max_waiting) {
    for (std::size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this] { run(); });
  }
  // Runs the tasks still queued, then joins the threads.
  ~Workers() {
    {
      std::lock_guard guard(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& thread : threads_)
      thread.join();
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // False (and `task` dropped) when max_waiting tasks wait already.
  bool post(std::function<void()> task) {
    {
      std::lock_guard guard(mutex_);
      if (tasks_.size() >= max_waiting_)
        return false;
      tasks_.push_back(std::move(task));
    }
    changed_.notify_one();
    return true;
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty())
          return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  const std::size_t max_waiting_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

}  // namespace stronghold::daemon

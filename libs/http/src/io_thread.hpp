#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

namespace dbaas::http::detail {

/// What the current thread is to a Server: its I/O loop and handler pool when it is one of the
/// server's I/O threads, else both null. Set once by the server when the thread starts.
struct IoThread {
  boost::asio::io_context* ioc = nullptr;
  boost::asio::thread_pool* pool = nullptr;
};

/// This thread's IoThread (thread_local).
IoThread& CurrentIoThread() noexcept;

}  // namespace dbaas::http::detail

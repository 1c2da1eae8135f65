#include "webhook/server/listener.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/json_pruned_parse.hpp"
#include "webhook/server/logging.hpp"
#include "webhook/server/metrics.hpp"
#include "webhook/server/request_budget.hpp"
#include "webhook/server/router.hpp"
#include "webhook/server/tls_context.hpp"

namespace peergate::webhook::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds shutdown_grace{1000};  // TLS close_notify exchange
constexpr std::chrono::milliseconds linger_time{2000};     // discarding an unread body before closing
constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t recycled_body_limit = 64 * 1024;  // larger request bodies are freed after use
constexpr std::size_t recycled_header_limit = 1024;     // so are a longer target or Content-Type
// A body with a Content-Length of at most this is read into the connection's read buffer (which
// holds at least 64 KiB) and evaluated where it lies (session::read_body_in_buffer); larger or
// chunked ones go to a string of their own.
constexpr std::size_t in_buffer_body_limit = 64 * 1024;
// After a request whose body or review took this much memory, free heap memory goes back to the
// system once it is answered (give_back_free_memory).
constexpr std::size_t large_request_bytes = 1024 * 1024;
constexpr std::string_view retry_after_seconds = "1";  // of a 503 for load

// Returns the heap's free pages to the system (glibc: every arena, holes too). A large request's
// big blocks are already unmapped when freed (server.cpp fixes the mmap threshold); this takes
// back the rest, which would otherwise stay in the RSS of an idle server.
void give_back_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

class session;

}  // namespace

// What the listener and its sessions share: settings, the router, and the set of open
// connections (for --max-connections and for draining).
struct connection_state {
  connection_state(const server_options& o, const router& r, const tls_context_store& t, metrics& m, request_budget& b)
      : options(o),
        routes(r),
        tls(t),
        stats(m),
        budget(b),
        watchdog_tick(std::max<clock::duration>(
            std::chrono::milliseconds(1),
            std::min({o.handshake_timeout, o.idle_timeout, o.header_timeout, o.body_timeout, o.write_timeout}))) {}

  const server_options& options;
  const router& routes;
  const tls_context_store& tls;
  metrics& stats;
  request_budget& budget;
  // The longest a connection's watchdog sleeps (session::expires_after): the shortest phase
  // timeout, so that no phase's deadline comes before the watchdog's next wake-up.
  const clock::duration watchdog_tick;

  std::atomic<bool> draining{false};
  std::atomic<bool> retiring{false};  // answers say Connection: close (retire_keep_alive)

  // Called on the acceptor's strand only.
  bool at_capacity() const {
    std::lock_guard lock(mutex);
    return sessions.size() >= options.max_connections;
  }
  void add(session* s, std::weak_ptr<session> w) {
    std::lock_guard lock(mutex);
    sessions.emplace(s, std::move(w));
    stats.connection_opened();
  }
  void remove(session* s) {
    std::function<void()> done;
    {
      std::lock_guard lock(mutex);
      if (sessions.erase(s) == 0) return;
      stats.connection_closed();
      if (draining.load() && sessions.empty()) done = std::move(on_drained);
    }
    if (done) done();
  }
  std::size_t size() const {
    std::lock_guard lock(mutex);
    return sessions.size();
  }
  // Marks draining; returns the open sessions, or runs `done` at once when there are none.
  std::vector<std::shared_ptr<session>> begin_drain(std::function<void()> done);

  mutable std::mutex mutex;
  std::unordered_map<session*, std::weak_ptr<session>> sessions;
  std::function<void()> on_drained;
};

namespace {

const char* reason(int status) {
  const beast::string_view r = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  return r.empty() ? "Unknown" : r.data();
}

// What the server reads of a request: its request line, the two headers it looks at and the
// body, in strings a connection keeps from one request to the next (within recycled_*_limit), so
// that a request on a keep-alive connection costs no allocation to read. A body of at most
// in_buffer_body_limit with a Content-Length is not copied into `body`: it stays in the read buffer.
struct request_data {
  http::verb method = http::verb::unknown;
  std::string method_string;
  std::string target;
  unsigned version = 11;
  std::string content_type;  // the first Content-Type header
  bool has_content_type = false;
  bool expect_continue = false;  // the first Expect header is 100-continue
  bool body_in_buffer = false;   // the body is read in the read buffer, not into `body`
  std::string body;

  void clear() {
    method = http::verb::unknown;
    method_string.clear();
    target.clear();
    version = 11;
    content_type.clear();
    has_content_type = false;
    expect_continue = false;
    body_in_buffer = false;
    body.clear();
  }
};

// Beast's request parser without a field container: beast::http::parser<string_body> stores
// every header in a list of allocated nodes (and the target in another block), four or five
// allocations a request for headers the server never reads. This one keeps only request_data's
// fields. Framing (Content-Length, chunked, Connection, limits) stays basic_parser's; a body of at
// most in_buffer_body_limit with a Content-Length is parsed where it lies in the read buffer and
// not copied; any other is read as string_body reads it (reserved at its Content-Length,
// appended as it arrives).
class request_parser final : public http::basic_parser<true> {
 public:
  explicit request_parser(request_data& request) : request_(request) { request_.clear(); }

 private:
  void on_request_impl(http::verb method, beast::string_view method_string, beast::string_view target, int version,
                       beast::error_code&) override {
    request_.method = method;
    request_.method_string.assign(method_string.data(), method_string.size());
    request_.target.assign(target.data(), target.size());
    request_.version = static_cast<unsigned>(version);
  }

  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}  // a request parser

  void on_field_impl(http::field name, beast::string_view, beast::string_view value, beast::error_code&) override {
    if (name == http::field::content_type && !request_.has_content_type) {
      request_.has_content_type = true;
      request_.content_type.assign(value.data(), value.size());
    } else if (name == http::field::expect && !seen_expect_) {
      seen_expect_ = true;
      request_.expect_continue = beast::iequals(value, "100-continue");
    }
  }

  void on_header_impl(beast::error_code&) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code& ec) override {
    if (!content_length || request_.body_in_buffer) return;  // body_in_buffer: set by the session
    if (*content_length > request_.body.max_size()) {
      ec = http::error::buffer_overflow;
      return;
    }
    // With room for the parser's padding behind it: the review is then read where it lies.
    const auto length = static_cast<std::size_t>(*content_length);
    request_.body.reserve(length + std::min(in_place_padding, request_.body.max_size() - length));
  }

  std::size_t on_body_impl(beast::string_view body, beast::error_code& ec) override {
    if (request_.body_in_buffer) return body.size();  // the session reads it in its buffer
    return append(body, ec);
  }

  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code& ec) override {
    return append(body, ec);
  }

  void on_finish_impl(beast::error_code&) override {}

  std::size_t append(beast::string_view bytes, beast::error_code& ec) {
    if (bytes.size() > request_.body.max_size() - request_.body.size()) {
      ec = http::error::buffer_overflow;
      return 0;
    }
    request_.body.append(bytes.data(), bytes.size());
    return bytes.size();
  }

  request_data& request_;
  bool seen_expect_ = false;
};

// A request the parser refused (as opposed to a client that went away mid-request).
bool is_malformed(const beast::error_code& ec) {
  static const boost::system::error_category& http_category = beast::error_code(http::error::bad_target).category();
  return ec && ec.category() == http_category && ec != http::error::end_of_stream &&
         ec != http::error::partial_message && ec != http::error::need_more && ec != http::error::need_buffer;
}

// One TLS connection: handshake, then requests until the client closes, a timeout, an error or
// draining. Every handler runs on the connection's executor (a strand with several I/O
// threads), one at a time.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, SSL* ssl, std::shared_ptr<connection_state> state)
      : stream_(std::move(socket), ssl),
        watchdog_(stream_.get_executor()),
        state_(std::move(state)),
        buffer_(std::max<std::size_t>(64 * 1024, 2 * state_->options.max_header_bytes)) {
    release_tls_read_buffer_when_empty(false);
  }

  ~session() { state_->remove(this); }

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::on_start, shared_from_this()));
  }

  // Posted to the strand when the server drains. A connection waiting for the client (in the
  // handshake, or idle between requests) closes now, unless the client has already sent more:
  // the end of its handshake and maybe a request (TLS 1.3 lets it follow the Finished message at
  // once), or the next request on a keep-alive connection. Such a request is read and answered.
  // A connection in the middle of a request finishes it (answered with Connection: close).
  void drain() {
    draining_ = true;
    if ((phase_ == phase::handshake || phase_ == phase::idle) && !input_pending()) {
      beast::error_code ignored;
      lowest().cancel(ignored);
    }
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  enum class phase { handshake, idle, header, body, processing, write, closing, lingering };

  tcp::socket& lowest() { return beast::get_lowest_layer(stream_); }
  const server_options& options() const { return state_->options; }
  bool draining() const { return draining_ || state_->draining.load(std::memory_order_relaxed); }

  // The deadline of the phase that starts now (the operations of a phase share it, as they did
  // with beast::tcp_stream). Setting it costs no timer operation: the watchdog, one timer per
  // connection, waits at most state_->watchdog_tick at a time (the shortest phase timeout) and
  // compares the deadline when it wakes, so a later deadline (every phase of every request)
  // needs nothing; only an earlier one than its wake-up (lingering, closing) moves the timer.
  // beast::tcp_stream armed and cancelled a timer around every read and write: a timer-queue
  // update, a cancelled completion run through the strand, and often a timerfd_settime call.
  void expires_after(clock::duration timeout) {
    deadline_ = clock::now() + timeout;
    if (!watchdog_armed_ || deadline_ < watchdog_expiry_) arm_watchdog();
  }

  void arm_watchdog() {
    watchdog_expiry_ = std::min(deadline_, clock::now() + state_->watchdog_tick);
    watchdog_armed_ = true;
    watchdog_.expires_at(watchdog_expiry_);
    // A weak pointer: the watchdog alone does not keep a finished connection open.
    watchdog_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (ec) return;  // moved (expires_at) or the session is gone
      if (const auto self = weak.lock()) self->on_watchdog();
    });
  }

  void on_watchdog() {
    watchdog_armed_ = false;
    if (timed_out_) return;
    if (clock::now() < deadline_) return arm_watchdog();
    // The phase is over time: closing the socket ends its pending operations (operation_aborted),
    // and fail() counts the timeout for the phase.
    timed_out_ = true;
    beast::error_code ignored;
    lowest().close(ignored);
  }

  void on_start() {
    phase_ = phase::handshake;
    expires_after(options().handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&session::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail(ec, "handshake");
    wait_for_request();
  }

  // Whether the client has sent bytes this session has not parsed yet: in our buffer, decrypted
  // in OpenSSL, still encrypted in the BIO between Asio and OpenSSL, or in the kernel's socket
  // buffer. While draining, such bytes are a request the client already sent: it is answered.
  bool input_pending() {
    if (buffer_.size() != 0) return true;
    SSL* ssl = stream_.native_handle();
    if (SSL_pending(ssl) > 0 || BIO_pending(SSL_get_rbio(ssl)) > 0) return true;
    beast::error_code ec;
    const std::size_t in_socket = lowest().available(ec);
    return !ec && in_socket > 0;
  }

  // OpenSSL's record buffers. Asio's SSL engine sets SSL_MODE_RELEASE_BUFFERS on every
  // connection, with which OpenSSL frees its read buffer whenever it empties and allocates it
  // again on each SSL_read that finds no data (about three times a request), and its write buffer
  // around every write: 4.5 allocations a request. A connection keeps both while it reads and
  // answers a request (and its write buffer, a page or so touched, between requests). Waiting
  // for the next request, it lets OpenSSL free the read buffer once it is empty: idle
  // keep-alive connections, and under load those waiting for their next request, hold none
  // (a read buffer kept by each of 16 busy connections added about 200 KiB to the peak RSS
  // under bench/server/run.sh's load), for one allocation when the request arrives (two when
  // it comes in more than one TLS record).
  void release_tls_read_buffer_when_empty(bool release) {
    SSL* ssl = stream_.native_handle();
    if (release) {
      SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    } else {
      SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    }
  }

  // Idle keep-alive: wait (up to --idle-timeout) for the first byte of the next request. While
  // draining, the connection closes here unless the client has already sent more.
  void wait_for_request() {
    if (draining() && !input_pending()) return close();
    if (buffer_.size() != 0) return read_header();
    phase_ = phase::idle;
    expires_after(options().idle_timeout);
    release_tls_read_buffer_when_empty(true);
    stream_.async_read_some(buffer_.prepare(read_chunk),
                            beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec) {
      if (ec == net::error::operation_aborted && draining() && !timed_out_) return close();
      return fail(ec, "idle");
    }
    release_tls_read_buffer_when_empty(false);
    buffer_.commit(n);
    read_header();
  }

  // Headers, from the first byte, within --header-timeout (a slow client cannot stretch it).
  void read_header() {
    phase_ = phase::header;
    // The strings of the previous request are reused: no allocation per request.
    parser_.emplace(request_);
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    expires_after(options().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t header_bytes) {
    // Beast's own limit depends on how the bytes arrive (a header section read in one piece can
    // pass it); the count of bytes the parser consumed for the headers does not.
    if (ec == http::error::header_limit || (!ec && header_bytes > options().max_header_bytes))
      return reject(431, "request headers too large");
    if (ec == http::error::body_limit)  // Content-Length over the limit, seen with the headers
      return reject(413, "request body too large: the limit is " + std::to_string(options().max_body_bytes) + " bytes");
    if (is_malformed(ec)) return reject(400, "malformed HTTP request");
    if (ec) return fail(ec, "header");

    if (log_enabled(log_level::trace)) {
      log_line(log_level::trace, "request headers read")
          .field("method", request_.method_string)
          .field("target", request_.target);
    }
    if (const auto length = parser_->content_length(); length && *length > options().max_body_bytes)
      return reject(413, "request body too large: the limit is " + std::to_string(options().max_body_bytes) + " bytes");
    // The body holds its size from the server-wide budget before a byte of it is read (a chunked
    // one the most it may grow to), until it is answered.
    if (!parser_->is_done()) {
      const std::size_t need = parser_->content_length().value_or(options().max_body_bytes);
      if (!lease_.acquire(state_->budget, need)) return shed(need);
    }
    if (!parser_->is_done() && request_.expect_continue) {
      phase_ = phase::write;
      expires_after(options().write_timeout);
      static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(continue_line.data(), continue_line.size()),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->fail(ec, "write");
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return process();
    phase_ = phase::body;
    expires_after(options().body_timeout);
    if (const auto length = parser_->content_length(); length && *length <= in_buffer_body_limit) {
      request_.body_in_buffer = true;  // before the parser sees a byte of the body
      return read_body_in_buffer();
    }
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
  }

  // A body of at most in_buffer_body_limit with a Content-Length: read into the read buffer
  // behind what it already holds, and evaluated there, without a copy into a string of its own
  // (nor the memory of one kept by the connection between requests).
  void read_body_in_buffer() {
    const auto length = static_cast<std::size_t>(*parser_->content_length());
    if (buffer_.size() >= length) return on_body_in_buffer(length);
    const std::size_t room = buffer_.max_size() - buffer_.size();  // at least the missing bytes
    stream_.async_read_some(buffer_.prepare(std::min(room, std::max(length - buffer_.size(), read_chunk))),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->fail(ec, "body");
                              self->buffer_.commit(n);
                              self->read_body_in_buffer();
                            });
  }

  // The parser still reads the body (its framing stays Beast's; request_parser keeps no copy).
  // The body stays in the buffer until the answer is made: process() consumes it.
  void on_body_in_buffer(std::size_t length) {
    // in_place_padding bytes of room behind what the buffer holds, and so behind the body, which
    // the review's parser may read (never write): then it reads the body where it lies. Made
    // before the body's address is taken (it may move the buffer's contents); without the room
    // (the buffer at its limit) the parser copies the body as usual.
    const bool padded = buffer_.max_size() - buffer_.size() >= in_place_padding;
    if (padded) buffer_.prepare(in_place_padding);
    const net::const_buffer body(buffer_.data().data(), length);
    beast::error_code ec;
    const std::size_t used = parser_->put(body, ec);
    if (ec || used != length || !parser_->is_done()) return reject(400, "malformed HTTP request");
    body_in_buffer_ = webhook::review_body(std::string_view(static_cast<const char*>(body.data()), length), padded);
    process();
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit)
      return reject(413, "request body too large: the limit is " + std::to_string(options().max_body_bytes) + " bytes");
    if (is_malformed(ec)) return reject(400, "malformed HTTP request");
    if (ec) return fail(ec, "body");
    process();
  }

  void process() {
    phase_ = phase::processing;
    // A body read into its string has the padding when the string was reserved with it.
    const http_request_view view{request_.method_string, request_.target, request_.content_type,
                                 request_.body_in_buffer ? body_in_buffer_ : webhook::review_body(request_.body)};
    http_response response = state_->routes.handle(view);
    // Before input_pending() looks at the buffer: what is left in it is the next request.
    buffer_.consume(body_in_buffer_.text.size());
    body_in_buffer_ = {};
    // While draining or retiring, the answer says `Connection: close` unless the client has
    // already sent its next request: that one is read and answered too, and the last answer closes.
    const bool closing = draining() || state_->retiring.load(std::memory_order_relaxed);
    keep_alive_ = parser_->keep_alive() && !response.close && (!closing || input_pending());
    serialize(response, request_.version, request_.method != http::verb::head);
    if (response.document_bytes >= large_request_bytes) give_back_memory_ = true;
    recycle_parser();
    write();
  }

  // The body does not fit in the budget of request bytes in flight: 503 before reading it, so
  // that the apiserver applies the webhook's failurePolicy (and other clients retry) instead of
  // the process growing until the kernel kills it.
  void shed(std::size_t need) {
    state_->stats.request_shed();
    const request_budget& budget = state_->budget;
    reject(503,
           "server busy: a body of " + std::to_string(need) + " bytes does not fit in the " +
               std::to_string(budget.limit()) + " bytes of request bodies in flight (--max-inflight-bytes, " +
               std::to_string(budget.in_use()) + " in use); retry later",
           retry_after_seconds);
  }

  // A request refused before its body was read: answer, then discard what the client still
  // sends for a moment (so it can read the answer instead of a reset), then close.
  void reject(int status, const std::string& message, std::string_view retry_after = {}) {
    const std::string_view target =
        parser_ && parser_->is_header_done() ? std::string_view(request_.target) : std::string_view();
    http_response response = state_->routes.reject(target, status, message);
    response.retry_after = retry_after;
    keep_alive_ = false;
    linger_ = true;
    serialize(response, 11);
    recycle_parser();
    write();
  }

  // Keeps the request's strings for the next request, unless they grew large: a connection does
  // not hold a large body's memory while it waits. The body no longer holds anything of the
  // budget of request bytes in flight.
  void recycle_parser() {
    parser_.reset();
    if (request_.body.capacity() >= large_request_bytes) give_back_memory_ = true;
    const auto recycle = [](std::string& s, std::size_t limit) {
      if (s.capacity() > limit) std::string().swap(s);
    };
    recycle(request_.body, recycled_body_limit);
    recycle(request_.target, recycled_header_limit);
    recycle(request_.content_type, recycled_header_limit);
    recycle(request_.method_string, recycled_header_limit);
    lease_.release();
  }

  // The response in one buffer; a HEAD request gets the headers only.
  void serialize(const http_response& r, unsigned version, bool with_body = true) {
    out_.clear();
    out_.reserve(r.body.size() + 160);
    out_.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ").append(reason(r.status)).append("\r\n");
    out_.append("Content-Type: ").append(r.content_type).append("\r\n");
    out_.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
    if (!r.allow.empty()) out_.append("Allow: ").append(r.allow).append("\r\n");
    if (!r.retry_after.empty()) out_.append("Retry-After: ").append(r.retry_after).append("\r\n");
    if (!keep_alive_) {
      out_.append("Connection: close\r\n");
    } else if (version == 10) {
      out_.append("Connection: keep-alive\r\n");
    }
    out_.append("\r\n");
    if (with_body) out_.append(r.body);
  }

  // The whole response in one buffer: one TLS record sequence, one write.
  void write() {
    phase_ = phase::write;
    expires_after(options().write_timeout);
    net::async_write(stream_, net::buffer(out_), beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (out_.capacity() > 64 * 1024) std::string().swap(out_);
    if (give_back_memory_) {  // written or not: the large request is over
      give_back_memory_ = false;
      give_back_free_memory();
    }
    if (ec) return fail(ec, "write");
    if (linger_) return linger();
    if (!keep_alive_) return close();
    wait_for_request();
  }

  void linger() {
    phase_ = phase::lingering;
    expires_after(linger_time);
    discard_.resize(read_chunk);
    do_linger();
  }

  void do_linger() {
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // end of stream, timeout or error: the session ends and the socket closes
      self->do_linger();
    });
  }

  // Sends close_notify and waits briefly for the client's; the socket closes with the session.
  void close() {
    phase_ = phase::closing;
    expires_after(shutdown_grace);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

  // The one error funnel: what a client does (closing, resetting, truncating the TLS stream,
  // timing out) ends the connection quietly; anything else is logged at debug level.
  void fail(beast::error_code ec, const char* what) {
    if (timed_out_) {
      state_->stats.connection_timed_out(phase_ == phase::handshake ? connection_phase::handshake
                                         : phase_ == phase::idle    ? connection_phase::idle
                                         : phase_ == phase::header  ? connection_phase::header
                                         : phase_ == phase::body    ? connection_phase::body
                                                                    : connection_phase::write);
      log_line(log_level::debug, "connection timed out").field("phase", what);
      return;
    }
    if (ec == ssl::error::stream_truncated || ec == net::error::eof || ec == http::error::end_of_stream ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::broken_pipe)
      return;
    if (log_enabled(log_level::debug)) {
      log_line(log_level::debug, "connection error").field("phase", what).field("error", ec.message());
    }
  }

  ssl::stream<tcp::socket> stream_;
  net::steady_timer watchdog_;                             // on the stream's executor
  clock::time_point deadline_ = clock::time_point::max();  // of the current phase
  clock::time_point watchdog_expiry_;                      // when the pending wait ends
  bool watchdog_armed_ = false;
  bool timed_out_ = false;  // the watchdog closed the socket
  std::shared_ptr<connection_state> state_;
  beast::flat_buffer buffer_;
  request_data request_;                 // written by parser_, kept from one request to the next
  webhook::review_body body_in_buffer_;  // the body, in buffer_, from on_body_in_buffer to process
  std::optional<request_parser> parser_;
  budget_lease lease_;  // what the current request's body holds of state_->budget
  std::string out_;
  std::vector<char> discard_;
  phase phase_ = phase::handshake;
  bool keep_alive_ = false;
  bool linger_ = false;
  bool draining_ = false;
  bool give_back_memory_ = false;  // after the answer is written: a large request was freed
};

}  // namespace

std::vector<std::shared_ptr<session>> connection_state::begin_drain(std::function<void()> done) {
  std::vector<std::shared_ptr<session>> open;
  {
    std::lock_guard lock(mutex);
    draining.store(true);
    for (auto& [raw, weak] : sessions) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    if (!sessions.empty()) {
      on_drained = std::move(done);
      done = nullptr;
    }
  }
  if (done) done();
  return open;
}

listener::listener(net::io_context& ioc, unsigned io_threads, const server_options& options, const router& routes,
                   const tls_context_store& tls, metrics& m, request_budget& budget)
    : ioc_(ioc),
      io_threads_(io_threads),
      acceptor_(net::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      state_(std::make_shared<connection_state>(options, routes, tls, m, budget)) {}

listener::~listener() = default;

std::string listener::open(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return "cannot open a socket: " + ec.message();
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (endpoint.address().is_v6()) acceptor_.set_option(net::ip::v6_only(false), ec);
  acceptor_.bind(endpoint, ec);
  if (ec)
    return "cannot bind " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " +
           ec.message();
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen: " + ec.message();
  return {};
}

tcp::endpoint listener::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::start() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

// Each connection's handlers run one at a time. With several I/O threads a strand per connection
// sees to it; with one (the shipped Deployment's 1-CPU limit starts one), every handler already
// runs on that thread, one at a time, and a strand would only add a lock and a queue hop to each
// of them (a dozen a request).
net::any_io_executor listener::connection_executor() {
  if (io_threads_ == 1) return ioc_.get_executor();
  return net::make_strand(ioc_);
}

void listener::do_accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept(connection_executor(), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    log_line(log_level::warn, "accept failed").field("error", ec.message());
    // Out of file descriptors and the like: back off a little instead of spinning.
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->do_accept();
    });
    return;
  }
  if (state_->draining.load()) return;  // the socket closes here
  if (state_->at_capacity()) {
    state_->stats.connection_rejected();
    log_line(log_level::debug, "connection refused: --max-connections reached")
        .field("max_connections", static_cast<std::uint64_t>(state_->options.max_connections));
    beast::error_code ignored;
    socket.close(ignored);
    return do_accept();
  }
  SSL* ssl = state_->tls.new_connection();
  if (ssl == nullptr) {
    log_line(log_level::error, "no TLS context for a new connection").emit();
    return do_accept();
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto s = std::make_shared<session>(std::move(socket), ssl, state_);
  state_->add(s.get(), s);
  s->start();
  do_accept();
}

void listener::drain(std::function<void()> on_drained) {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this(), on_drained = std::move(on_drained)]() mutable {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
    const auto open = self->state_->begin_drain(std::move(on_drained));
    // Logged once no new connection can come in and every open one is told.
    log_line(log_level::info, "draining").field("connections", static_cast<std::uint64_t>(open.size()));
    for (const auto& s : open) {
      net::post(s->executor(), [s] { s->drain(); });
    }
  });
}

void listener::retire_keep_alive() { state_->retiring.store(true); }

std::size_t listener::connections() const { return state_->size(); }

}  // namespace peergate::webhook::server

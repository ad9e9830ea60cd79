#include "engine/remote/http.h"

#include "common/error.h"

#include <curl/curl.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <random>
#include <thread>

namespace ys::engine::remote {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) fail(ErrorKind::internal, "curl_global_init failed");
  });
}

struct Capture {
  std::string* body;
  int64_t limit;
  bool overflow = false;
  double retry_after_s = -1;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* c = static_cast<Capture*>(user);
  const size_t bytes = size * n;
  if (int64_t(c->body->size() + bytes) > c->limit) {
    c->overflow = true;
    return 0;  // aborts the transfer
  }
  c->body->append(data, bytes);
  return bytes;
}

// Retry-After: delay-seconds or an HTTP-date.
double parse_retry_after(std::string v) {
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(v.begin());
  if (v.empty()) return -1;
  if (v.find_first_not_of("0123456789") == std::string::npos) return v.size() > 7 ? 1e7 : double(std::stol(v));
  const time_t t = curl_getdate(v.c_str(), nullptr);
  if (t < 0) return -1;
  return std::max(0.0, double(t - std::time(nullptr)));
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* c = static_cast<Capture*>(user);
  const size_t bytes = size * n;
  std::string line(data, bytes);
  const std::string key = "retry-after:";
  if (line.size() > key.size()) {
    std::string head = line.substr(0, key.size());
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    if (head == key) c->retry_after_s = parse_retry_after(line.substr(key.size()));
  }
  return bytes;
}

bool retryable_status(long s) { return s == 408 || s == 425 || s == 429 || s >= 500; }

bool retryable_transport(CURLcode c) {
  switch (c) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_WRITE_ERROR:  // the response exceeded max_response_bytes
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:
      return true;
  }
}

double jitter_unit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.5, 1.0)(rng);
}

}  // namespace

std::string server_message(const std::string& body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto it = j.find("error");
    if (it != j.end()) {
      if (it->is_object() && it->contains("message") && (*it)["message"].is_string())
        return (*it)["message"].get<std::string>();
      if (it->is_string()) return it->get<std::string>();
    }
    auto m = j.find("message");
    if (m != j.end() && m->is_string()) return m->get<std::string>();
    auto d = j.find("detail");
    if (d != j.end() && d->is_string()) return d->get<std::string>();
  }
  std::string s = body.substr(0, 300);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

struct HttpClient::Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {
    if (curl == nullptr) fail(ErrorKind::internal, "curl_easy_init failed");
  }
  ~Handle() { curl_easy_cleanup(curl); }
};

HttpClient::HttpClient(HttpOptions options) : opt_(std::move(options)) { global_init(); }
HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty()) return std::make_unique<Handle>();
  auto h = std::move(idle_.back());
  idle_.pop_back();
  return h;
}

void HttpClient::release(std::unique_ptr<Handle> h) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(h));
}

HttpResponse HttpClient::perform(Handle& h, const std::string& url, const std::string* body, double& retry_after_s) {
  CURL* c = h.curl;
  curl_easy_reset(c);  // keeps live connections
  HttpResponse r;
  Capture cap{&r.body, opt_.max_response_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::string auth;
  if (!opt_.api_key.empty()) {
    auth = "Authorization: Bearer " + opt_.api_key;
    headers = curl_slist_append(headers, auth.c_str());
  }
  if (body != nullptr) headers = curl_slist_append(headers, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(opt_.timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(opt_.connect_timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &cap);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &cap);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "yardstick");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  if (body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body->size()));
  }
  const CURLcode cc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  retry_after_s = cap.retry_after_s;
  if (cc != CURLE_OK) {
    r.status = 0;
    if (cap.overflow)
      r.error = fmt::format("{}: the response exceeded {} bytes", url, opt_.max_response_bytes);
    else
      r.error = fmt::format("{}: {}", url, errbuf[0] != 0 ? errbuf : curl_easy_strerror(cc));
    r.body.clear();
    r.ok = false;
    r.attempts = retryable_transport(cc) && !cap.overflow ? -1 : -2;  // -1: retryable, -2: not (see request())
    return r;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.ok = r.status >= 200 && r.status < 300;
  if (!r.ok) r.error = fmt::format("{}: HTTP {}: {}", url, r.status, server_message(r.body));
  return r;
}

HttpResponse HttpClient::request(const std::string& url, const std::string* body, bool retry) {
  auto h = acquire();
  HttpResponse r;
  for (int attempt = 0;; ++attempt) {
    double retry_after = -1;
    r = perform(*h, url, body, retry_after);
    const bool transport = r.status == 0;
    const bool may_retry = transport ? r.attempts == -1 : retryable_status(r.status);
    r.attempts = attempt + 1;
    if (r.ok || !transport) server_gone_.store(false);  // the server answered
    if (r.ok) break;
    const int limit = !retry ? 0 : (transport && server_gone_.load() ? 0 : opt_.max_retries);
    if (!may_retry || attempt >= limit) {
      if (transport && may_retry && retry) server_gone_.store(true);
      if (attempt > 0) r.error += fmt::format(" (after {} tries)", attempt + 1);
      break;
    }
    double wait = opt_.backoff_base_s * std::pow(2.0, attempt);
    wait = std::min(wait, opt_.backoff_max_s) * jitter_unit();
    if (retry_after >= 0) wait = std::min(retry_after, opt_.retry_after_max_s);
    retries_.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
  release(std::move(h));
  return r;
}

HttpResponse HttpClient::post_json(const std::string& url, const std::string& body) { return request(url, &body, true); }
HttpResponse HttpClient::get(const std::string& url) { return request(url, nullptr, true); }
HttpResponse HttpClient::get_once(const std::string& url) { return request(url, nullptr, false); }
HttpResponse HttpClient::post_json_once(const std::string& url, const std::string& body) {
  return request(url, &body, false);
}

}  // namespace ys::engine::remote

#!/usr/bin/python3
"""The engine's promise: no I/O besides reading policy files, no threads, no sockets, no rendering
(engine/CMakeLists.txt). Applications of the engine (audit/, webhook/server/, cli/) live outside it;
this check fails when engine/ gains one of them back.

It reads every source under engine/ (comments and string literals taken out) for what threads,
file writes, sockets or report rendering need, and the engine target's link libraries, as CMake
computed them for this build, for the libraries that bring them.

Usage: check_engine_purity.py ENGINE_DIR LINK_LIBRARIES
       (LINK_LIBRARIES: the target's LINK_LIBRARIES and INTERFACE_LINK_LIBRARIES, ';'-separated)
Self-test: check_engine_purity.py --self-test
"""
import os
import re
import sys

# (what, pattern) over the code with comments and strings removed; includes are matched on the
# raw #include line.
FORBIDDEN_INCLUDES = [
    ("a thread", r"<(thread|future|condition_variable|stop_token|semaphore|latch|barrier|pthread\.h)>"),
    ("file writes or descriptors", r"<(cstdio|stdio\.h|fcntl\.h|unistd\.h|sys/[a-z_]+\.h)>"),
    ("sockets (Asio, Beast)", r"<boost/(asio|beast)[/.>]"),
    ("OpenSSL", r"<openssl/"),
    ("logging (spdlog)", r"<spdlog/"),
    ("an application of the engine", r"\"(audit|webhook|cli)/"),
]
FORBIDDEN_CODE = [
    ("a thread", r"\bstd::(thread|jthread|async)\b|\bpthread_\w+"),
    ("a file write", r"\b(std::)?(ofstream|fstream|basic_ofstream|basic_fstream)\b|\bf(open|write|printf|puts)\s*\("
                     r"|::(open|write|creat|rename|unlink)\s*\("),
    ("standard output", r"\bstd::(cout|cerr|clog)\b"),
    ("HTML rendering", r"<(html|svg|table|script|style)\b"),
    # The chain and the loader are given the time (evaluation_context, load_policies' `now`), so a
    # decision is a function of its inputs and tests never depend on the wall clock.
    ("a clock read", r"\b(system_clock|steady_clock|high_resolution_clock|utc_clock|file_clock)::now\b"
                     r"|\b(std::)?(time|gettimeofday|clock_gettime|localtime|localtime_r|gmtime|gmtime_r|mktime)\s*\("),
]
FORBIDDEN_LIBRARIES = [
    ("OpenSSL", r"openssl|ssl|crypto"),
    ("threads", r"threads|pthread"),
    ("Asio/Beast (Boost::headers brings them)", r"^boost::headers$|asio|beast"),
    ("spdlog", r"spdlog|fmt"),
    ("an application of the engine", r"^(audit|review|server|certificates|cli_commands)$"),
]


def strip_comments_and_strings(text):
    """The code without comments, string and character literals (raw strings included)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(text[i])
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            out.append('""')
            i = n if end < 0 else end + len(m.group(1)) + 2
        elif text[i] in "\"'":
            quote, j = text[i], i + 1
            while j < n and text[j] != quote:
                j += 2 if text[j] == "\\" else 1
            out.append(quote * 2)
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def check_source(path, text):
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#include"):
            for what, pattern in FORBIDDEN_INCLUDES:
                if re.search(pattern, line):
                    problems.append(f"{path}:{number}: {what}: {line.strip()}")
    code = strip_comments_and_strings(text)
    for number, line in enumerate(code.splitlines(), 1):
        if line.lstrip().startswith("#include"):
            continue
        for what, pattern in FORBIDDEN_CODE:
            m = re.search(pattern, line)
            if m:
                problems.append(f"{path}:{number}: {what}: {m.group(0)}")
    return problems


def check_libraries(libraries):
    problems = []
    for lib in filter(None, libraries.split(";")):
        # $<LINK_ONLY:x>, $<BUILD_INTERFACE:x> and the like: the library inside.
        name = re.sub(r"^\$<[A-Z_]+:(.*)>$", r"\1", lib).strip()
        if name == "peergate_flags":
            continue
        for what, pattern in FORBIDDEN_LIBRARIES:
            if re.search(pattern, name.lower()):
                problems.append(f"engine links {name}: {what}")
    return problems


def self_test():
    """The checks find what they are meant to find, and leave comments and strings alone."""
    bad = {
        "#include <thread>\n": "a thread",
        "#include <boost/asio/ip/tcp.hpp>\n": "sockets",
        "#include <openssl/ssl.h>\n": "OpenSSL",
        '#include "audit/report.hpp"\n': "application",
        "void f() { std::ofstream out(\"x\"); }\n": "file write",
        "void f() { std::thread t([]{}); }\n": "a thread",
        "int f() { return ::write(1, \"\", 0); }\n": "file write",
        "const char* p = \"x\"; void f(std::ostream& o) { o << \"<html>\"; }\nint x = 1 <html;\n": "HTML",
        "auto t = std::chrono::system_clock::now();\n": "clock",
        "long t = std::time(nullptr);\n": "clock",
    }
    good = [
        "#include <fstream>\nvoid f() { std::ifstream in(\"policy.yaml\"); }\n",
        "// std::thread and std::ofstream in a comment\n",
        "const char* s = \"std::ofstream ::write( <html>\";\n",
        "const char* r = R\"x(std::thread \"quoted\" )x\";\n",
        "time_point parse(std::string_view text, time_point now);\nauto d = expires - now;\n",
    ]
    failures = []
    for text, what in bad.items():
        if not any(what.lower() in p.lower() for p in check_source("t.cpp", text)):
            failures.append(f"not caught ({what}): {text!r}")
    for text in good:
        if check_source("t.cpp", text):
            failures.append(f"false alarm: {text!r}: {check_source('t.cpp', text)}")
    if not check_libraries("Boost::json;OpenSSL::Crypto"):
        failures.append("OpenSSL::Crypto in the link libraries not caught")
    if not check_libraries("$<LINK_ONLY:Threads::Threads>"):
        failures.append("Threads::Threads in the link libraries not caught")
    if check_libraries("Boost::json;yaml-cpp;PkgConfig::RE2;$<LINK_ONLY:peergate_flags>"):
        failures.append("the engine's own libraries flagged")
    for f in failures:
        print("FAIL self-test:", f)
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    engine_dir, libraries = sys.argv[1], sys.argv[2]
    problems, files = [], 0
    for root, dirs, names in os.walk(engine_dir):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".cpp", ".hpp", ".h", ".cc")):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    problems += check_source(os.path.relpath(path, os.path.dirname(engine_dir)), f.read())
                files += 1
    problems += check_libraries(libraries)
    if files == 0:
        problems.append(f"{engine_dir}: no sources found")
    for p in problems:
        print("FAIL", p)
    if not problems:
        print(f"ok: {files} engine sources and the link libraries ({libraries}) are free of threads, file writes, "
              "sockets, clock reads and rendering")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

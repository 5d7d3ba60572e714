#!/usr/bin/env python3
"""Every configuration example the project shows must pass memhotd --check-config.

Examples come from README.md (indented code blocks with a [section] header),
man/memhotd.conf.5 (.EX/.EE blocks with a [section] header), memhotd.conf
and conf/*.conf.  Each is checked on its own as the main file, and each
conf/*.conf also as a drop-in under the shipped memhotd.conf.  On its own,
every "key = value" of an example must show up in the printed effective
configuration.  Groups are resolved through nss_wrapper from a small group
file, so the test does not depend on this machine's group database (the
package's group "memhotd" does not exist on a build machine).

usage: check_examples.py MEMHOTD REPO_DIR
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

NSS_WRAPPER = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"
GROUPS = "root:x:0:\nadm:x:4:\nmemhotd:x:990:\n"
PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
SECTION = re.compile(r"^\s*\[(policy|control|guard|rule [^]]+)\]")
BOOL = {"1": "true", "y": "true", "yes": "true", "true": "true", "on": "true",
        "0": "false", "n": "false", "no": "false", "false": "false", "off": "false"}


def readme_examples(path):
    out, block = [], []
    for line in open(path, encoding="utf-8").read().split("\n") + [""]:
        if line.startswith("    ") or (block and not line.strip()):
            block.append(line[4:])
            continue
        if any(SECTION.match(b) for b in block):
            out.append(("%s block %d" % (path, len(out) + 1), "\n".join(block).strip() + "\n"))
        block = []
    return out


def man_examples(path):
    out, block, inside = [], [], False
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line == ".EX":
            inside, block = True, []
        elif line == ".EE":
            inside = False
            text = "\n".join(block) + "\n"
            text = text.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
            if any(SECTION.match(b) for b in block):
                out.append(("%s example %d" % (path, len(out) + 1), text))
        elif inside:
            block.append(line)
    return out


def settings(text):
    """(key, value) pairs as memhotd should read them."""
    pairs = []
    section = ""
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("[") and "]" in line:
            # keys are per section: [rule a] and [rule b] both have zone =
            section = line[1:line.index("]")].strip()
            continue
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = (s.strip() for s in line.split("=", 1))
        value = re.split(r"[ \t][#;]", " " + value, maxsplit=1)[0].strip()
        pairs.append(("[%s] %s" % (section, key), BOOL.get(value.lower(), value)))
    return pairs


def check(memhotd, env, name, main_text, dropins=()):
    with tempfile.TemporaryDirectory() as d:
        main = os.path.join(d, "memhotd.conf")
        with open(main, "w", encoding="utf-8") as f:
            f.write(main_text)
        if dropins:
            os.mkdir(main + ".d")
            for base, text in dropins:
                with open(os.path.join(main + ".d", base), "w", encoding="utf-8") as f:
                    f.write(text)
        r = subprocess.run([memhotd, "--check-config", "--config", main], env=env,
                           capture_output=True, text=True, check=False)
    if r.returncode != 0:
        return "%s: memhotd --check-config exit %d: %s" % (name, r.returncode, r.stderr.strip())
    if not dropins:
        printed = dict(settings(r.stdout))
        for key, value in settings(main_text):
            if printed.get(key) != value:
                return "%s: %s = %s was read as %r" % (name, key, value, printed.get(key))
    return None


def main():
    memhotd, repo = sys.argv[1], sys.argv[2]
    if not os.path.exists(NSS_WRAPPER):
        sys.exit("config-examples: %s missing (apt-get install libnss-wrapper)" % NSS_WRAPPER)
    work = tempfile.mkdtemp()
    env = dict(os.environ)
    for base, text in (("group", GROUPS), ("passwd", PASSWD)):
        with open(os.path.join(work, base), "w", encoding="utf-8") as f:
            f.write(text)
    env.update(LD_PRELOAD=NSS_WRAPPER, NSS_WRAPPER_GROUP=os.path.join(work, "group"),
               NSS_WRAPPER_PASSWD=os.path.join(work, "passwd"))

    examples = readme_examples(os.path.join(repo, "README.md"))
    examples += man_examples(os.path.join(repo, "man/memhotd.conf.5"))
    shipped = open(os.path.join(repo, "memhotd.conf"), encoding="utf-8").read()
    examples.append(("memhotd.conf", shipped))
    confs = sorted(glob.glob(os.path.join(repo, "conf/*.conf")))
    for path in confs:
        examples.append((os.path.relpath(path, repo), open(path, encoding="utf-8").read()))

    failures, n = [], 0
    for name, text in examples:
        n += 1
        err = check(memhotd, env, name, text)
        if err:
            failures.append(err)
        else:
            print("config-examples: ok " + name)
    for path in confs:
        n += 1
        base = os.path.basename(path)
        err = check(memhotd, env, "memhotd.conf + drop-in " + base, shipped,
                    [(base, open(path, encoding="utf-8").read())])
        if err:
            failures.append(err)
    for f in failures:
        print("config-examples: FAIL " + f)
    print("config-examples: %d of %d checks passed" % (n - len(failures), n))
    for base in ("group", "passwd"):
        os.unlink(os.path.join(work, base))
    os.rmdir(work)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""tools/deps.sh, the set-up step every make target runs first: with a
package missing and no root, it must name the exact apt-get line and fail
before anything is built."""
import os
import subprocess

from harness import TOP, make


def run_deps(tmp_path, missing, uid):
    # Stand-ins for dpkg-query and id, first on PATH.
    (tmp_path / "dpkg-query").write_text(
        "#!/bin/sh\n"
        f'for p in {" ".join(missing) or "none"}; do [ "$3" = "$p" ] && exit 1; done\n'
        "printf 'install ok installed'\n")
    (tmp_path / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    for f in ("dpkg-query", "id"):
        (tmp_path / f).chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    return subprocess.run([str(TOP / "tools" / "deps.sh")], env=env,
                          capture_output=True, text=True, timeout=30)


def test_nothing_missing_is_silent(tmp_path):
    done = run_deps(tmp_path, [], uid=1000)
    assert done.returncode == 0
    assert done.stdout == "" and done.stderr == ""


def test_missing_package_without_root_prints_the_apt_get_line(tmp_path):
    done = run_deps(tmp_path, ["mtools", "ovmf"], uid=1000)
    assert done.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y mtools ovmf" in done.stderr


def test_one_make_checks_the_packages_once(tmp_path):
    """A make at the top runs every chapter's make; the package check runs
    once for all of them (it takes a dpkg-query per package)."""
    make("-C", TOP, "all", check=True, capture_output=True)
    log = tmp_path / "dpkg-query.log"
    (tmp_path / "dpkg-query").write_text(
        f"#!/bin/sh\necho \"$3\" >> {log}\nprintf 'install ok installed'\n")
    (tmp_path / "dpkg-query").chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in ("CUBOS_DEPS_CHECKED", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["PATH"] = f"{tmp_path}:{env['PATH']}"
    make("-C", TOP, "all", env=env, check=True, capture_output=True, timeout=120)
    assert log.read_text().split().count("gcc") == 1, log.read_text()

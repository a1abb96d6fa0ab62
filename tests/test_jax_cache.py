"""normix's JAX persistent compilation cache: where it lives, the opt-out, and that a second process reuses it.

The reference for "reused" is JAX's own monitoring event of a persistent-cache hit, and
the files XLA writes; the processes are fresh interpreters with their own environment.
"""
import json
import os
import subprocess
import sys


from normix.jax_cache import default_cache_dir, enable_jax_cache

PROBE = """
import json, sys
import jax
hits = []
jax.monitoring.register_event_listener(lambda name, **kw: hits.append(name) if "cache_hits" in name else None)
import normix
import jax.numpy as jnp

@jax.jit
def program(x):
    return jnp.cumsum(jnp.sin(x) ** 2) @ jnp.cos(x)

program(jnp.linspace(0.0, 1.0, 7)).block_until_ready()
print(json.dumps({"dir": jax.config.jax_compilation_cache_dir, "hits": len(hits)}))
"""


def run_probe(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("JAX_COMPILATION_CACHE_DIR", "NORMIX_JAX_CACHE_DIR", "NORMIX_JAX_CACHE")}
    environment.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "xdg"),
                       JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0", **env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_loads_the_program_from_the_user_cache(tmp_path):
    first = run_probe(tmp_path)
    assert first["dir"] == str(tmp_path / "xdg" / "normix" / "jax")
    assert first["hits"] == 0
    assert any(name.startswith("jit_program") for name in os.listdir(first["dir"]))
    second = run_probe(tmp_path)
    assert second["dir"] == first["dir"] and second["hits"] >= 1


def test_opt_out_and_an_existing_jax_setting_are_respected(tmp_path):
    assert run_probe(tmp_path, NORMIX_JAX_CACHE="0")["dir"] is None
    assert not (tmp_path / "xdg" / "normix").exists()
    mine = str(tmp_path / "mine")
    assert run_probe(tmp_path, JAX_COMPILATION_CACHE_DIR=mine)["dir"] == mine
    assert run_probe(tmp_path, NORMIX_JAX_CACHE_DIR=str(tmp_path / "chosen"))["dir"] == str(tmp_path / "chosen")


def test_default_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NORMIX_JAX_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == os.path.join(str(tmp_path), "normix", "jax")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert default_cache_dir() == os.path.join(str(tmp_path / "h"), ".cache", "normix", "jax")
    monkeypatch.setenv("NORMIX_JAX_CACHE_DIR", "~/elsewhere")
    assert default_cache_dir() == os.path.join(str(tmp_path / "h"), "elsewhere")


def test_a_directory_that_cannot_be_created_leaves_the_cache_off(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    assert enable_jax_cache(str(blocker / "jax")) is None

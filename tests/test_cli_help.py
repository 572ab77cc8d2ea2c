"""The command line speaks Chinese: every subcommand's help and argparse's error messages."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import _parser, translate_error

REPO = Path(__file__).resolve().parents[1]
ENGLISH = ("usage", "options", "positional arguments", "show this help", "error", "argument", "invalid",
           "unrecognized", "required", "expected", "choose from")


def _subcommands() -> list[str]:
    sub = next(a for a in _parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted(sub.choices)


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *args], cwd=REPO, capture_output=True, text=True, timeout=60)


def _assert_chinese(text: str):
    lowered = text.lower()
    assert not [w for w in ENGLISH if w in lowered], text


@pytest.mark.parametrize("args", [["--help"], *[[c, "--help"] for c in ("serve", "pull", "seed")]])
def test_help_is_chinese(args):
    result = _run(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("用法：python run.py") and "显示帮助并退出" in result.stdout
    _assert_chinese(result.stdout)


def test_every_subcommand_help_is_chinese():
    for name in _subcommands():  # subcommands added later get the Chinese parser too
        parser = next(a for a in _parser()._actions if a.__class__.__name__ == "_SubParsersAction").choices[name]
        text = parser.format_help()
        assert text.startswith("用法："), name
        _assert_chinese(text)


@pytest.mark.parametrize("args, words", [
    (["serve", "--port", "abc"], "参数 --port：无效的整数值 'abc'"),
    (["pull", "--bogus"], "无法识别的参数：--bogus"),
    (["nope"], "无效的选项 'nope'"),
    (["seed", "--seed"], "参数 --seed：需要一个值"),
])
def test_errors_are_chinese(args, words):
    result = _run(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("用法：") and "错误：" in result.stderr and words in result.stderr, result.stderr
    _assert_chinese(result.stderr)


@pytest.mark.parametrize("message, chinese", [
    ("the following arguments are required: 命令", "缺少必需的参数：命令"),
    ("argument --x: expected at least one argument", "参数 --x：至少需要一个值"),
    ("argument -a: not allowed with argument -b", "参数 -a：不能与参数 -b 同时使用"),
    ("ambiguous option: --s could match --seed, --source", "选项 --s 有歧义，可能是：--seed, --source"),
    ("argument --n: invalid float value: 'x'", "参数 --n：无效的数值 'x'"),
    ("something new", "参数有误：something new"),
])
def test_argparse_messages_are_translated(message, chinese):
    assert translate_error(message) == chinese

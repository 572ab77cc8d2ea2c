"""Command line for accounts: ``user add|disable|list``, ``token add|list|capture|revoke``, ``audit archive``.

Every change is written to the audit log as done from the command line (actor kind ``cli``).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from dashboard import accounts, audit
from dashboard.permissions import ROLE_LABELS, Caller
from dashboard.settings import Settings, SettingsError

PASSWORD_ENV = "CITYWALL_PASSWORD"
ADMIN_PASSWORD_ENV = "CITYWALL_ADMIN_PASSWORD"


def add_commands(sub) -> None:
    user = sub.add_parser("user", help="管理登录账号（新增、停用、列出）")
    users = user.add_subparsers(dest="user_action", metavar="操作", required=True)
    add = users.add_parser("add", help="新增账号；密码来自交互输入、--password-stdin 或环境变量 CITYWALL_PASSWORD")
    add.add_argument("name", metavar="NAME", help="用户名")
    add.add_argument("--role", required=True, help="角色（内置: viewer、leader、operator、briefing、department、admin，或配置 [auth.roles] 中的角色）")
    add.add_argument("--department", metavar="DEPT_ID", help="部门账号（角色 department）所属部门的编号，如 D001；"
                                                             "该账号只能看到并办理本部门的指令")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    disable = users.add_parser("disable", help="停用账号，并结束它的所有登录会话")
    disable.add_argument("name", metavar="NAME", help="用户名")
    users.add_parser("list", help="列出全部账号")

    token = sub.add_parser("token", help="管理大屏令牌（只读访问大屏，无需登录）与导出截图的服务令牌")
    tokens = token.add_subparsers(dest="token_action", metavar="操作", required=True)
    token_add = tokens.add_parser("add", help="新增令牌，并打印带令牌的大屏地址（只显示这一次）")
    token_add.add_argument("--name", help="令牌名称，如 大厅屏（给了 --screen 时可省略）")
    token_add.add_argument("--screen", help="令牌可认领的大屏名称（如 main）：大屏地址带 screen=，可在 /console 控制它")
    tokens.add_parser("list", help="列出全部令牌")
    tokens.add_parser("capture", help="签发导出截图的服务令牌（只读：大屏、下钻页面与通报），并吊销旧的；"
                                      "密文写入数据目录中仅本账号可读的文件")
    revoke = tokens.add_parser("revoke", help="吊销令牌（按编号或名称；吊销服务令牌后导出截图将失败，直到重新签发）")
    revoke.add_argument("token", metavar="编号或名称", help="令牌编号或名称")

    audit_cmd = sub.add_parser("audit", help="审计记录的保留")
    audits = audit_cmd.add_subparsers(dest="audit_action", metavar="操作", required=True)
    archive = audits.add_parser("archive", help="把某日期之前的审计记录写入文件（CSV），然后从数据库中删除")
    archive.add_argument("--before", required=True, type=_day, metavar="YYYY-MM-DD",
                         help="归档此日期（不含）之前的记录")
    archive.add_argument("--out", help="写入的文件（默认 data_dir/audit/审计归档-<日期>.csv）")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期 {text!r} 无效，应为 YYYY-MM-DD") from None


CLI_CALLER = Caller(name="命令行", kind="cli")


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise SettingsError(f"没有密码：请用 --password-stdin 从标准输入提供，或设置环境变量 {PASSWORD_ENV}")
    first = getpass.getpass("密码: ")
    if first != getpass.getpass("再输入一次: "):
        raise SettingsError("两次输入的密码不一致")
    return first


def _time(at: float | None) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M") if at else "—"


def run(settings: Settings, args) -> int:
    from dashboard import db

    engine = db.connect(settings.database_url)
    try:
        if args.command == "user":
            return _user(settings, engine, args)
        if args.command == "token":
            return _token(settings, engine, args)
        return _audit(settings, engine, args)
    except accounts.AccountError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


def _done(engine, action: str, target: str, message: str, detail: str = "") -> None:
    """A change made: into the audit log (done from the command line), then said."""
    audit.record(action, target, caller=CLI_CALLER, engine=engine, address="", detail=detail)
    print(message)


def _listed(lines: list[str], empty: str) -> None:
    print("\n".join(lines) if lines else empty)


def _user(settings: Settings, engine, args) -> int:
    if args.user_action == "add":
        roles = settings.auth.role_permissions()
        if args.role not in roles:  # before asking for a password
            raise accounts.AccountError(f"角色 {args.role!r} 不存在；可选: {'、'.join(roles)}")
        _check_department(settings, args.department)
        user = accounts.add_user(engine, args.name, args.role, _password(args.password_stdin), roles,
                                 department=args.department)
        bound = f"，所属部门 {user.department}" if user.department else ""
        _done(engine, "user_add", user.name, f"已新增用户 {user.name}（{ROLE_LABELS.get(user.role, user.role)}{bound}）",
              f"角色 {user.role}{bound}")
    elif args.user_action == "disable":
        user = accounts.disable_user(engine, args.name)
        _done(engine, "user_disable", user.name, f"已停用用户 {user.name}，其登录会话已全部结束")
    else:
        _listed([f"{u.name}\t{ROLE_LABELS.get(u.role, u.role)}（{u.role}）{f' 部门 {u.department}' if u.department else ''}\t"
                 f"{'启用' if u.enabled else f'已停用 {_time(u.disabled_at)}'}\t创建于 {_time(u.created_at)}"
                 for u in accounts.list_users(engine)], "尚无用户。")
    return 0


def _check_department(settings: Settings, dept_id: str | None) -> None:
    """A department id the published departments frame does not hold is refused (when it is published)."""
    if not dept_id:
        return
    from dashboard.store import open_store

    departments = open_store(settings.app.store, settings.data_dir).frame("departments", "departments")
    if departments is not None and dept_id not in set(departments["dept_id"].astype(str)):
        known = "、".join(f"{i}（{n}）" for i, n in zip(departments["dept_id"][:8], departments["name"][:8]))
        raise accounts.AccountError(f"部门编号 {dept_id!r} 不在已发布的部门数据中；可选如: {known} …")


def _token(settings: Settings, engine, args) -> int:
    from dashboard import capture_token

    if args.token_action == "capture":
        token = capture_token.issue(engine, settings, CLI_CALLER.name)
        _done(engine, "token_add", token.name, f"已签发导出截图的服务令牌 {token.id}「{token.name}」（只读），"
              f"密文已写入 {capture_token.secret_file(settings)}；之前的服务令牌已吊销", "服务令牌")
    elif args.token_action == "add":
        token, secret = _add_kiosk_token(engine, args.name, args.screen)
        screen = f"screen={token.screen}&" if token.screen else ""
        _done(engine, "token_add", token.name, f"已新增大屏令牌 {token.id}「{token.name}」"
              + (f"（大屏名称 {token.screen}）" if token.screen else "") +
              f"。大屏地址（只显示这一次，请妥善保存）:\n  /wall?{screen}kiosk=1&token={secret}",
              f"大屏名称 {token.screen}" if token.screen else "")
    elif args.token_action == "revoke":
        token = accounts.revoke_token(engine, args.token)
        _done(engine, "token_revoke", token.name, f"已吊销{_kind(token)} {token.id}「{token.name}」" + (
            f"；导出截图将失败，直到运行 {capture_token.ISSUE_COMMAND} 签发新的服务令牌"
            if token.scope == accounts.CAPTURE_SCOPE else ""))
    else:
        _listed([f"{t.id}\t{t.name}\t{'有效' if t.active else f'已吊销 {_time(t.revoked_at)}'}\t{_kind(t)}"
                 f"{f'（大屏名称 {t.screen}）' if t.screen else ''}\t"
                 f"创建于 {_time(t.created_at)}（{t.created_by}）\t最近使用 {_time(t.last_used_at)}"
                 for t in accounts.list_tokens(engine)], "尚无令牌。")
    return 0


def _add_kiosk_token(engine, name: str | None, screen: str | None):
    """A kiosk token, bound to the wall screen ``screen`` when given (its row made for /console)."""
    from dashboard import wall_control

    if screen is not None:
        try:
            screen = wall_control.screen_name(screen)
        except wall_control.WallControlError as exc:
            raise accounts.AccountError(exc.message) from None
    if not (name or screen):
        raise accounts.AccountError("请用 --name 给令牌起名（如 大厅屏），或用 --screen 指定大屏名称")
    token, secret = accounts.add_token(engine, name or f"大屏 {screen}", CLI_CALLER.name, screen=screen)
    if screen:
        wall_control.ensure_screen(engine, screen)
    return token, secret


def _kind(token: accounts.KioskToken) -> str:
    return "服务令牌（导出截图）" if token.scope == accounts.CAPTURE_SCOPE else "大屏令牌"


def _audit(settings: Settings, engine, args) -> int:
    out = Path(args.out) if args.out else settings.data_dir / "audit" / f"审计归档-{args.before.isoformat()}.csv"
    if out.exists():
        raise accounts.AccountError(f"文件 {out} 已存在：请用 --out 指定新文件，以免覆盖之前的归档")
    written = audit.archive(engine, args.before, out)
    if not written:
        print(f"{args.before.isoformat()} 之前没有审计记录，未写文件。")
        return 0
    _done(engine, "audit_archive", str(out), f"已把 {written} 条审计记录写入 {out}，并从数据库中删除",
          f"{written} 条，{args.before.isoformat()} 之前")
    return 0


def first_admin(settings: Settings, engine) -> None:
    """The first start: create the admin account (password from CITYWALL_ADMIN_PASSWORD, or printed once)."""
    created, made_up = accounts.ensure_first_admin(engine, os.environ.get(ADMIN_PASSWORD_ENV))
    if not created:
        return
    audit.record("user_add", "admin", caller=CLI_CALLER, engine=engine, address="", detail="首次启动创建的管理员")
    if made_up:
        print(f"首次启动：已创建管理员账号 admin，密码 {made_up}（只显示这一次，请登录后妥善保存）", flush=True)
    else:
        print(f"首次启动：已创建管理员账号 admin（密码取自环境变量 {ADMIN_PASSWORD_ENV}）", flush=True)

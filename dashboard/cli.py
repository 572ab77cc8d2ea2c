"""Command line: serve (default; --workers N: gunicorn), scheduler, worker (Celery), pull, seed, db, check-source, snapshot (PNG or XLSX), user, token, audit, ask."""
from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from dashboard import formatting as fmt
from dashboard.capture import CaptureError
from dashboard.migrations import SchemaError
from dashboard.settings import Settings, SettingsError, load_settings


class ChineseHelpFormatter(argparse.HelpFormatter):
    """argparse's help layout with a Chinese "用法：" line."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def _get_default_metavar_for_optional(self, action):
        return "值"  # not the option's name in capitals (--port PORT)


_TYPE_NAMES = {"int": "整数", "float": "数", "str": "文本"}
#: argparse's own (English) error messages → Chinese; {named groups} come from the match
_ERRORS = (
    (r"argument (?P<arg>.+?): (?P<rest>.+)", None),  # "argument --port: …": translated part by part
    (r"invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)", "无效的选项 {value}（可选：{choices}）"),
    (r"invalid (?P<type>\S+) value: (?P<value>.+)", "无效的{type}值 {value}"),
    (r"the following arguments are required: (?P<args>.+)", "缺少必需的参数：{args}"),
    (r"unrecognized arguments: (?P<args>.+)", "无法识别的参数：{args}"),
    (r"expected one argument", "需要一个值"),
    (r"expected at most one argument", "最多接受一个值"),
    (r"expected at least one argument", "至少需要一个值"),
    (r"expected (?P<n>\d+) arguments?", "需要 {n} 个值"),
    (r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)", "选项 {option} 有歧义，可能是：{matches}"),
    (r"not allowed with argument (?P<other>.+)", "不能与参数 {other} 同时使用"),
    (r"one of the arguments (?P<args>.+) is required", "参数 {args} 必须给出其中一个"),
    (r"ignored explicit argument (?P<value>.+)", "多余的值 {value}"),
)


def translate_error(message: str) -> str:
    """argparse's English error message in Chinese (an unknown one keeps its text after "参数有误：")."""
    for pattern, template in _ERRORS:
        match = re.fullmatch(pattern, message)
        if match is None:
            continue
        if template is None:
            return f"参数 {match['arg']}：{translate_error(match['rest'])}"
        words = {k: _TYPE_NAMES.get(v, v) if k == "type" else v for k, v in match.groupdict().items()}
        return template.format(**words)
    return f"参数有误：{message}"


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Chinese: usage, section titles, -h and error messages.
    Subcommands made with ``add_subparsers().add_parser`` are of this class too."""

    def __init__(self, *args, add_help: bool = True, formatter_class=ChineseHelpFormatter, **kwargs):
        super().__init__(*args, add_help=False, formatter_class=formatter_class, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示帮助并退出")

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{translate_error(message)}\n")


def _positive(text: str) -> int:
    """An argument that must be a whole number from 1 up, refused in Chinese otherwise."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为不小于 1 的整数，而不是「{text}」")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="python run.py",
        description="CityWall 智慧城市运行指挥中心大屏。不带子命令时等同于 serve。",
    )
    parser.add_argument("--config", help="TOML 配置文件（默认 config/citywall.toml，或环境变量 CITYWALL_CONFIG）")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    serve = sub.add_parser("serve", help="启动大屏（含定时拉取；演示城市无数据时先生成）")
    serve.add_argument("--host", help="监听地址（默认取配置 app.host，127.0.0.1）")
    serve.add_argument("--port", type=int, help="端口（默认取配置 app.port，8050）")
    serve.add_argument("--no-scheduler", action="store_true",
                       help="只提供页面，不在本进程内定时拉取或执行任务（另行运行 python run.py scheduler）")
    serve.add_argument("--workers", type=_positive, metavar="N",
                       help="用 gunicorn 启动 N 个工作进程（只提供页面，等同 --no-scheduler；另行运行 python run.py scheduler）")
    sub.add_parser("scheduler", help="只运行定时拉取与任务队列（/ops 的刷新、导出），不提供页面；多个调度进程中只有持有调度租约的一个工作，其余等待接管")
    worker = sub.add_parser("worker", help="Celery 任务进程：执行任务队列中的刷新与导出，以及页面的后台回调（需配置 app.broker_url）")
    worker.add_argument("--concurrency", type=_positive, default=4, metavar="N", help="同时执行的任务数（线程，默认 4）")
    pull = sub.add_parser("pull", help="把每个数据源拉取一次，并打印逐源汇总表")
    pull.add_argument("--source", action="append", help="只拉取这个数据源（可重复）")
    pull.add_argument("--accept", action="append", metavar="NAME",
                      help="放行该数据源被发布保护暂缓的那次发布（可重复；只放行，不拉取其他数据源）")
    check = sub.add_parser("check-source", help="试读一个数据源：列映射、前几行、隔离原因、区域匹配率、时间范围、发布变化（不发布）")
    check.add_argument("name", metavar="NAME", help="数据源名称（配置 sources 中的 name）")
    check.add_argument("--file", help="改读这个文件（按该数据源的映射），用于接入前试读部门导出")
    seed = sub.add_parser("seed", help="生成（或重新生成）演示城市数据库与地理数据")
    seed.add_argument("--incidents", type=int, help="事件条数（默认取配置 demo.incidents）")
    seed.add_argument("--seed", type=int, help="随机种子（默认取配置 demo.seed）")
    seed.add_argument("--database", metavar="URL",
                      help="把演示城市的事件写入这个 PostgreSQL 数据库的 incidents 表（postgresql://用户:密码@主机:端口/库名），"
                           "供 push_down = true 的 sql 数据源在库内汇总；其余演示数据仍在本地 SQLite")
    database = sub.add_parser("db", help="应用数据库的结构版本（Alembic 迁移）")
    database.add_argument("action", choices=("upgrade", "current"), metavar="操作",
                          help="upgrade：升级到最新结构版本；current：显示当前版本与最新版本")
    snapshot = sub.add_parser("snapshot", help="截取大屏（或一个下钻页面）的 PNG 图片、生成 A4 PDF 通报，或导出大屏数据的 Excel 工作簿；无需另行启动服务")
    # any of the three, at least one; one served app makes the PNG and the PDF
    snapshot.add_argument("--png", metavar="文件", help="输出的 PNG 文件路径")
    snapshot.add_argument("--pdf", metavar="文件", help="输出的 A4 PDF 通报（/briefing，全市）文件路径")
    snapshot.add_argument("--xlsx", metavar="文件", help="输出的 Excel 工作簿（各面板数据、部门绩效、目标状态与口径）路径")
    snapshot.add_argument("--view", metavar="视图",
                          help="大屏视图：city（全市，默认）或 district:<区县编号>")
    snapshot.add_argument("--page", metavar="路径",
                          help="改为截取这个页面（如 /district/<区县编号>），按 1920×1080 截取")
    from dashboard.ask.command import add_command
    from dashboard.cli_auth import add_commands

    add_commands(sub)  # user, token, audit
    add_command(sub)  # ask
    return parser


def print_pull_table(results) -> None:
    headers = ("数据源", "数据集", "结果", "合格行", "隔离行", "耗时", "说明")
    rows = [(r.source, r.dataset, _result_word(r), fmt.count(r.rows_ok), fmt.count(r.rows_quarantined),
             fmt.duration(r.seconds), r.error or "；".join(r.notes)) for r in results]

    def width(text: str) -> int:  # CJK characters take two columns in a terminal
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    widths = [max(width(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
    for row in (headers, *rows):
        print("  ".join(str(c) + " " * (w - width(str(c))) for c, w in zip(row, widths)).rstrip())


def _result_word(result) -> str:
    if result.ok:
        return "成功"
    return "暂缓发布" if result.held else ("跳过" if result.skipped else "失败")


def cmd_pull(settings: Settings, names: list[str] | None, accept: list[str] | None = None) -> int:
    from dashboard.pullers import Puller
    from dashboard.store import open_store

    puller = Puller(settings, open_store(settings.app.store, settings.data_dir))
    puller.recover()  # a pulling process: what a killed one left running is marked 中断 first
    for name in [*(names or []), *(accept or [])]:
        settings.source(name)  # unknown names stop here with the list of configured ones
    results = [puller.accept(n, "cli") for n in accept or []]
    if names or not accept:
        results += [puller.run_source(n, "cli") for n in names] if names else puller.run_all("cli")
    print_pull_table(results)
    if any(r.held for r in results):
        print("\n被暂缓的发布保留了上次的数据；确认无误后可运行 python run.py pull --accept <数据源> 放行。")
    return 0 if all(r.ok for r in results) else 1


def cmd_check_source(settings: Settings, name: str, file: str | None) -> int:
    from dashboard.source_check import check_source, render_text

    report = check_source(settings, name, file=file)
    print(render_text(report))
    return 1 if report.error else 0


def cmd_seed(settings: Settings, incidents: int | None, seed: int | None, database: str | None = None) -> int:
    from datasources.demo import ensure_demo_city

    if database:
        return _seed_postgres(settings, incidents, seed, database)
    path = ensure_demo_city(settings, incidents=incidents, seed=seed, force=True)
    print(f"演示城市已生成: {path}")
    return 0


def _seed_postgres(settings: Settings, incidents: int | None, seed: int | None, database: str) -> int:
    import time
    from datetime import datetime

    import psycopg

    from dashboard.settings import database_url
    from datasources.demo import ensure_demo_city
    from datasources.demo_postgres import seed_postgres_incidents

    try:
        url = database_url(database)
    except ValueError as exc:
        raise SettingsError(f"--database {database!r}: {exc}") from None
    if not url.startswith("postgresql"):
        raise SettingsError(f"--database 应为 PostgreSQL 地址（postgresql://用户:密码@主机:端口/库名），收到 {database!r}")
    seed = settings.demo.seed if seed is None else seed
    ensure_demo_city(settings, seed=seed)  # departments, regions … and the map stay in the local demo city
    started = time.monotonic()
    try:
        rows = seed_postgres_incidents(url, seed=seed, incidents=incidents or settings.demo.incidents,
                                       as_of=datetime.now())
    except psycopg.Error as exc:
        raise SettingsError(f"无法写入数据库 {database}: {exc}".strip()) from None
    print(f"已向 PostgreSQL 写入 {rows:,} 条演示事件（incidents 表，用时 {time.monotonic() - started:.0f} 秒）。"
          "在配置中把事件数据源改为 kind = \"sql\"、table = \"incidents\"、push_down = true 即可在库内汇总。")
    return 0


def cmd_db(settings: Settings, action: str) -> int:
    from sqlalchemy.exc import DBAPIError

    from dashboard import db, migrations

    engine = db.connect(settings.database_url, migrate=False)
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            at = migrations.current(conn)
    except DBAPIError as exc:
        raise SchemaError(f"无法打开应用数据库 {where}: {exc.orig}；请检查 app.database_url") from exc
    if action == "upgrade":
        after = migrations.upgrade(engine)
        print(f"数据库已是最新结构版本 {after}（{where}）" if after == at else
              f"数据库结构已升级: {at or '（无）'} → {after}（{where}）")
        return 0
    state = "最新" if at == migrations.head() else f"落后，最新为 {migrations.head()}，请运行 python run.py db upgrade"
    print(f"当前结构版本: {at or '（无）'}（{state}）  数据库: {where}")
    return 0 if at == migrations.head() else 1


def _write_workbook(settings: Settings, store, xlsx: str, view: str | None) -> int:
    """snapshot --xlsx: the workbook of the wall's numbers, from the frame store (no server, no browser)."""
    from dashboard.workbook import WorkbookError, build_workbook

    try:
        data = build_workbook(settings, store, view)
    except WorkbookError as exc:
        print(f"导出工作簿失败：{exc.message}", file=sys.stderr)
        return 1
    out = Path(xlsx)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"工作簿已保存: {out}（{view or 'city'}）")
    return 0


def cmd_snapshot(settings: Settings, png: str | None, pdf: str | None, xlsx: str | None, view: str | None,
                 page: str | None) -> int:
    """The PNG, the PDF 通报 and the workbook asked for, with no server running: the app is served on a
    private 127.0.0.1 port for the captures, then stopped."""
    from dashboard import capture, runtime
    from dashboard.app import create_app
    from dashboard.pullers import Puller
    from dashboard.store import open_store
    from dashboard.wall_view import geography_of
    from layouts.wall_panels import district_names

    if not (png or pdf or xlsx):
        print("请至少给出 --png、--pdf、--xlsx 之一（可同时给出）", file=sys.stderr)
        return 2
    if page and (pdf or xlsx):
        raise capture.CaptureError("--page 只用于 --png 截图；--pdf 是全市通报，--xlsx 用 --view 选全市或一个区县")
    if view and page:
        raise capture.CaptureError("--view 与 --page 只能给出一个：--view 选大屏的视图，--page 选另一个页面")
    if page and not page.startswith("/"):
        raise capture.CaptureError(f"--page 应为以 / 开头的页面路径（如 /district/<区县编号>），而不是 {page}")
    if png or pdf:
        capture.chromium_executable(settings)  # before any work: a missing Chromium fails at once
    store = open_store(settings.app.store, settings.data_dir)
    puller = Puller(settings, store)
    if not store.datasets():  # nothing pulled yet: draw the wall from real frames, not empty panels
        print("尚无数据：正在拉取一次…", flush=True)
        print_pull_table(puller.run_all("snapshot"))
    failed = _write_workbook(settings, store, xlsx, view) if xlsx else 0
    if not (png or pdf) or failed:
        return failed
    app = create_app(settings, store, puller.engine)
    districts = district_names(geography_of(runtime.current()))
    label = "全市"
    if png and view and view != "city":
        region = view.removeprefix("district:")
        if not view.startswith("district:") or region not in districts:
            known = "、".join(f"district:{k}（{v}）" for k, v in districts.items()) or "（无区县数据）"
            raise capture.CaptureError(f"--view 的值 {view} 无效：应为 city 或 district:<区县编号>；可选：{known}")
        label = districts[region]
    from dashboard.capture_browser import WarmBrowser

    with capture.LocalServer(app) as base_url, WarmBrowser(settings) as browser:  # one Chromium for both
        if png:
            path, size = ((capture.capture_path(page), capture.DRILL_SIZE) if page
                          else (capture.wall_path(view), settings.city.canvas))
            shot = capture.capture_png(settings, base_url, path, tuple(size), browser=browser)
            _save(Path(png), shot.png, f"截图已保存: {png}（{shot.size[0]}×{shot.size[1]}，{page or label}）")
        if pdf:
            document = capture.capture_pdf(settings, base_url, footer=f"{settings.city.name} · 通报", browser=browser)
            _save(Path(pdf), document, f"通报已保存: {pdf}（A4 PDF，全市，{len(document) // 1024} KB）")
    return 0


def _save(out: Path, data: bytes, said: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(said, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
        if args.command == "pull":
            return cmd_pull(settings, args.source, args.accept)
        if args.command == "check-source":
            return cmd_check_source(settings, args.name, args.file)
        if args.command == "seed":
            return cmd_seed(settings, args.incidents, args.seed, args.database)
        if args.command == "db":
            return cmd_db(settings, args.action)
        if args.command == "scheduler":
            from dashboard.serving import run_scheduler

            return run_scheduler(settings)
        if args.command == "worker":
            from dashboard.worker import run_worker

            return run_worker(settings, args.concurrency)
        if args.command == "snapshot":
            return cmd_snapshot(settings, args.png, args.pdf, args.xlsx, args.view, args.page)
        if args.command == "ask":
            from dashboard.ask.command import run as run_ask

            return run_ask(settings, args)
        if args.command in ("user", "token", "audit"):
            from dashboard.cli_auth import run

            return run(settings, args)
        from dashboard import serving

        host, port = getattr(args, "host", None), getattr(args, "port", None)
        if getattr(args, "workers", None):
            return serving.serve_workers(settings, host, port, args.workers)
        return serving.serve_one_process(settings, host, port, not getattr(args, "no_scheduler", False))
    except (SettingsError, SchemaError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except CaptureError as exc:
        print(f"{'导出' if getattr(args, 'pdf', None) else '截图'}失败：{exc.message}", file=sys.stderr)
        return 1

